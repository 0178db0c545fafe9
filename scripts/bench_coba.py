#!/usr/bin/env python
"""Speed and rates of the COBA network (networks/vogels_abbott_coba.toml): cortexsim at
its default integration tolerance (ode_tolerance = 1e-7 mV) and at NEST's (1e-3), and
NEST 3.10 (scripts/nest_coba.py, the same network), side by side in one run.

Every run is its own child process on --threads threads; the three simulators run
alternately (the order rotates each repetition) so that the noise of a shared machine
hits them alike. Per simulator: the wall time of the simulation phase (cortexsim's
timings_s.simulate, NEST's Simulate), min and max over repetitions and seeds, synaptic
events/s = spikes x 80 (the mean out-degree: 320,000 synapses / 4,000 neurons, the same
for both) / simulate time (from the fastest run of each seed), and the E/I rates per seed.

Usage (the NEST venv: it needs nest):
  /work/nestvenv/bin/python scripts/bench_coba.py [--seeds 1,2,3] [--reps 3] [--threads 1]
      [--t-stop 1000] [--json-out FILE]
Requires target/release/cortexsim (or $CORTEXSIM).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORTEXSIM = os.environ.get("CORTEXSIM", os.path.join(ROOT, "target", "release", "cortexsim"))
NETWORK = os.path.join(ROOT, "networks", "vogels_abbott_coba.toml")
OUT_DEGREE = 320000 / 4000


def last_json(text):
    start = text.find("{") if text.lstrip().startswith("{") else text.find("[")
    return json.loads(text[start:])


def run_cortexsim(tol, seed, a):
    cmd = [CORTEXSIM, "run", NETWORK, "--json", "--no-output", "--threads", str(a.threads),
           "--seed", str(seed), "--t-stop", str(a.t_stop)]
    if tol is not None:
        cmd += ["--set", f"populations.E.params.ode_tolerance={tol}",
                "--set", f"populations.I.params.ode_tolerance={tol}"]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"cortexsim failed: {p.stderr.strip()[-500:]}")
    j = json.loads(p.stdout[p.stdout.find("{"):])
    pops = j["populations"]
    return {"simulate_s": j["timings_s"]["simulate"],
            "spikes": pops["E"]["spikes"] + pops["I"]["spikes"],
            "rate_E": pops["E"]["rate_hz"], "rate_I": pops["I"]["rate_hz"]}


def run_nest(seed, a):
    cmd = [sys.executable, os.path.join(HERE, "nest_coba.py"), "--seeds", str(seed),
           "--threads", str(a.threads), "--t-stop", str(a.t_stop), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"NEST failed: {p.stderr.strip()[-500:]}")
    j = last_json(p.stdout)[0]
    return {"simulate_s": j["wall_s"], "spikes": j["spikes"],
            "rate_E": j["rate_E"], "rate_I": j["rate_I"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--t-stop", type=float, default=1000.0)
    ap.add_argument("--json-out")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    sims = {"cortexsim 1e-7": lambda s: run_cortexsim(None, s, a),
            "cortexsim 1e-3": lambda s: run_cortexsim(1e-3, s, a),
            "NEST 3.10": lambda s: run_nest(s, a)}
    names = list(sims)
    runs = {n: {s: [] for s in seeds} for n in names}
    for rep in range(a.reps):
        order = names[rep % 3:] + names[:rep % 3]
        for seed in seeds:
            for n in order:
                r = sims[n](seed)
                runs[n][seed].append(r)
                print(f"rep {rep + 1} seed {seed} {n}: {r['simulate_s']:.3f} s, "
                      f"E {r['rate_E']:.2f} Hz, I {r['rate_I']:.2f} Hz", file=sys.stderr)
    summary = {}
    for n in names:
        times = [r["simulate_s"] for s in seeds for r in runs[n][s]]
        ev = [runs[n][s][0]["spikes"] * OUT_DEGREE / min(r["simulate_s"] for r in runs[n][s])
              for s in seeds]
        summary[n] = {
            "simulate_s_min": min(times), "simulate_s_max": max(times),
            "events_per_s_best": max(ev), "events_per_s_seeds": ev,
            "rate_E": [runs[n][s][0]["rate_E"] for s in seeds],
            "rate_I": [runs[n][s][0]["rate_I"] for s in seeds],
        }
    nest = summary["NEST 3.10"]["events_per_s_best"]
    print(f"COBA, {a.t_stop:g} ms, {a.threads} thread(s), seeds {a.seeds}, {a.reps} reps")
    print(f"{'':16} {'simulate s (min-max)':>22} {'events/s (best)':>16} {'vs NEST':>8}  "
          f"rates E / I (Hz, per seed)")
    for n in names:
        s = summary[n]
        rates = ", ".join(f"{e:.2f}/{i:.2f}" for e, i in zip(s["rate_E"], s["rate_I"]))
        print(f"{n:16} {s['simulate_s_min']:>10.3f} - {s['simulate_s_max']:<9.3f} "
              f"{s['events_per_s_best']:>16.3e} {s['events_per_s_best'] / nest:>8.2f}  {rates}")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"args": vars(a), "summary": summary, "runs": runs}, f, indent=1)


if __name__ == "__main__":
    main()
