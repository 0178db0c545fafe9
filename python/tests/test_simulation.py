"""cortexsim.Simulation (Network.build): runs continue bit for bit, reset repeats the
first run, stimuli and spike sources change between runs, other changes are refused."""

import numpy as np
import pytest

import cortexsim


def network(t_stop=100.0):
    return cortexsim.from_dict({
        "simulation": {"dt": 0.1, "t_stop": t_stop, "seed": 3},
        "populations": [
            {"name": "src", "size": 20, "model": "spike_source_poisson",
             "params": {"rate": 50.0, "stop": 1e6}},
            {"name": "arr", "size": 2, "model": "spike_source_array",
             "params": {"spike_times": [[5.0, 150.0], [250.0]]}},
            {"name": "E", "size": 10, "model": "iaf_psc_exp", "params": {"I_e": 300.0}},
        ],
        "projections": [{"source": "src", "target": "E", "rule": "all_to_all",
                         "weight": 50.0, "delay": 1.0}],
        "stimuli": [{"target": "E", "kind": "dc", "amplitude": 50.0, "stop": 1e6}],
        "recorders": {"spikes": ["src", "arr", "E"], "rate_bin": 0.0,
                      "v_m": [{"population": "E", "n": 3, "interval": 1.0}]},
    })


def test_runs_continue_as_one_run_and_reset_repeats_it():
    full = network(300.0).run(threads=1)
    sim = network().build(threads=1)
    assert sim.run(100.0) == pytest.approx(100.0)
    sim.run(200.0)  # past the file's t_stop
    assert sim.t == pytest.approx(300.0)
    for pop in ["src", "E"]:
        for a, b in zip(full.spikes[pop], sim.spikes()[pop]):
            assert np.array_equal(a, b)
    assert np.array_equal(full.v_m["E"]["v_m"], sim.v_m()["E"]["v_m"])
    # spike-source times after the first t_stop are delivered
    assert list(sim.spikes()["arr"][0]) == [5.0, 150.0, 250.0]
    sim.reset()
    assert sim.t == 0.0 and len(sim.spikes()["E"][0]) == 0
    sim.run_until(300.0)
    for a, b in zip(full.spikes["E"], sim.spikes()["E"]):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="before the current time"):
        sim.run_until(10.0)
    with pytest.raises(ValueError, match="whole number of steps"):
        sim.run(0.05)


def test_sources_change_between_runs_and_other_changes_are_refused():
    sim = network().build(threads=1)
    sim.run(100.0)
    sim.update({"populations.src.params.rate": 0.0,
                "populations.arr.params.spike_times": [[5.0, 120.0], [130.0]]})
    sim.run(100.0)
    t, _ = sim.spikes()["src"]
    assert (t <= 100.0).sum() > 0 and (t > 100.0 + 1e-9).sum() == 0
    assert list(sim.spikes()["arr"][0]) == [5.0, 120.0, 130.0]
    sim.update({"stimuli.0.amplitude": 0.0})
    with pytest.raises(ValueError, match=r"populations\[E\]"):
        sim.update({"populations.E.model": "iaf_psc_alpha"})
    with pytest.raises(ValueError, match=r"populations\[E\]"):
        sim.update({"populations.E.size": 11})
    with pytest.raises(ValueError, match=r"populations\[src\]"):
        sim.update({"populations.src.model": "iaf_psc_exp"})
    with pytest.raises(ValueError, match="projections"):
        sim.update({"projections.0.weight": 1.0})
    with pytest.raises(cortexsim.SpecError):
        sim.update({"populations.src.params.rate": -1.0})
    assert sim.potentials("E").shape == (10,)


SIGINT_SCRIPT = r"""
import cortexsim, sys
net = cortexsim.load("brunel2000", set={"populations.E.size": 400, "populations.I.size": 100})
sim = net.build(threads=1)
print("running", flush=True)
try:
    sim.run(1e6)
except KeyboardInterrupt:
    t = sim.t
    sim.run(1.0)  # still usable after the stop
    print("stopped", t > 0, abs(sim.t - t - 1.0) < 1e-9, flush=True)
"""


def test_ctrl_c_stops_a_run_and_the_simulation_stays_usable():
    import signal
    import subprocess
    import sys
    import time
    # SIGINT back to its default in the child: a shell runs background jobs with it
    # ignored, and Python then never installs its Ctrl-C handler.
    p = subprocess.Popen([sys.executable, "-c", SIGINT_SCRIPT], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert p.stdout.readline().strip() == "running"
        time.sleep(0.3)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out = p.stdout.readline()
        latency = time.monotonic() - t0
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert out.split() == ["stopped", "True", "True"], (out, p.stderr.read())
    assert latency < 2.0, "Ctrl-C took %.2f s" % latency


def quiet(t_stop=100.0, **params):
    """Three iaf_psc_exp neurons without input, every potential recorded each step."""
    return cortexsim.from_dict({
        "simulation": {"dt": 0.1, "t_stop": t_stop, "seed": 1},
        "populations": [{"name": "E", "size": 3, "model": "iaf_psc_exp", "v_init": -70.0,
                         "params": dict({"E_L": -70.0, "V_reset": -70.0}, **params)}],
        "recorders": {"spikes": ["E"], "rate_bin": 0.0,
                      "v_m": [{"population": "E", "n": 3, "interval": 0.1}]},
    })


def test_neuron_parameters_change_between_runs():
    # I_e = 200 pA from 50 ms on: v = E_L + I_e R (1 - exp(-(t - 50)/tau_m)), R = tau_m/C_m.
    sim = quiet().build(threads=1)
    sim.run(50.0)
    sim.update({"populations.E.params.I_e": 200.0})
    sim.run(50.0)
    e = sim.v_m()["E"]
    t = e["times_ms"]
    want = -70.0 + np.where(t > 50.0 + 1e-9, 200.0 * 10.0 / 250.0
                            * -np.expm1(-(t - 50.0) / 10.0), 0.0)
    assert len(t) == 1000
    assert np.max(np.abs(e["v_m"] - want[:, None])) < 1e-9
    # E_L moved: the absolute potential stays (NEST's semantics), then relaxes to the
    # new rest plus I_e R.
    before = sim.potentials("E")
    sim.update({"populations.E.params.E_L": -66.0})
    assert np.array_equal(sim.potentials("E"), before)
    sim.run(50.0)
    v = sim.v_m()["E"]["v_m"][-1]
    assert np.allclose(v, -66.0 + 8.0 + (before - (-66.0 + 8.0)) * np.exp(-5.0), atol=1e-9)
    # invalid values are refused with the key and the value, nothing changes
    with pytest.raises(cortexsim.SpecError, match="tau_m.*-1"):
        sim.update({"populations.E.params.tau_m": -1.0})
    # reset keeps the changed parameters: the run is a fresh build of the changed network
    sim.reset()
    sim.run(100.0)
    fresh = quiet(I_e=200.0, E_L=-66.0).run(threads=1)
    assert np.array_equal(sim.v_m()["E"]["v_m"], fresh.v_m["E"]["v_m"])
