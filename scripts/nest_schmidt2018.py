#!/usr/bin/env python
"""The Schmidt et al. (2018) multi-area model in PyNEST 3.10, built from the same data
files as cortexsim's generator (crates/models/src/schmidt2018.rs), and a per-population
rate comparison of the two simulators at a reduced scale over several seeds.

The data set `schmidt2018-mam` (CC BY-NC-SA 4.0) is read at run time from
$CORTEXSIM_DATA (or --data); nothing of it is copied. The NEST network mirrors the
generator's choices (ground state, `rounding = "round"`):

* populations.csv: one iaf_psc_exp population per row, N = max(1, round(s N)) (Python's
  round: halves to even, as Rust's round_ties_even); C_m 250 pF, tau_m 10 ms, tau_syn
  0.5 ms, t_ref 2 ms, E_L = V_reset = -65 mV, V_th -50 mV, I_e 0 (no DC);
  V_m(0) ~ N(-150, 50) mV unbounded;
* connections.csv: one fixed_total_number projection per row with
  round(indegree_K * N_target) > 0 synapses, autapses and multapses allowed; weights
  normal(w_mean_ground, w_sd_ground) redrawn into [0, inf) (w_sign +1) or (-inf, 0]
  (w_sign -1); delays normal(delay_mean, delay_sd) redrawn into [dt, mean + 5 sd]
  (NEST then rounds them to the dt grid, as cortexsim does);
* one poisson_generator per population at 10 Hz * K_ext (K_ext not rounded), all_to_all,
  weight w_ext_pA (independent trains per target), delay 1 ms (the original code's
  static_synapse default; the drive is stationary, so the delay does not change rates);
* dt = 0.1 ms.

Differences that remain: the random streams (NEST's and cortexsim's realisations of
the same distributions are different networks: compare over seeds), and NEST's
fixed_total_number draws the per-thread synapse numbers multinomially before drawing
sources, which is the same distribution as cortexsim's.

Rates are spikes after --warmup ms over the next --t-sim ms. Each run is its own child
process (one at a time; NEST and cortexsim alternate per seed).

Usage:
  CORTEXSIM_DATA=/abs/shared/data nice -n 19 /work/nestvenv/bin/python \
      scripts/nest_schmidt2018.py --scale 0.002 --seeds 1 2 3 4 5 6 --t-sim 1000 \
      --warmup 200 --threads 2 --json-out benches/results/mam_vs_nest_s0.002.json
  ... --simulators cortexsim --set model.rate_ext=10.3     # a perturbed cortexsim
  ... --compare-only FILE.json                               # re-evaluate a result file
  ... --merge A.json B.json --json-out C.json                # pool the seeds of two runs
Requires target/release/cortexsim (or $CORTEXSIM_BIN).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORTEXSIM = os.environ.get("CORTEXSIM_BIN", os.path.join(ROOT, "target", "release", "cortexsim"))
NETWORK = os.path.join(ROOT, "networks", "schmidt2018_mam.toml")

NEURON = {"C_m": 250.0, "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "t_ref": 2.0,
          "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0, "I_e": 0.0}
V0_MEAN, V0_SD = -150.0, 50.0
RATE_EXT = 10.0
DELAY_MAX_SD = 5.0
DT = 0.1
EXT_DELAY = 1.0

# The criterion (also in tests/models/schmidt2018.rs): populations whose mean NEST spike
# count per run is at least MIN_SPIKES are "tested"; for each, z = (mean_c - mean_n) /
# sqrt(sd_c^2/n_c + sd_n^2/n_n) over the seeds (SD floored at the Poisson SD of the
# mean count, so that a population silent in every run of one simulator has a finite
# z); at least FRAC_PASS of them must have |z| <= Z_MAX, the N-weighted mean rate of
# every area must lie within Z_AREA combined SE (SE of a sum over the populations; 3.5
# rather than 3 as 32 areas are tested at once), the N-weighted mean rate of the whole
# network must lie within Z_MAX combined SE, the mean of z over the tested populations
# (a systematic bias) within Z_MAX / sqrt(tested), and the Pearson correlation of the
# population means must be at least MIN_CORR.
MIN_SPIKES = 10.0
Z_MAX = 3.0
Z_AREA = 3.5
FRAC_PASS = 0.95
MIN_CORR = 0.95


def data_dir(a):
    d = a.data or os.environ.get("CORTEXSIM_DATA")
    if not d:
        sys.exit("set CORTEXSIM_DATA (or --data) to a directory holding schmidt2018-mam/")
    d = os.path.join(d, "schmidt2018-mam")
    if not os.path.isfile(os.path.join(d, "connections.csv")):
        sys.exit(f"no schmidt2018-mam data set in {d}")
    return d


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#") and line.strip()))


def safe(area):
    return "".join(c if (c.isascii() and (c.isalnum() or c == "_")) else "_" for c in area)


def model(d, scale):
    """Populations (name, N, K_ext, w_ext) and projections at this scale, exactly as the
    generator computes them (same float products, same rounding)."""
    pops = []
    for i, r in enumerate(read_csv(os.path.join(d, "populations.csv"))):
        assert int(r["pop_index"]) == i, r
        n = max(1, round(scale * int(r["N"])))
        pops.append({"name": f"{safe(r['area'])}_{r['population']}", "area": r["area"],
                     "n": n, "k_ext": float(r["K_ext"]), "w_ext": float(r["w_ext_pA"])})
    projs = []
    for r in read_csv(os.path.join(d, "connections.csv")):
        t, s = int(r["target_index"]), int(r["source_index"])
        n = round(float(r["indegree_K"]) * pops[t]["n"])
        if n == 0:
            continue
        projs.append({"source": s, "target": t, "n": n,
                      "w_mean": float(r["w_mean_ground_pA"]), "w_sd": float(r["w_sd_ground_pA"]),
                      "w_sign": float(r["w_sign"]),
                      "d_mean": float(r["delay_mean_ms"]), "d_sd": float(r["delay_sd_ms"])})
    return pops, projs


# ----------------------------------------------------------------------------- children
def child_nest(a):
    import nest
    import numpy as np
    pops_d, projs = model(data_dir(a), a.scale)
    nest.ResetKernel()
    nest.set_verbosity("M_WARNING")
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": a.threads,
                          "rng_seed": a.seed, "print_time": False})
    t0 = time.time()
    inf = float("inf")
    pops = []
    for p in pops_d:
        pop = nest.Create("iaf_psc_exp", p["n"], params=NEURON)
        pop.V_m = nest.random.normal(mean=V0_MEAN, std=V0_SD)
        pops.append(pop)
    # One synapse model per target area: NEST holds at most 2^27 - 2 connections per
    # virtual process and synapse model.
    areas = sorted({p["area"] for p in pops_d})
    for ar in areas:
        nest.CopyModel("static_synapse", "mam_" + safe(ar))
    for c in projs:
        lo, hi = (0.0, inf) if c["w_sign"] > 0 else (-inf, 0.0)
        w = nest.math.redraw(nest.random.normal(mean=c["w_mean"], std=c["w_sd"]), min=lo, max=hi)
        dl = nest.math.redraw(nest.random.normal(mean=c["d_mean"], std=c["d_sd"]),
                              min=DT, max=c["d_mean"] + DELAY_MAX_SD * c["d_sd"])
        nest.Connect(pops[c["source"]], pops[c["target"]],
                     {"rule": "fixed_total_number", "N": c["n"],
                      "allow_autapses": True, "allow_multapses": True},
                     {"synapse_model": "mam_" + safe(pops_d[c["target"]]["area"]),
                      "weight": w, "delay": dl})
    for p, pop in zip(pops_d, pops):
        pg = nest.Create("poisson_generator", params={"rate": RATE_EXT * p["k_ext"]})
        nest.Connect(pg, pop, "all_to_all", {"weight": p["w_ext"], "delay": EXT_DELAY})
    sr = nest.Create("spike_recorder", params={"record_to": "memory", "start": a.warmup})
    for pop in pops:
        nest.Connect(pop, sr)
    nest.Prepare()
    build = time.time() - t0
    t1 = time.time()
    nest.Run(a.warmup + a.t_sim)
    sim = time.time() - t1
    nest.Cleanup()
    first = np.array([pop[0].global_id for pop in pops])
    senders = np.asarray(sr.get("events")["senders"])
    idx = np.searchsorted(first, senders, side="right") - 1
    counts = np.bincount(idx, minlength=len(pops))
    print(json.dumps({"build_s": build, "simulate_s": sim,
                      "spikes": {p["name"]: int(k) for p, k in zip(pops_d, counts)},
                      "synapses": nest.GetKernelStatus("num_connections")}))


def run_cortexsim(a, seed):
    import h5py
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mam.h5")
        cmd = [CORTEXSIM, "run", NETWORK, "--data", os.path.dirname(data_dir(a)), "--json",
               "--threads", str(a.threads), "--seed", str(seed), "--out", out,
               "--set", f"simulation.scale={a.scale}",
               "--set", f"simulation.t_stop={a.warmup + a.t_sim}"]
        for s in a.set:
            cmd += ["--set", s]
        o, err, rc, rss, wall = spawn(cmd)
        if rc != 0:
            return {"error": (err.strip() or o.strip())[-800:]}
        j = last_json(o)
        spikes = {}
        with h5py.File(out, "r") as f:
            for name, g in f["spikes"].items():
                ts = g["timestamps"][:]
                spikes[name] = int((ts > a.warmup).sum())
    return {"build_s": j["timings_s"]["build"], "simulate_s": j["timings_s"]["simulate"],
            "spikes": spikes, "synapses": j["synapses"], "peak_rss": rss, "wall_s": wall}


def run_nest(a, seed):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--scale", str(a.scale),
           "--seed", str(seed), "--t-sim", str(a.t_sim), "--warmup", str(a.warmup),
           "--threads", str(a.threads), "--data", os.path.dirname(data_dir(a))]
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OMP_WAIT_POLICY="PASSIVE")
    o, err, rc, rss, wall = spawn(cmd, env=env)
    if rc != 0:
        return {"error": (err.strip() or o.strip())[-800:]}
    j = last_json(o)
    j["peak_rss"] = rss
    j["wall_s"] = wall
    return j


def spawn(cmd, env=None):
    t0 = time.time()
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=fo, stderr=fe, text=True, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        return fo.read(), fe.read(), rc, ru.ru_maxrss * 1024, time.time() - t0


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    return json.loads(text[text.find("{"):])


# ----------------------------------------------------------------------------- statistics
def summarize(runs, pops, t_sim):
    """Per population: mean and SD (ddof 1) over the runs of the rate (Hz) and mean count."""
    ok = [r for r in runs if "error" not in r]
    out = {"runs": len(ok), "rate_mean_hz": {}, "rate_sd_hz": {}, "spikes_mean": {}}
    if not ok:
        return out
    for p in pops:
        rates = [r["spikes"].get(p["name"], 0) / (p["n"] * t_sim * 1e-3) for r in ok]
        m = sum(rates) / len(rates)
        sd = math.sqrt(sum((x - m) ** 2 for x in rates) / (len(rates) - 1)) if len(rates) > 1 else 0.0
        out["rate_mean_hz"][p["name"]] = m
        out["rate_sd_hz"][p["name"]] = sd
        out["spikes_mean"][p["name"]] = sum(r["spikes"].get(p["name"], 0) for r in ok) / len(ok)
    for k in ("build_s", "simulate_s", "peak_rss"):
        v = sorted(r[k] for r in ok if k in r)
        if v:
            out[k + "_median"] = v[len(v) // 2]
    return out


def compare(c, n, pops, t_sim):
    """The criterion (see MIN_SPIKES ...): per-population z, area means, correlation."""
    def se2(s, p):
        # SD over seeds, floored at the Poisson SD of one run's rate (at the mean count
        # plus one, so that zero counts give a finite floor).
        floor = math.sqrt(s["spikes_mean"][p["name"]] + 1.0) / (p["n"] * t_sim * 1e-3)
        return max(s["rate_sd_hz"][p["name"]], floor) ** 2 / s["runs"]

    rows, tested, passed = [], 0, 0
    for p in pops:
        name = p["name"]
        mc, mn = c["rate_mean_hz"][name], n["rate_mean_hz"][name]
        z = (mc - mn) / math.sqrt(se2(c, p) + se2(n, p))
        t = n["spikes_mean"][name] >= MIN_SPIKES
        tested += t
        passed += t and abs(z) <= Z_MAX
        rows.append({"pop": name, "cortexsim": mc, "nest": mn, "z": z, "tested": t})
    xs = [r["cortexsim"] for r in rows]
    ys = [r["nest"] for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    corr = (sum((x - mx) * (y - my) for x, y in zip(xs, ys))
            / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys)))
    areas = {}
    for p in pops:
        areas.setdefault(p["area"], []).append(p)
    area_rows = []
    for ar, ps in areas.items():
        ntot = sum(p["n"] for p in ps)
        vals = []
        for s in (c, n):
            m = sum(s["rate_mean_hz"][p["name"]] * p["n"] for p in ps) / ntot
            v = sum(se2(s, p) * p["n"] ** 2 for p in ps) / ntot ** 2
            vals.append((m, v))
        z = (vals[0][0] - vals[1][0]) / math.sqrt(vals[0][1] + vals[1][1])
        area_rows.append({"area": ar, "cortexsim": vals[0][0], "nest": vals[1][0], "z": z})
    ntot = sum(p["n"] for p in pops)
    mean = [sum(s["rate_mean_hz"][p["name"]] * p["n"] for p in pops) / ntot for s in (c, n)]
    var = sum((se2(c, p) + se2(n, p)) * p["n"] ** 2 for p in pops) / ntot ** 2
    z_net = (mean[0] - mean[1]) / math.sqrt(var)
    zt = [r["z"] for r in rows if r["tested"]]
    bias = sum(zt) / len(zt) * math.sqrt(len(zt)) if zt else 0.0
    frac = passed / tested if tested else 0.0
    ok = (frac >= FRAC_PASS and corr >= MIN_CORR and abs(z_net) <= Z_MAX and abs(bias) <= Z_MAX
          and all(abs(r["z"]) <= Z_AREA for r in area_rows))
    return {"criterion": {"min_spikes": MIN_SPIKES, "z_max": Z_MAX, "z_area": Z_AREA,
                          "frac_pass": FRAC_PASS,
                          "min_corr": MIN_CORR},
            "tested": tested, "passed": passed, "frac": frac, "corr": corr,
            "mean_rate_hz": {"cortexsim": mean[0], "nest": mean[1]}, "z_network": z_net,
            "z_bias": bias,
            "max_abs_z_area": max(abs(r["z"]) for r in area_rows),
            "ok": ok, "populations": rows, "areas": area_rows}


def report(res, pops):
    cmp_ = res.get("comparison")
    if not cmp_:
        return
    print(f"scale {res['scale']}, {res['t_sim_ms']:g} ms after {res['warmup_ms']:g} ms, "
          f"{res['summary']['cortexsim']['runs']} cortexsim / {res['summary']['nest']['runs']} NEST runs")
    print(f"N-weighted mean rate: cortexsim {cmp_['mean_rate_hz']['cortexsim']:.3f} Hz, "
          f"NEST {cmp_['mean_rate_hz']['nest']:.3f} Hz; correlation of population means "
          f"{cmp_['corr']:.4f}")
    print(f"populations with >= {MIN_SPIKES:g} NEST spikes/run: {cmp_['tested']}, |z| <= {Z_MAX:g}: "
          f"{cmp_['passed']} ({100 * cmp_['frac']:.1f} %); max |z| over areas "
          f"{cmp_['max_abs_z_area']:.2f}; network z {cmp_['z_network']:+.2f}, bias z "
          f"{cmp_['z_bias']:+.2f}; criterion {'PASSED' if cmp_['ok'] else 'FAILED'}")
    worst = sorted(cmp_["populations"], key=lambda r: -abs(r["z"]))[:8]
    print("largest |z|: " + ", ".join(f"{r['pop']} {r['cortexsim']:.2f}/{r['nest']:.2f} Hz z={r['z']:.1f}"
                                      for r in worst))
    print("| area | cortexsim Hz | NEST Hz | z |")
    print("|---|---|---|---|")
    for r in cmp_["areas"]:
        print(f"| {r['area']} | {r['cortexsim']:.3f} | {r['nest']:.3f} | {r['z']:+.2f} |")


def finish(res, pops, json_out):
    """Compare the two simulators' summaries (where both ran), save the result file,
    print the report."""
    if "cortexsim" in res["summary"] and "nest" in res["summary"]:
        res["comparison"] = compare(res["summary"]["cortexsim"], res["summary"]["nest"],
                                    pops, res["t_sim_ms"])
    if json_out:
        with open(json_out, "w") as f:
            json.dump(res, f, indent=1)
    report(res, pops)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.002)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--warmup", type=float, default=200.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data")
    ap.add_argument("--simulators", nargs="+", default=["cortexsim", "nest"],
                    choices=["cortexsim", "nest"])
    ap.add_argument("--set", action="append", default=[],
                    help="extra --set for cortexsim (a perturbation check)")
    ap.add_argument("--reference", help="take the NEST summary from this result file")
    ap.add_argument("--compare-only", help="re-evaluate this result file, run nothing")
    ap.add_argument("--merge", nargs="+", help="merge the runs of these result files (same "
                    "scale, warm-up and duration; other seeds), write --json-out, run nothing")
    ap.add_argument("--json-out")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child_nest(a)
        return
    if a.merge:
        parts = []
        for m in a.merge:
            with open(m) as f:
                parts.append(json.load(f))
        res = parts[0]
        for q in parts[1:]:
            assert (q["scale"], q["t_sim_ms"], q["warmup_ms"]) == (res["scale"], res["t_sim_ms"],
                                                                 res["warmup_ms"]), q["command"]
            res["seeds"] = res["seeds"] + q["seeds"]
            res["command"] = res["command"] + " ; " + q["command"]
            for sim_, runs in q["runs"].items():
                res["runs"].setdefault(sim_, []).extend(runs)
        pops, _ = model(data_dir(a), res["scale"])
        res["summary"] = {s_: summarize(runs, pops, res["t_sim_ms"]) for s_, runs in res["runs"].items()}
        return finish(res, pops, a.json_out)
    if a.compare_only:
        with open(a.compare_only) as f:
            res = json.load(f)
        pops, _ = model(data_dir(a), res["scale"])
        return finish(res, pops, a.json_out)
    pops, projs = model(data_dir(a), a.scale)
    res = {"scale": a.scale, "t_sim_ms": a.t_sim, "warmup_ms": a.warmup, "threads": a.threads,
           "seeds": a.seeds, "neurons": sum(p["n"] for p in pops),
           "synapses": sum(c["n"] for c in projs), "cortexsim_set": a.set,
           "command": " ".join(sys.argv), "populations": [p["name"] for p in pops],
           "sizes": [p["n"] for p in pops], "runs": {s: [] for s in a.simulators}}
    for i, seed in enumerate(a.seeds):
        order = a.simulators if i % 2 == 0 else a.simulators[::-1]
        for s in order:
            print(f"seed {seed}: {s} ...", file=sys.stderr, flush=True)
            r = run_cortexsim(a, seed) if s == "cortexsim" else run_nest(a, seed)
            r["seed"] = seed
            if "error" in r:
                print(f"  error: {r['error']}", file=sys.stderr, flush=True)
            else:
                tot = sum(r["spikes"].values())
                print(f"  build {r['build_s']:.1f} s, simulate {r['simulate_s']:.1f} s, peak RSS "
                      f"{r['peak_rss'] / 2**30:.2f} GiB, mean rate "
                      f"{tot / (res['neurons'] * a.t_sim * 1e-3):.3f} Hz", file=sys.stderr, flush=True)
            res["runs"][s].append(r)
    res["summary"] = {s: summarize(runs, pops, a.t_sim) for s, runs in res["runs"].items()}
    if a.reference:
        with open(a.reference) as f:
            ref = json.load(f)
        assert ref["scale"] == a.scale and ref["t_sim_ms"] == a.t_sim and ref["warmup_ms"] == a.warmup
        res["summary"]["nest"] = ref["summary"]["nest"]
    finish(res, pops, a.json_out)


if __name__ == "__main__":
    main()
