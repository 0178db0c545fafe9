#!/usr/bin/env python
"""Side-by-side benchmark: cortexsim vs NEST 3.10 vs Brian2 2.9 (C++ standalone).

The same Brunel (2000) delta network as pynest/examples/brunel_delta_nest.py
(iaf_psc_delta, fixed in-degree C_E = 0.1 N_E, C_I = 0.1 N_I, J = 0.1 mV, g = 5,
eta = 2, delay 1.5 ms, dt = 0.1 ms, one Poisson input of 20 kHz x J per neuron) at
several sizes. Every simulator runs in its own child process; runs are interleaved
(rep 1: cortexsim, NEST, Brian2; rep 2: NEST, Brian2, cortexsim; ...) so that the
noise of a shared machine hits all of them alike.

Per run: build s, simulate s, synaptic events/s (spikes x mean out-degree, the same
formula for all three), peak RSS of the simulating process (os.wait4 on the child:
ru_maxrss), bytes/synapse = (peak RSS - RSS of an empty simulator process)/synapses,
E/I rates. Plus the bare-loop bound (examples/bare_loop.rs) at cortexsim's rates.

With --pd14 SCALES also the Potjans-Diesmann microcircuit (networks/potjans_diesmann2014.toml)
against the same network file built in PyNEST (child_nest_pd14), per-population rates side by side.

Usage:
  /opt/venv/bin/python scripts/bench_vs_nest.py --sizes 12500 20000 --reps 2 \
      --json-out bench_results.json [--t-sim 1000] [--no-brian2] [--no-nest-above 50000] \
      [--pd14 0.1 1.0]
Requires target/release/cortexsim and target/release/examples/bare_loop
(cargo build --release --example bare_loop).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORTEXSIM = os.path.join(ROOT, "target", "release", "cortexsim")
BARE = os.path.join(ROOT, "target", "release", "examples", "bare_loop")
NETWORK = os.path.join(ROOT, "networks", "brunel2000.toml")
BRIAN_DIR = os.path.join(tempfile.gettempdir(), "cortexsim_bench_brian2")

DT = 0.1
J = 0.1
G = 5.0
ETA = 2.0
THETA = 20.0
TAU = 20.0
DELAY = 1.5
P_RATE = 1000.0 * ETA * THETA / (J * TAU)  # = C_E * nu_ex, independent of C_E: 20 kHz


def sizes(n):
    ne, ni = 4 * n // 5, n // 5
    return ne, ni, ne // 10, ni // 10


def events(ne, ni, ce, ci, spikes_e, spikes_i):
    n = ne + ni
    return spikes_e * ce * n / ne + spikes_i * ci * n / ni


# ----------------------------------------------------------------------------- children
def child_nest(a):
    import nest
    ne, ni, ce, ci = sizes(a.n)
    nest.ResetKernel()
    nest.set_verbosity("M_WARNING")
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": a.threads,
                          "rng_seed": 1, "print_time": False})
    if a.empty:
        print(json.dumps({"empty": True}))
        return
    t0 = time.time()
    params = {"C_m": 1.0, "tau_m": TAU, "t_ref": 2.0, "E_L": 0.0, "V_reset": 0.0,
              "V_m": 0.0, "V_th": THETA}
    ex = nest.Create("iaf_psc_delta", ne, params=params)
    inh = nest.Create("iaf_psc_delta", ni, params=params)
    noise = nest.Create("poisson_generator", params={"rate": P_RATE})
    sr_e = nest.Create("spike_recorder", params={"record_to": "memory"})
    sr_i = nest.Create("spike_recorder", params={"record_to": "memory"})
    nest.CopyModel("static_synapse", "excitatory", {"weight": J, "delay": DELAY})
    nest.CopyModel("static_synapse", "inhibitory", {"weight": -G * J, "delay": DELAY})
    nest.Connect(noise, ex, syn_spec="excitatory")
    nest.Connect(noise, inh, syn_spec="excitatory")
    nest.Connect(ex, sr_e, syn_spec="excitatory")
    nest.Connect(inh, sr_i, syn_spec="excitatory")
    nest.Connect(ex, ex + inh, {"rule": "fixed_indegree", "indegree": ce}, "excitatory")
    nest.Connect(inh, ex + inh, {"rule": "fixed_indegree", "indegree": ci}, "inhibitory")
    nest.Prepare()  # allocates buffers: part of the build
    build = time.time() - t0
    t1 = time.time()
    nest.Run(a.t_sim)
    sim = time.time() - t1
    nest.Cleanup()
    se, si = sr_e.n_events, sr_i.n_events
    print(json.dumps({"build_s": build, "simulate_s": sim, "spikes_e": se, "spikes_i": si,
                      "synapses": nest.GetKernelStatus("num_connections")}))


PD14_TOML = os.path.join(ROOT, "networks", "potjans_diesmann2014.toml")


def pd14_network(scale):
    """The microcircuit exactly as cortexsim reads networks/potjans_diesmann2014.toml at
    `simulation.scale`: sizes round(N*scale) (at least 1), fixed_total_number counts
    round(n*scale) (in-degrees kept); Rust rounds half away from zero."""
    import math
    import tomllib
    with open(PD14_TOML, "rb") as f:
        T = tomllib.load(f)

    def rnd(x):
        return int(math.floor(x * scale + 0.5)) if scale != 1.0 else x

    pops = T["populations"]
    names = [p["name"] for p in pops]
    n = [max(1, rnd(p["size"])) for p in pops]
    projs = [(names.index(pr["source"]), names.index(pr["target"]), rnd(pr["n"]), pr)
             for pr in T["projections"]]
    return T, names, n, projs


def pd14_events(spikes, scale):
    """Synaptic events: spikes of each population times its mean out-degree."""
    _, names, n, projs = pd14_network(scale)
    out = [0.0] * len(names)
    for src, _, k, _ in projs:
        out[src] += k / n[src]
    return sum(sp * o for sp, o in zip(spikes, out))


def child_nest_pd14(a):
    """The same network file in PyNEST: iaf_psc_exp populations with the file's
    parameters and normal initial potentials; fixed_total_number projections (autapses,
    multapses as in the file) with normal weights and delays redrawn into the file's
    [min, max]; each Poisson stimulus as one poisson_generator of rate x indegree with
    the file's weight (stationary, so its delay does not matter: dt)."""
    import nest
    T, names, n, projs = pd14_network(a.scale)
    nest.ResetKernel()
    nest.set_verbosity("M_WARNING")
    nest.SetKernelStatus({"resolution": T["simulation"]["dt"], "local_num_threads": a.threads,
                          "rng_seed": T["simulation"]["seed"], "print_time": False})
    t0 = time.time()
    inf = float("inf")

    def dist(d):
        if not isinstance(d, dict):
            return d
        assert d["distribution"] == "normal", d
        return nest.math.redraw(nest.random.normal(mean=d["mean"], std=d["std"]),
                                min=d.get("min", -inf), max=d.get("max", inf))

    pops, recs = [], []
    for p, size in zip(T["populations"], n):
        assert p["model"] == "iaf_psc_exp", p["model"]
        pop = nest.Create("iaf_psc_exp", size, params=p["params"])
        pop.V_m = dist(p["v_init"])
        pops.append(pop)
        sr = nest.Create("spike_recorder", params={"record_to": "memory"})
        nest.Connect(pop, sr)
        recs.append(sr)
    for src, tgt, k, pr in projs:
        if k <= 0:
            continue
        # One synapse model per projection: NEST holds at most 2^27 - 2 connections
        # per virtual process and synapse model (the full model has 3e8 on 2 threads).
        syn = "pd14_" + pr["name"].replace("->", "_")
        nest.CopyModel("static_synapse", syn)
        nest.Connect(pops[src], pops[tgt],
                     {"rule": "fixed_total_number", "N": k,
                      "allow_autapses": pr.get("autapses", True),
                      "allow_multapses": pr.get("multapses", True)},
                     {"synapse_model": syn, "weight": dist(pr["weight"]),
                      "delay": dist(pr["delay"])})
    for st in T["stimuli"]:
        assert st["kind"] == "poisson", st["kind"]
        pg = nest.Create("poisson_generator", params={"rate": st["rate"] * st["indegree"]})
        nest.Connect(pg, pops[names.index(st["target"])], "all_to_all",
                     {"weight": st["weight"], "delay": T["simulation"]["dt"]})
    nest.Prepare()
    build = time.time() - t0
    t1 = time.time()
    nest.Run(a.t_sim)
    sim = time.time() - t1
    nest.Cleanup()
    print(json.dumps({"build_s": build, "simulate_s": sim,
                      "spikes": [int(r.n_events) for r in recs],
                      "synapses": nest.GetKernelStatus("num_connections")}))


def child_env(a):
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    if a.omp_wait_policy != "default":
        # NEST and Brian2 use OpenMP; libgomp's default spin-waiting is pathological
        # on an oversubscribed machine (Brian2 N=12500: 52 s active vs 15 s passive).
        env["OMP_WAIT_POLICY"] = a.omp_wait_policy.upper()
    return env


def run_pd14(sim, scale, a):
    if sim == "cortexsim":
        cmd = [CORTEXSIM, "run", PD14_TOML,
               "--json", "--no-output", "--threads", str(a.threads),
               "--set", f"simulation.scale={scale}", "--set", f"simulation.t_stop={a.t_sim}"]
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "nest_pd14",
               "--scale", str(scale), "--t-sim", str(a.t_sim), "--threads", str(a.threads)]
    out, err, rc, rss, wall = spawn(cmd, env=child_env(a))
    if rc != 0:
        return {"error": (err.strip() or out.strip())[-800:]}
    j = last_json(out)
    if sim == "cortexsim":
        names = pd14_network(scale)[1]
        pops = j["populations"]
        j = {"build_s": j["timings_s"]["build"], "simulate_s": j["timings_s"]["simulate"],
             "spikes": [pops[x]["spikes"] for x in names], "synapses": j["synapses"]}
    j["peak_rss"] = rss
    j["wall_s"] = wall
    n = pd14_network(scale)[2]
    j["rates"] = [sp / (m * a.t_sim * 1e-3) for sp, m in zip(j["spikes"], n)]
    j["events_per_s"] = pd14_events(j["spikes"], scale) / j["simulate_s"]
    return j


def bench_pd14(a, res):
    names = pd14_network(1.0)[1]
    out = []
    for scale in a.pd14:
        cfg = {"scale": scale, "runs": {"cortexsim": [], "nest": []}}
        for rep in range(a.reps if scale < 1.0 else 1):
            order = ["cortexsim", "nest"] if rep % 2 == 0 else ["nest", "cortexsim"]
            for s_ in order:
                print(f"microcircuit scale {scale} rep {rep + 1}: {s_} ...", file=sys.stderr, flush=True)
                r = run_pd14(s_, scale, a)
                if "error" in r:
                    print(f"  error: {r['error']}", file=sys.stderr)
                else:
                    print(f"  build {r['build_s']:.1f} s, simulate {r['simulate_s']:.2f} s, "
                          f"peak RSS {r['peak_rss'] / 1e6:.0f} MB", file=sys.stderr, flush=True)
                cfg["runs"][s_].append(r)
        summ = {}
        for s_, runs in cfg["runs"].items():
            ok = [r for r in runs if "error" not in r]
            if not ok:
                summ[s_] = None
                continue
            b0 = res["baseline_rss"].get(s_)
            rss = median([r["peak_rss"] for r in ok])
            summ[s_] = {"build_s": median([r["build_s"] for r in ok]),
                        "simulate_s": median([r["simulate_s"] for r in ok]),
                        "events_per_s": median([r["events_per_s"] for r in ok]),
                        "peak_rss": rss, "synapses": ok[0]["synapses"],
                        "bytes_per_synapse": (rss - b0) / ok[0]["synapses"] if b0 else None,
                        "rates": [median([r["rates"][i] for r in ok]) for i in range(len(names))]}
        cfg["summary"] = summ
        out.append(cfg)
    res["pd14"] = out
    return out


def print_pd14(res, a):
    names = pd14_network(1.0)[1]
    print(f"\nPotjans-Diesmann microcircuit, {res['t_sim_ms']:g} ms from t = 0, {a.threads} threads "
          "(full scale: 1 run each)\n")
    print("| scale | simulator | build s | simulate s | RTF | syn. events/s | peak RSS MB | bytes/syn "
          "| rates Hz (" + " ".join(names) + ") | cortexsim/this (sim time) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for cfg in res.get("pd14", []):
        s = cfg["summary"]
        cx = s.get("cortexsim")
        for name in ["cortexsim", "nest"]:
            r = s.get(name)
            if r is None:
                err = next((x.get("error", "") for x in cfg["runs"][name]), "")
                print(f"| {cfg['scale']} | {name} | failed: {err[-120:]!r} |||||||| ")
                continue
            ratio = (cx["simulate_s"] / r["simulate_s"]) if cx else None
            print(f"| {cfg['scale']} | {name} | {r['build_s']:.1f} | {r['simulate_s']:.2f} | "
                  f"{r['simulate_s'] / (res['t_sim_ms'] * 1e-3):.2f} | {r['events_per_s']:.3g} | "
                  f"{r['peak_rss'] / 1e6:.0f} | {fmt(r['bytes_per_synapse'], '.1f')} | "
                  + " ".join(f"{x:.2f}" for x in r["rates"]) + f" | {fmt(ratio, '.2f')} |")


def brian_dir(n, t_sim, threads, empty):
    return os.path.join(BRIAN_DIR, "empty" if empty else f"n{n}_t{t_sim:g}_th{threads}")


def child_brian2(a):
    """Generate + compile in this process; run the binary as our own child (wait4)."""
    import numpy as np
    from brian2 import (NeuronGroup, Synapses, PoissonInput, SpikeMonitor, ms, mV, Hz,
                        set_device, device, prefs, run, defaultclock, seed)
    directory = brian_dir(a.n, a.t_sim, a.threads, a.empty)
    set_device("cpp_standalone", directory=directory, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = a.threads
    defaultclock.dt = DT * ms
    seed(1)
    pin = None  # noqa: F841 (kept alive for magic run())
    ne, ni, ce, ci = sizes(a.n) if not a.empty else (1, 1, 0, 0)
    eqs = "dv/dt = -v/tau : volt (unless refractory)"
    grp = NeuronGroup(ne + ni, eqs, threshold="v > theta", reset="v = 0*mV",
                      refractory=2 * ms, method="exact",
                      namespace={"tau": TAU * ms, "theta": THETA * mV})
    mon = SpikeMonitor(grp, record=False)
    if not a.empty:
        rng = np.random.default_rng(1)
        post = np.repeat(np.arange(ne + ni), ce)
        pre = rng.integers(0, ne, size=post.size)
        se = Synapses(grp, grp, on_pre="v += J", delay=DELAY * ms, namespace={"J": J * mV})
        se.connect(i=pre, j=post)
        post = np.repeat(np.arange(ne + ni), ci)
        pre = ne + rng.integers(0, ni, size=post.size)
        si = Synapses(grp, grp, on_pre="v += Jin", delay=DELAY * ms,
                      namespace={"Jin": -G * J * mV})
        si.connect(i=pre, j=post)
        # Binomial(C_E, nu_ex dt) per step and neuron, the Brian2 Brunel example's input.
        pin = PoissonInput(grp, "v", N=ce, rate=P_RATE / ce * Hz, weight=J * mV)
    run(a.t_sim * ms)
    t0 = time.time()
    device.build(directory=directory, compile=True, run=False)
    compile_s = time.time() - t0
    # Run the binary through a wrapper that waits for it with wait4 (its own peak RSS,
    # not that of the compiler or of this Python process) and times it.
    info = os.path.join(directory, "wrapper_info.json")
    prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", WRAPPER, info, "./main"]
    device.run(directory=directory, with_output=False)
    with open(info) as f:
        w = json.load(f)
    sim = device._last_run_time  # duration of the binary's run() call
    out = {"compile_s": compile_s, "binary_s": w["wall_s"], "simulate_s": sim,
           "build_s": w["wall_s"] - sim, "binary_maxrss": w["maxrss"]}
    if not a.empty:
        counts = np.asarray(mon.count[:])
        out.update({"spikes_e": int(counts[:ne].sum()), "spikes_i": int(counts[ne:].sum()),
                    "synapses": int(len(se) + len(si))})
    print(json.dumps(out))


WRAPPER = """
import json, os, subprocess, sys, time
t0 = time.time()
p = subprocess.Popen(sys.argv[2:])
_, st, ru = os.wait4(p.pid, 0)
json.dump({"wall_s": time.time() - t0, "maxrss": ru.ru_maxrss * 1024}, open(sys.argv[1], "w"))
sys.exit(os.waitstatus_to_exitcode(st))
"""


# ----------------------------------------------------------------------------- parent
def spawn(cmd, cwd=ROOT, env=None):
    """Run cmd, return (stdout, stderr, rc, maxrss_bytes, wall_s)."""
    t0 = time.time()
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=fo, stderr=fe, text=True, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        return fo.read(), fe.read(), p.returncode, ru.ru_maxrss * 1024, time.time() - t0


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    start = text.find("{")
    return json.loads(text[start:])


def cortexsim_sets(n, t_sim):
    ne, ni, ce, ci = sizes(n)
    return [f"populations.E.size={ne}", f"populations.I.size={ni}",
            f"projections.0.indegree={ce}", f"projections.1.indegree={ce}",
            f"projections.2.indegree={ci}", f"projections.3.indegree={ci}",
            f"simulation.t_stop={t_sim}"]


def run_cortexsim(n, a, empty=False):
    sets = cortexsim_sets(n, a.t_sim) if not empty else [
        "populations.E.size=8", "populations.I.size=2", "projections.0.indegree=1",
        "projections.1.indegree=1", "projections.2.indegree=1", "projections.3.indegree=1",
        "simulation.t_stop=0.1"]
    cmd = [CORTEXSIM, "run", NETWORK, "--json", "--no-output", "--threads", str(a.threads)]
    for s in sets:
        cmd += ["--set", s]
    out, err, rc, rss, wall = spawn(cmd)
    if rc != 0:
        return {"error": err.strip()[-500:]}
    j = last_json(out)
    pops = j["populations"]
    ne, ni, _, _ = sizes(n)
    return {"build_s": j["timings_s"]["build"], "simulate_s": j["timings_s"]["simulate"],
            "synaptic_events_per_s_reported": j["synaptic_events_per_s"],
            "rate_e": pops["E"]["rate_hz"], "rate_i": pops["I"]["rate_hz"],
            "spikes_e": round(pops["E"]["rate_hz"] * ne * a.t_sim * 1e-3),
            "spikes_i": round(pops["I"]["rate_hz"] * ni * a.t_sim * 1e-3),
            "synapses": j["synapses"], "peak_rss": rss,
            "peak_rss_reported": j["memory_bytes"]["peak_rss"],
            "bytes_per_synapse_reported": j["bytes_per_synapse"], "wall_s": wall}


def run_py_child(sim, n, a, empty=False):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", sim, "--n", str(n),
           "--t-sim", str(a.t_sim), "--threads", str(a.threads)]
    if empty:
        cmd.append("--empty")
    out, err, rc, rss, wall = spawn(cmd, env=child_env(a))
    if rc != 0:
        return {"error": (err.strip() or out.strip())[-800:]}
    j = last_json(out)
    if sim == "brian2":
        # The simulating process is the standalone binary, not the Python child
        # (whose peak includes code generation).
        j["peak_rss"] = j.pop("binary_maxrss")
    else:
        j["peak_rss"] = rss
    j["wall_s"] = wall
    if not empty:
        ne, ni, _, _ = sizes(n)
        j["rate_e"] = j["spikes_e"] / (ne * a.t_sim * 1e-3)
        j["rate_i"] = j["spikes_i"] / (ni * a.t_sim * 1e-3)
    return j


def run_bare(n, rate_e, rate_i, threads, a):
    ne, ni, ce, ci = sizes(n)
    cmd = [BARE, "--n-e", str(ne), "--n-i", str(ni), "--k-e", str(ce), "--k-i", str(ci),
           "--rate-e", f"{rate_e:.4f}", "--rate-i", f"{rate_i:.4f}", "--t-sim", str(a.t_sim),
           "--threads", str(threads)]
    out, err, rc, rss, wall = spawn(cmd)
    if rc != 0:
        return {"error": err.strip()[-500:]}
    j = last_json(out)
    j["peak_rss"] = rss
    return j


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else 0.5 * (xs[m - 1] + xs[m])


def fmt(x, spec):
    return "—" if x is None else format(x, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=["nest", "brian2", "nest_pd14"])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--pd14", type=float, nargs="*", default=[],
                    help="also the microcircuit at these scales (cortexsim and NEST), e.g. 0.1 1.0")
    ap.add_argument("--n", type=int)
    ap.add_argument("--empty", action="store_true")
    ap.add_argument("--sizes", type=int, nargs="*", default=[12500],
                    help="Brunel network sizes (none: only --pd14)")
    ap.add_argument("--t-sim", type=float, default=1000.0, help="biological time, ms")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--no-brian2", action="store_true")
    ap.add_argument("--no-nest-above", type=int, default=10 ** 9,
                    help="skip NEST and Brian2 for N above this (marked in the table)")
    ap.add_argument("--omp-wait-policy", choices=["default", "passive", "active"],
                    default="default", help="OMP_WAIT_POLICY for the NEST/Brian2 children")
    ap.add_argument("--json-out")
    a = ap.parse_args()
    if a.child == "nest":
        return child_nest(a)
    if a.child == "brian2":
        return child_brian2(a)
    if a.child == "nest_pd14":
        return child_nest_pd14(a)

    sims = ["cortexsim", "nest"] + ([] if a.no_brian2 else ["brian2"])
    res = {"command": " ".join([os.path.basename(sys.executable)] + sys.argv),
           "machine": {"nproc": os.cpu_count(), "uname": " ".join(os.uname())},
           "t_sim_ms": a.t_sim, "threads": a.threads, "omp_wait_policy": a.omp_wait_policy,
           "baseline_rss": {}, "configs": []}
    print("baseline (empty simulator process) ...", file=sys.stderr, flush=True)
    base = {"cortexsim": run_cortexsim(12500, a, empty=True)}
    base["nest"] = run_py_child("nest", 0, a, empty=True)
    if not a.no_brian2:
        base["brian2"] = run_py_child("brian2", 0, a, empty=True)
    for s, b in base.items():
        res["baseline_rss"][s] = b.get("peak_rss")
        if "error" in b:
            print(f"baseline {s}: {b['error']}", file=sys.stderr)
    for n in a.sizes:
        ne, ni, ce, ci = sizes(n)
        cfg = {"n": n, "n_e": ne, "n_i": ni, "c_e": ce, "c_i": ci,
               "synapses": n * (ce + ci), "runs": {s: [] for s in sims}, "skipped": []}
        active = [s for s in sims if s == "cortexsim" or n <= a.no_nest_above]
        cfg["skipped"] = [s for s in sims if s not in active]
        for rep in range(a.reps):
            order = active[rep % len(active):] + active[:rep % len(active)]
            for s in order:
                print(f"N={n} rep {rep + 1}/{a.reps}: {s} ...", file=sys.stderr, flush=True)
                r = run_cortexsim(n, a) if s == "cortexsim" else run_py_child(s, n, a)
                if "error" in r:
                    print(f"  error: {r['error']}", file=sys.stderr)
                else:
                    print(f"  build {r['build_s']:.2f} s, simulate {r['simulate_s']:.2f} s, "
                          f"rates {r['rate_e']:.2f}/{r['rate_i']:.2f} Hz, "
                          f"peak RSS {r['peak_rss'] / 1e6:.0f} MB", file=sys.stderr, flush=True)
                cfg["runs"][s].append(r)
        # Bare-loop bound at cortexsim's measured rates.
        ok = [r for r in cfg["runs"]["cortexsim"] if "error" not in r]
        if ok and os.path.exists(BARE):
            re_, ri_ = median([r["rate_e"] for r in ok]), median([r["rate_i"] for r in ok])
            cfg["bare_loop"] = {}
            for th in sorted({1, a.threads}):
                runs = []
                for rep in range(a.reps):
                    print(f"N={n} bare loop {th} thread(s) ...", file=sys.stderr, flush=True)
                    runs.append(run_bare(n, re_, ri_, th, a))
                cfg["bare_loop"][th] = runs
        # Summaries (medians over reps).
        summ = {}
        for s in sims:
            ok = [r for r in cfg["runs"][s] if "error" not in r]
            if not ok:
                summ[s] = None
                continue
            sim_s = median([r["simulate_s"] for r in ok])
            ev = median([events(ne, ni, ce, ci, r["spikes_e"], r["spikes_i"]) / r["simulate_s"]
                         for r in ok])
            rss = median([r["peak_rss"] for r in ok])
            b0 = res["baseline_rss"].get(s)
            summ[s] = {"build_s": median([r["build_s"] for r in ok]), "simulate_s": sim_s,
                       "events_per_s": ev, "peak_rss": rss,
                       "bytes_per_synapse": (rss - b0) / cfg["synapses"] if b0 else None,
                       "rate_e": median([r["rate_e"] for r in ok]),
                       "rate_i": median([r["rate_i"] for r in ok]), "n_runs": len(ok)}
            if s == "brian2":
                summ[s]["compile_s"] = median([r["compile_s"] for r in ok])
        if "bare_loop" in cfg:
            for th, runs in cfg["bare_loop"].items():
                ok = [r for r in runs if "error" not in r]
                if ok:
                    summ[f"bare_loop_{th}t"] = {
                        "simulate_s": median([r["simulate_s"] for r in ok]),
                        "events_per_s": median([r["synaptic_events_per_s"] for r in ok])}
        cfg["summary"] = summ
        res["configs"].append(cfg)
        if a.json_out:
            with open(a.json_out, "w") as f:
                json.dump(res, f, indent=1)
    if a.pd14:
        bench_pd14(a, res)
    print_table(res, a)
    if a.pd14:
        print_pd14(res, a)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(res, f, indent=1)


def print_table(res, a):
    print(f"\nBrunel-delta, {res['t_sim_ms']:g} ms biological time, {a.threads} threads, "
          f"OMP_WAIT_POLICY {a.omp_wait_policy} (NEST, Brian2), "
          f"medians of {a.reps} interleaved run(s); baseline RSS (empty process): "
          + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in res["baseline_rss"].items() if v))
    print()
    print("| N | K | simulator | build s | simulate s | syn. events/s | peak RSS MB "
          "| bytes/syn | rate E Hz | rate I Hz | cortexsim/this (sim time) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in res["configs"]:
        s = cfg["summary"]
        cx = s.get("cortexsim")
        k = cfg["c_e"] + cfg["c_i"]
        for name in ["cortexsim", "nest", "brian2"]:
            if name not in cfg["runs"] and name not in cfg["skipped"]:
                continue
            if name in cfg["skipped"]:
                print(f"| {cfg['n']} | {k} | {name} | skipped (--no-nest-above) |||||||| ")
                continue
            r = s.get(name)
            if r is None:
                err = next((x.get("error", "") for x in cfg["runs"][name]), "")
                print(f"| {cfg['n']} | {k} | {name} | failed: {err[-120:]!r} |||||||| ")
                continue
            ratio = (cx["simulate_s"] / r["simulate_s"]) if cx else None
            extra = f" (+compile {r['compile_s']:.0f} s)" if name == "brian2" else ""
            print(f"| {cfg['n']} | {k} | {name} | {r['build_s']:.2f}{extra} | "
                  f"{r['simulate_s']:.2f} | {r['events_per_s']:.3g} | {r['peak_rss'] / 1e6:.0f} | "
                  f"{fmt(r['bytes_per_synapse'], '.1f')} | {r['rate_e']:.2f} | {r['rate_i']:.2f} | "
                  f"{fmt(ratio, '.2f')} |")
        for th in (1, a.threads):
            b = s.get(f"bare_loop_{th}t")
            if b and cx:
                print(f"| {cfg['n']} | {k} | bare loop, {th} thr | — | {b['simulate_s']:.2f} | "
                      f"{b['events_per_s']:.3g} | | | | | cortexsim reaches "
                      f"{cx['events_per_s'] / b['events_per_s']:.0%} of it |")


if __name__ == "__main__":
    main()
