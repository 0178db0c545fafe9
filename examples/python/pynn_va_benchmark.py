"""The Vogels-Abbott benchmark networks (Brette et al. 2007, benchmarks 1 and 2: COBA
and CUBA) written in PyNN, run on pyNN.cortexsim (or any PyNN backend), and the same
network written directly for cortexsim's Python API, with rates and wall times.

    python examples/python/pynn_va_benchmark.py [--benchmark COBA|CUBA]
        [--simulator cortexsim|nest|...] [--t-stop MS] [--seed S] [--direct]
        [--spike-precision on_grid|off_grid]
    python examples/python/pynn_va_benchmark.py --benchmark COBA --seeds 1-10
        [--simulators cortexsim,nest] [--json FILE]

The PyNN script is PyNN's examples/VAbenchmarks.py reduced to its network (4000
neurons, 2 % connection probability; COBA: iaf_cond_exp, 4 nS / 51 nS, a 50 ms Poisson
kick; CUBA: iaf_psc_exp, 0.27 nS / 4.5 nS at -60 mV). `--direct` also runs the network
as a cortexsim description (`pairwise_bernoulli` instead of PyNN's connector: other
random draws, the same statistics). The seed (`--seed`) draws PyNN's initial potentials
and connections (`NumpyRNG`) and is the backend's `rng_seed` (its Poisson kick-off)
unless `--rng-seed` is given.

`--seeds A-B` is the seed band: each seed on each of `--simulators` in a fresh process,
one at a time; it prints per backend the mean, SD and min-max of the E and I rates and a
Welch t-test between the first two backends, and writes every run to `--json`. COBA's
activity dies out after the kick-off in some networks (E about 1.4 Hz): those runs
(E < `--died-below`, 5 Hz) are counted apart. `--summarize FILE...` recomputes this from
`--json` files.
"""

import argparse
import importlib
import json
import math
import re
import subprocess
import sys
import time

import numpy as np

N, R_EI, PCONN, DT, DELAY = 4000, 4.0, 0.02, 0.1, 0.2


def parameters(benchmark):
    area = 20000.0 * 1e-8  # cm^2
    cm = 1.0 * area * 1000.0  # nF
    cell = {"tau_m": 20.0, "tau_syn_E": 5.0, "tau_syn_I": 10.0, "v_reset": -60.0,
            "v_thresh": -50.0, "cm": cm, "tau_refrac": 5.0,
            "v_rest": -60.0 if benchmark == "COBA" else -49.0}
    if benchmark == "COBA":
        cell.update(e_rev_E=0.0, e_rev_I=-80.0)
        w_exc, w_inh = 4.0e-3, 51.0e-3  # uS
    else:
        w_exc, w_inh = 1e-3 * 0.27 * 60.0, 1e-3 * 4.5 * (-20.0)  # nA
    return cell, w_exc, w_inh


def run_pynn(sim, benchmark, t_stop, seed, spike_precision=None, rng_seed=None):
    from pyNN.random import NumpyRNG, RandomDistribution
    cell, w_exc, w_inh = parameters(benchmark)
    t0 = time.perf_counter()
    extra = {} if spike_precision is None else {"spike_precision": spike_precision}
    sim.setup(timestep=DT, min_delay=DELAY, max_delay=1.0, threads=1,
              rng_seed=seed if rng_seed is None else rng_seed, **extra)
    n_exc = int(round(N * R_EI / (1 + R_EI)))
    celltype = sim.IF_cond_exp if benchmark == "COBA" else sim.IF_curr_exp
    exc = sim.Population(n_exc, celltype(**cell), label="E")
    inh = sim.Population(N - n_exc, celltype(**cell), label="I")
    rng = NumpyRNG(seed=seed)
    v = RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng)
    exc.initialize(v=v)
    inh.initialize(v=v)
    conn = sim.FixedProbabilityConnector(PCONN, rng=rng)
    es, is_ = (sim.StaticSynapse(weight=w_exc, delay=DELAY),
               sim.StaticSynapse(weight=w_inh, delay=DELAY))
    for pre, syn, rec in ((exc, es, "excitatory"), (inh, is_, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, conn, syn, receptor_type=rec)
    if benchmark == "COBA":
        ext = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0))
        for post in (exc, inh):
            sim.Projection(ext, post, sim.FixedProbabilityConnector(0.01, rng=rng),
                           sim.StaticSynapse(weight=0.1), receptor_type="excitatory")
    exc.record("spikes")
    inh.record("spikes")
    t1 = time.perf_counter()
    sim.run(t_stop)
    t2 = time.perf_counter()
    rates = [p.mean_spike_count() * 1000.0 / t_stop for p in (exc, inh)]
    sim.end()
    return rates, t1 - t0, t2 - t1


def run_direct(benchmark, t_stop, seed):
    import cortexsim
    cell, w_exc, w_inh = parameters(benchmark)
    params = {"C_m": cell["cm"] * 1000.0, "E_L": cell["v_rest"], "V_th": -50.0,
              "V_reset": -60.0, "t_ref": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0}
    if benchmark == "COBA":
        params.update(g_L=cell["cm"] / 20.0 * 1000.0, E_ex=0.0, E_in=-80.0)
        model, we, wi = "iaf_cond_exp", w_exc * 1000.0, -w_inh * 1000.0
    else:
        params.update(tau_m=20.0)
        model, we, wi = "iaf_psc_exp", w_exc * 1000.0, w_inh * 1000.0
    n_exc = int(round(N * R_EI / (1 + R_EI)))
    v = {"distribution": "uniform", "low": -60.0, "high": -50.0}
    pops = [{"name": "E", "size": n_exc, "model": model, "params": params, "v_init": v},
            {"name": "I", "size": N - n_exc, "model": model, "params": params, "v_init": v}]
    prj = [{"source": s, "target": t, "rule": "pairwise_bernoulli", "p": PCONN,
            "weight": w, "delay": DELAY} for s, w in (("E", we), ("I", wi)) for t in ("E", "I")]
    if benchmark == "COBA":
        pops.append({"name": "ext", "size": 20, "model": "spike_source_poisson",
                     "params": {"rate": 100.0, "stop": 50.0}})
        prj += [{"source": "ext", "target": t, "rule": "pairwise_bernoulli", "p": 0.01,
                 "weight": 100.0, "delay": DELAY} for t in ("E", "I")]
    d = {"simulation": {"dt": DT, "t_stop": t_stop, "seed": seed, "threads": 1},
         "populations": pops, "projections": prj,
         "recorders": {"spikes": ["E", "I"], "rate_bin": 0.0}}
    t0 = time.perf_counter()
    net = cortexsim.from_dict(d)
    res = net.run(progress=False)
    t1 = time.perf_counter()
    s = res.summary["populations"]
    return [s["E"]["rate_hz"], s["I"]["rate_hz"]], 0.0, t1 - t0


LINE = re.compile(r"through pyNN\.(\S+): E ([0-9.]+) Hz, I ([0-9.]+) Hz; "
                  r"script ([0-9.]+) s \+ run ([0-9.]+) s")


def welch(a, b):
    """Welch's t statistic, its degrees of freedom and two-sided p-value."""
    ma, mb = np.mean(a), np.mean(b)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    t = (ma - mb) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    try:
        from scipy import stats
        p = float(2.0 * stats.t.sf(abs(t), df))
    except ImportError:  # the normal approximation
        p = math.erfc(abs(t) / math.sqrt(2.0))
    return t, df, p


def seed_band(a):
    lo, _, hi = a.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    sims = a.simulators.split(",")
    runs = []
    for name in sims:
        for seed in seeds:
            cmd = [sys.executable, __file__, "--benchmark", a.benchmark, "--simulator", name,
                   "--t-stop", str(a.t_stop), "--seed", str(seed)]
            if a.spike_precision:
                cmd += ["--spike-precision", a.spike_precision]
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            m = LINE.search(out.stdout)
            if out.returncode != 0 or m is None:
                sys.stderr.write(out.stdout + out.stderr)
                raise SystemExit("%s seed %d failed (exit %d)" % (name, seed, out.returncode))
            r = {"simulator": name, "seed": seed, "E_hz": float(m.group(2)),
                 "I_hz": float(m.group(3)), "script_s": float(m.group(4)),
                 "run_s": float(m.group(5)), "wall_s": round(wall, 2)}
            print("%s seed %3d: E %.2f Hz, I %.2f Hz (wall %.1f s)"
                  % (name, seed, r["E_hz"], r["I_hz"], wall), flush=True)
            runs.append(r)
    summary = summarize(runs, sims, a.died_below)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"benchmark": a.benchmark, "t_stop_ms": a.t_stop,
                       "spike_precision": a.spike_precision, "command": sys.argv,
                       "runs": runs, "summary": summary}, f, indent=1, default=float)


def summarize(runs, sims, died_below):
    """Per backend: mean, SD, min-max of the rates; Welch's test between the first two.
    COBA's activity is self-sustained after the 50 ms kick-off, or dies out (E rate about
    1.4 Hz: the kick-off's spikes only): runs with E below `died_below` Hz are counted as
    died out and left out of the statistics (0: keep all)."""
    summary = {}
    kept = {}
    for name in sims:
        mine = [r for r in runs if r["simulator"] == name]
        kept[name] = [r for r in mine if r["E_hz"] >= died_below]
        dead = sorted(r["seed"] for r in mine if r["E_hz"] < died_below)
        summary[name + " died out"] = dead
        if died_below > 0:
            print("%-10s died out (E < %g Hz): %d of %d runs%s"
                  % (name, died_below, len(dead), len(mine),
                     " (seeds %s)" % ", ".join(map(str, dead)) if dead else ""))
        for k in ("E_hz", "I_hz"):
            x = np.array([r[k] for r in kept[name]])
            summary[name + " " + k] = {"mean": x.mean(), "sd": x.std(ddof=1),
                                        "min": x.min(), "max": x.max(), "n": len(x)}
            print("%-10s %s: mean %.3f  SD %.3f  min-max %.2f-%.2f  (n = %d)"
                  % (name, k[0], x.mean(), x.std(ddof=1), x.min(), x.max(), len(x)))
    if len(sims) >= 2:
        for k in ("E_hz", "I_hz"):
            x, y = ([r[k] for r in kept[s]] for s in sims[:2])
            t, df, p = welch(x, y)
            summary["welch " + k] = {"t": t, "df": df, "p": p}
            print("Welch %s - %s, %s: difference %+.3f Hz, t = %.2f, df = %.1f, p = %.3g"
                  % (sims[0], sims[1], k[0], np.mean(x) - np.mean(y), t, df, p))
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmark", choices=["COBA", "CUBA"], default="COBA")
    ap.add_argument("--simulator", default="cortexsim")
    ap.add_argument("--t-stop", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=98765)
    ap.add_argument("--rng-seed", type=int,
                    help="the backend's rng_seed (the Poisson kick-off), if not --seed")
    ap.add_argument("--direct", action="store_true",
                    help="also run the network through cortexsim's own API")
    ap.add_argument("--spike-precision", choices=["on_grid", "off_grid"],
                    help="passed to setup() (pyNN.nest: off_grid, its default, selects "
                    "NEST's precise-spike-time models)")
    ap.add_argument("--seeds", help="A-B: the seed band (see above)")
    ap.add_argument("--simulators", default="cortexsim,nest")
    ap.add_argument("--json", help="with --seeds: write every run here")
    ap.add_argument("--died-below", type=float, default=5.0,
                    help="with --seeds: runs with E below this rate (Hz) died out and are "
                    "left out of the statistics (COBA; 0: keep all)")
    ap.add_argument("--summarize", nargs="+", metavar="JSON",
                    help="summarize the runs of earlier --json files (of one benchmark)")
    a = ap.parse_args()
    if a.summarize:
        runs = [r for f in a.summarize for r in json.load(open(f))["runs"]]
        sims = list(dict.fromkeys(r["simulator"] for r in runs))
        summarize(runs, sims, a.died_below)
        return 0
    if a.seeds:
        return seed_band(a)
    sim = importlib.import_module("pyNN." + a.simulator)
    rates, build_s, run_s = run_pynn(sim, a.benchmark, a.t_stop, a.seed, a.spike_precision,
                                     a.rng_seed)
    print("%s through pyNN.%s: E %.2f Hz, I %.2f Hz; script %.2f s + run %.2f s"
          % (a.benchmark, a.simulator, rates[0], rates[1], build_s, run_s))
    if a.direct:
        rates, _b, run_s = run_direct(a.benchmark, a.t_stop, a.seed)
        print("%s through cortexsim's API: E %.2f Hz, I %.2f Hz; build + run %.2f s"
              % (a.benchmark, rates[0], rates[1], run_s))
    assert all(np.isfinite(rates))


if __name__ == "__main__":
    main()
