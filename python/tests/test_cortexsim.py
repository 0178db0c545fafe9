"""The Python package against the command line: same spikes for the same seed, same
summary numbers, same errors; dtypes; Ctrl-C; the GIL; memory over repeated runs."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import cortexsim

SMALL = {"populations.E.size": 2000, "populations.I.size": 500}
SMALL_ARGS = ["--set", "populations.E.size=2000", "--set", "populations.I.size=500"]


def digest(spikes):
    """sha256 over population name, times and node ids (populations by name)."""
    h = hashlib.sha256()
    for name in sorted(spikes):
        t, ids = spikes[name]
        h.update(name.encode())
        h.update(np.ascontiguousarray(t).tobytes())
        h.update(np.ascontiguousarray(ids).tobytes())
    return h.hexdigest()


def run_cli(cli, *args, check=True):
    p = subprocess.run([cli, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("cortexsim %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


# Summary keys that are measurements of this process (times, memory), not results.
VOLATILE = {"timings_s", "real_time_factor", "synaptic_events_per_s", "memory_bytes", "output", "threads"}


def stable(summary):
    return {k: v for k, v in summary.items() if k not in VOLATILE}


@pytest.mark.parametrize(
    "name,args,sets",
    [
        ("brunel2000", ["--t-stop", "300", "--seed", "7"] + SMALL_ARGS, SMALL),
        ("networks/vogels_abbott_cuba.toml", ["--t-stop", "200", "--seed", "3"], {}),
    ],
)
def test_spikes_and_summary_equal_cli(cli, repo, tmp_path, name, args, sets):
    path = name if not name.startswith("networks/") else str(repo / name)
    out = tmp_path / "cli.h5"
    p = run_cli(cli, "run", path, *args, "--out", str(out), "--json")
    cli_summary = json.loads(p.stdout)
    cli_file = cortexsim.read_sonata(out)
    assert cli_file["status"] == "complete"

    t_stop = float(args[args.index("--t-stop") + 1])
    seed = int(args[args.index("--seed") + 1])
    res = cortexsim.load(path, set=sets).run(t_stop=t_stop, seed=seed, threads=1, progress=False)
    assert set(res.spikes) == set(cli_file["spikes"])
    assert digest(res.spikes) == digest(cli_file["spikes"])
    for pop, (t, ids) in res.spikes.items():
        np.testing.assert_array_equal(t, cli_file["spikes"][pop][0])
        np.testing.assert_array_equal(ids, cli_file["spikes"][pop][1])
        assert len(t) > 0
    for pop, r in res.rates.items():
        np.testing.assert_array_equal(r, cli_file["rates"][pop])
    py = stable(res.summary)
    assert py.pop("spikes_written") == cli_summary["spikes_written"]
    cl = stable(cli_summary)
    cl.pop("spikes_written")
    assert py == cl


def test_threads_do_not_change_spikes():
    net = cortexsim.load("brunel2000", set=SMALL)
    a = net.run(t_stop=100.0, seed=2, threads=1, progress=False)
    b = net.run(t_stop=100.0, seed=2, threads=2, progress=False)
    assert digest(a.spikes) == digest(b.spikes)


def test_to_sonata_round_trip(tmp_path):
    res = cortexsim.load("brunel2000", set=SMALL).run(t_stop=100.0, seed=1, progress=False)
    path = tmp_path / "r.h5"
    assert res.to_sonata(path) == str(path)
    f = cortexsim.read_sonata(path)
    assert f["status"] == "complete"
    assert digest(f["spikes"]) == digest(res.spikes)
    assert f["summary"]["populations"] == res.summary["populations"]
    # An existing file is replaced only when asked.
    with pytest.raises(OSError):
        res.to_sonata(path)
    res.to_sonata(path, overwrite=True)


def test_dtypes_and_shapes():
    net = cortexsim.load("brunel2000", set=SMALL)
    res = net.run(
        t_stop=50.0,
        seed=1,
        progress=False,
        record={"v_m": [{"population": "E", "n": 3, "interval": 1.0}]},
    )
    for pop in ("E", "I"):
        t, ids = res.spikes[pop]
        assert t.dtype == np.float64 and ids.dtype == np.uint64
        assert t.ndim == 1 and ids.ndim == 1 and t.shape == ids.shape
        assert np.all(np.diff(t) >= 0), "time order"
        assert ids.max() < net.inspect()["populations"][pop]["size"]
        assert not t.flags.writeable and not ids.flags.writeable
        r = res.rates[pop]
        assert r.dtype == np.float64 and r.shape == (50,)
    assert res.rate_bin_ms == 1.0
    vm = res.v_m["E"]
    assert vm["v_m"].dtype == np.float64 and vm["v_m"].shape == (50, 3)
    assert vm["times_ms"].dtype == np.float64 and vm["times_ms"].shape == (50,)
    assert vm["node_ids"].dtype == np.uint64 and list(vm["node_ids"]) == [0, 1, 2]
    assert res.summary["status"] == "complete" and res.status == "complete"


def test_record_selects_populations():
    res = cortexsim.load("brunel2000", set=SMALL).run(
        t_stop=20.0, progress=False, record={"spikes": ["I"], "rate_bin": 0.0}
    )
    assert list(res.spikes) == ["I"]
    assert res.rates == {} and res.rate_bin_ms is None


def test_errors_carry_the_key_path(cli):
    with pytest.raises(cortexsim.SpecError) as e:
        cortexsim.load("brunel2000", set={"populations.E.params.tau_m": -1.0})
    assert isinstance(e.value, ValueError)
    assert e.value.key == "populations[E].params.tau_m"
    # The same message as the command line's.
    p = run_cli(cli, "inspect", "brunel2000", "--set", "populations.E.params.tau_m=-1.0", check=False)
    assert p.returncode == 3
    assert "invalid network: %s" % e.value in p.stderr

    d = cortexsim.load("brunel2000").to_dict()
    d["projections"][2]["delay"] = "soon"
    with pytest.raises(cortexsim.SpecError) as e:
        cortexsim.Network.from_dict(d)
    assert e.value.key.startswith("projections[")
    assert e.value.key.endswith("].delay")
    d = cortexsim.load("brunel2000").to_dict()
    d["populations"][0]["tau"] = 1.0
    with pytest.raises(ValueError) as e:
        cortexsim.from_dict(d)
    assert e.value.key == "populations[E]" or e.value.key.startswith("populations[E]")
    assert "tau" in str(e.value)
    d["populations"][0].pop("tau")
    d["populations"][0]["size"] = None
    with pytest.raises(cortexsim.SpecError) as e:
        cortexsim.from_dict(d)
    assert e.value.key == "populations[0].size"
    with pytest.raises(cortexsim.SpecError) as e:
        cortexsim.load("no_such_network")
    assert e.value.key == "no_such_network"
    with pytest.raises(cortexsim.SpecError):
        cortexsim.load("brunel2000").run(t_stop=-5.0)


def test_from_dict_equals_file():
    net = cortexsim.load("brunel2000", set=SMALL)
    again = cortexsim.Network.from_dict(net.to_dict())
    a = net.run(t_stop=50.0, seed=4, progress=False)
    b = again.run(t_stop=50.0, seed=4, progress=False)
    assert digest(a.spikes) == digest(b.spikes)
    assert again.inspect()["synapses"] == net.inspect()["synapses"]


def test_inspect_matches_cli(cli):
    info = cortexsim.load("brunel2000").inspect()
    p = run_cli(cli, "inspect", "brunel2000", "--json")
    c = json.loads(p.stdout)
    c.pop("available_bytes")
    info.pop("available_bytes")
    assert info == c


def test_meanfield_and_timescales_match_cli(cli):
    mf = cortexsim.meanfield(cortexsim.load("brunel2000"))
    c = json.loads(run_cli(cli, "meanfield", "brunel2000", "--json").stdout)
    assert mf == c
    m = cortexsim.load_rate("chaudhuri2015.toml")
    ts = m.timescales(t_max=3000.0)
    c = json.loads(run_cli(cli, "timescales", "chaudhuri2015.toml", "--t-max", "3000", "--json").stdout)
    for d in (ts, c):
        d.pop("timings_s", None)
        d.pop("plot", None)
    assert ts == c


def test_rate_run_matches_cli_csv(cli, tmp_path):
    out = tmp_path / "r.csv"
    run_cli(cli, "run", "chaudhuri2015.toml", "--t-stop", "300", "--out", str(out))
    header = out.read_text().splitlines()[0].split(",")
    data = np.loadtxt(out, delimiter=",", skiprows=1)
    r = cortexsim.load_rate("chaudhuri2015.toml").run(t_stop=300.0)
    np.testing.assert_array_equal(r["t_ms"], data[:, 0])
    assert header[1:] == list(r["rates"])
    for k, (name, rates) in enumerate(r["rates"].items()):
        assert rates.dtype == np.float64
        np.testing.assert_array_equal(rates, data[:, k + 1])
    assert r["summary"]["kind"] == "rate"
    with pytest.raises(cortexsim.SpecError):
        cortexsim.load_rate("brunel2000")


def test_compare_runs():
    c = cortexsim.compare(cortexsim.load("brunel2000", set=dict(SMALL, **{"simulation.t_stop": 400.0})), blocks=10)
    assert set(c["populations"]) == {"E", "I"}
    assert c["populations"]["E"]["spiking_rate_hz"] > 0


def test_gil_is_released():
    net = cortexsim.load("brunel2000", set=SMALL)
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1
            time.sleep(0.001)

    th = threading.Thread(target=spin)
    th.start()
    t0 = time.monotonic()
    net.run(t_stop=1000.0, seed=1, progress=False)
    elapsed = time.monotonic() - t0
    stop.set()
    th.join()
    # A thread holding no GIL would tick ~1000 times per second; a held GIL gives ~0.
    assert count[0] > 50 * elapsed, (count[0], elapsed)


def test_progress_callable_and_error_in_it_stops_the_run():
    calls = []
    net = cortexsim.load("brunel2000", set=SMALL)
    net.run(t_stop=300.0, progress=lambda d, n, s: calls.append((d, n)))
    assert calls and calls[-1][0] == calls[-1][1] == 3000

    def boom(d, n, s):
        if d > 0:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        net.run(t_stop=1e6, progress=boom)


SIGINT_SCRIPT = textwrap.dedent(
    """
    import sys, time, cortexsim
    net = cortexsim.load("brunel2000", set={"populations.E.size": 4000, "populations.I.size": 1000})
    said = []
    def progress(done, total, elapsed):
        if done > 0 and not said:
            said.append(1)
            print("running", flush=True)
    try:
        net.run(t_stop=1e6, seed=1, progress=progress)  # 1e7 steps: minutes of work; recorders reserve for t_stop up front
        print("finished?!", flush=True)
    except cortexsim.Interrupted as e:
        r = e.result
        print("interrupted", r.status, r.summary["status"], r.t_ms, len(r.spikes["E"][0]), flush=True)
        sys.exit(0)
    """
)


def test_sigint_stops_a_long_run_within_a_second():
    # SIGINT back to its default in the child: a shell runs background jobs with it
    # ignored, and Python then never installs its Ctrl-C handler.
    p = subprocess.Popen(
        [sys.executable, "-c", SIGINT_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = p.stdout.readline()
        assert line.strip() == "running", (line, p.stderr.read() if p.poll() is not None else "")
        time.sleep(0.3)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out = p.stdout.readline()
        latency = time.monotonic() - t0
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    words = out.split()
    assert words[:3] == ["interrupted", "interrupted", "interrupted"], (out, p.stderr.read())
    assert float(words[3]) > 0 and int(words[4]) > 0
    assert p.returncode == 0
    assert latency < 1.0, "Ctrl-C took %.2f s" % latency


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_no_leak_over_100_runs():
    net = cortexsim.load("brunel2000", set={"populations.E.size": 400, "populations.I.size": 100})

    def once():
        res = net.run(t_stop=50.0, seed=1, progress=False)
        assert len(res.spikes["E"][0]) > 0
        res.summary

    for _ in range(10):
        once()
    before = rss_bytes()
    for _ in range(100):
        once()
    grown = rss_bytes() - before
    # One run holds ~1 MB of synapses and spikes; a leak of it per run would be 100 MB.
    assert grown < 8 * 2**20, "RSS grew by %.1f MB over 100 runs" % (grown / 2**20)


def _listed_net(connections=None):
    """300 excitatory iaf_psc_exp neurons under Poisson drive; projection 0 is E -> E."""
    pr = {"source": "E", "target": "E"}
    if connections is None:
        pr.update(rule="one_to_one", weight=1.0)
    else:
        pr.update(rule="from_list", connections=connections)
    return cortexsim.from_dict(
        {
            "simulation": {"dt": 0.1, "t_stop": 100.0, "seed": 3},
            "populations": [
                {
                    "name": "E",
                    "size": 300,
                    "model": "iaf_psc_exp",
                    "v_init": {"distribution": "uniform", "low": -70.0, "high": -55.0},
                    "params": {"tau_syn_ex": 0.5, "tau_syn_in": 0.5, "tau_m": 10.0,
                               "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0},
                }
            ],
            "projections": [pr],
            "stimuli": [{"kind": "poisson", "target": "E", "rate": 8.0,
                         "indegree": 2000, "weight": 87.8}],
        }
    )


def test_connection_lists_in_bulk_equal_listed_rows():
    rng = np.random.default_rng(1)
    n = 6000
    src = rng.integers(0, 300, n, dtype=np.int32)
    tgt = rng.integers(0, 300, n)
    w = rng.uniform(-80.0, 120.0, n)
    d = rng.integers(1, 30, n) / 10.0
    rows = [[int(a), int(b), float(c), float(e)] for a, b, c, e in zip(src, tgt, w, d)]
    listed = _listed_net(rows)
    bulk = _listed_net().with_connections(0, src, tgt, weights=w, delays=d)
    assert listed.inspect()["projections"][0]["rule"]["rule"] == "from_list"
    assert bulk.inspect()["synapses"] == listed.inspect()["synapses"] == n
    # The list is kept when the run changes t_stop and seed (the table is read again).
    a = listed.run(t_stop=80.0, seed=5, threads=1, progress=False)
    b = bulk.run(t_stop=80.0, seed=5, threads=2, progress=False)
    assert len(a.spikes["E"][0]) > 100
    assert digest(a.spikes) == digest(b.spikes)
    # A different list gives different spikes (the list is really used).
    c = _listed_net().with_connections(0, src, tgt[::-1].copy(), weights=w, delays=d)
    assert digest(c.run(t_stop=80.0, seed=5, progress=False).spikes) != digest(a.spikes)


def test_connection_list_errors_carry_the_key_path():
    net = _listed_net()
    with pytest.raises(cortexsim.SpecError) as e:
        net.with_connections(0, [0, 1], [0, 300])
    assert e.value.key == "projections[0].connections[1]"
    assert "target index 300" in e.value.message
    with pytest.raises(cortexsim.SpecError) as e:
        net.with_connections(0, [0, -2], [0, 1])
    assert e.value.key == "projections[0].connections[1]"
    with pytest.raises(cortexsim.SpecError) as e:
        net.with_connections(0, [0], [0], delays=[0.01])
    assert "below the time step" in e.value.message
    with pytest.raises(cortexsim.SpecError) as e:
        net.with_connections(0, [0, 1], [0])
    assert e.value.key == "projections[0].connections"


def test_spike_sources_from_dict_are_recorded():
    net = cortexsim.from_dict(
        {
            "simulation": {"dt": 0.1, "t_stop": 1000.0, "seed": 2},
            "populations": [
                {"name": "P", "size": 200, "model": "spike_source_poisson", "params": {"rate": 20.0}},
                {"name": "A", "size": 2, "model": "spike_source_array",
                 "params": {"spike_times": [[1.0, 2.5], [3.0]]}},
            ],
        }
    )
    res = net.run(progress=False)
    t, ids = res.spikes["P"]
    # 200 sources x 20 Hz x 1 s = 4000 spikes (sd 63).
    assert 3700 < len(t) < 4300
    assert len(np.unique(ids)) > 190
    t, ids = res.spikes["A"]
    assert list(zip(t.round(6), ids)) == [(1.0, 0), (2.5, 0), (3.0, 1)]
