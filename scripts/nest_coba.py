#!/usr/bin/env python
"""NEST 3.10 runs of the COBA network of networks/vogels_abbott_coba.toml
(Vogels & Abbott 2005; Brette et al. 2007 benchmark 1, as NEST's
pynest/examples/brette_et_al_2007/coba.py), for the rate comparison in the README.

Run:  /work/nestvenv/bin/python scripts/nest_coba.py [--seeds 1,2,3] [--t-stop 1000]
      [--threads 1] [--json]

The network is the one in the TOML file, built the same way: 3200 E / 800 I
iaf_cond_exp (E_L = -60, V_th = -50, V_reset = -60 mV, t_ref = 5 ms, C_m = 200 pF,
g_L = 10 nS, E_ex = 0, E_in = -80 mV, tau_syn 5/10 ms, I_e = 200 pA: the 20 mV
bias of the Brian2/BrainPy form of the benchmark); fixed in-degree 64 from E (6 nS)
and 16 from I (-67 nS) onto every neuron, autapses and multapses allowed (NEST's
defaults), delay 0.1 ms, dt 0.1 ms; V_m initially uniform in [-60, -50] mV; no kick.
(NEST's own coba.py has no bias and kicks 50 neurons for 50 ms; with NEST 3.10 its
activity dies out within 200 ms: `--original` runs that form.)
Printed per seed: mean rate of E and I over [200, t_stop) ms and over the whole run,
and the wall time of Simulate.
"""
import argparse
import json
import time

import nest
import numpy as np

P = {"E_L": -60.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0, "E_ex": 0.0,
     "E_in": -80.0, "C_m": 200.0, "g_L": 10.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0}


def run(seed, t_stop, threads, original=False):
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": threads, "rng_seed": seed})
    p = dict(P, I_e=0.0 if original else 200.0)
    e = nest.Create("iaf_cond_exp", 3200, params=p)
    i = nest.Create("iaf_cond_exp", 800, params=p)
    for pop in (e, i):
        pop.V_m = -60.0 if original else nest.random.uniform(-60.0, -50.0)
    for src, w, k in ((e, 6.0, 64), (i, -67.0, 16)):
        for tgt in (e, i):
            nest.Connect(src, tgt, {"rule": "fixed_indegree", "indegree": k},
                         {"synapse_model": "static_synapse", "weight": w, "delay": 0.1})
    if original:
        kick = nest.Create("poisson_generator",
                           params={"rate": 300.0, "start": 1.0, "stop": 51.0})
        nest.Connect(kick, e[:50], syn_spec={"weight": 6.0, "delay": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(e + i, sr)
    t0 = time.time()
    nest.Simulate(t_stop)
    wall = time.time() - t0
    ev = sr.get("events")
    t, s = np.asarray(ev["times"]), np.asarray(ev["senders"])
    is_e = s <= e.tolist()[-1]
    late = t >= 200.0
    out = {
        "seed": seed,
        "t_stop": t_stop,
        "rate_E": float(is_e.sum() / 3200 / t_stop * 1e3),
        "rate_I": float((~is_e).sum() / 800 / t_stop * 1e3),
        "rate_E_late": float((is_e & late).sum() / 3200 / (t_stop - 200.0) * 1e3),
        "rate_I_late": float((~is_e & late).sum() / 800 / (t_stop - 200.0) * 1e3),
        "spikes": int(len(t)),
        "wall_s": wall,
    }
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--t-stop", type=float, default=1000.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--original", action="store_true",
                    help="NEST's coba.py: no bias, V_m = -60, 50 neurons kicked for 50 ms")
    a = ap.parse_args()
    nest.set_verbosity("M_ERROR")
    res = [run(int(s), a.t_stop, a.threads, a.original) for s in a.seeds.split(",")]
    if a.json:
        print(json.dumps(res, indent=1))
    else:
        for r in res:
            print(f"seed {r['seed']}: E {r['rate_E']:.2f} Hz, I {r['rate_I']:.2f} Hz "
                  f"(from 200 ms: E {r['rate_E_late']:.2f}, I {r['rate_I_late']:.2f}); "
                  f"{r['spikes']} spikes, Simulate {r['wall_s']:.1f} s")


if __name__ == "__main__":
    main()
