"""Conductance traces (gsyn_exc, gsyn_inh) of the same PyNN script on pyNN.cortexsim and
on pyNN.nest (on-grid spikes): 20 SpikeSourceArray inputs (times on a 0.5 ms grid) onto 10
IF_cond_exp (or --cell IF_cond_alpha) cells through explicit excitatory and inhibitory
connection lists, plus sparse recurrent excitation among the cells. Needs NEST 3 and
PyNN 0.13 in one environment, e.g.

    PYTHONPATH=/work/nestvenv/lib/python3.11/site-packages python scripts/pynn_gsyn_vs_nest.py

Prints, per variable, the largest absolute difference over every sample and cell (uS for
the conductances, mV for v) and whether the spikes are identical.
"""

import argparse
import importlib

import numpy as np


def traces(name, cell, t_stop, seed):
    sim = importlib.import_module("pyNN." + name)
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=5.0, threads=1,
              spike_precision="on_grid")
    g = np.random.default_rng(seed)
    # On a 0.5 ms grid: binary-exact times. pyNN.nest's spike_generator takes a time such as
    # 65.4 (65.400000000000006 in binary) as off the grid and emits it at 65.5; cortexsim
    # rounds it to 65.4 - a different input, not a different recording.
    times = [sorted({round(t * 2.0) / 2.0 for t in np.cumsum(g.exponential(20.0, 40))
                     if 0.5 <= t < t_stop}) for _ in range(20)]
    src = sim.Population(20, sim.SpikeSourceArray(spike_times=times))
    cells = sim.Population(10, getattr(sim, cell)(tau_m=15.0, i_offset=0.2, tau_syn_E=3.0,
                                                  tau_syn_I=7.0))
    for rec, w, p in (("excitatory", 0.01, 0.5), ("inhibitory", 0.02, 0.3)):
        i, j = np.nonzero(g.random((20, 10)) < p)
        d = np.round(g.uniform(0.5, 3.0, len(i)), 1)
        conns = [(a, b, w, dl) for a, b, dl in zip(i.tolist(), j.tolist(), d.tolist())]
        sim.Projection(src, cells, sim.FromListConnector(conns, column_names=["weight", "delay"]),
                       sim.StaticSynapse(), receptor_type=rec)
    i, j = np.nonzero(g.random((10, 10)) < 0.2)
    sim.Projection(cells, cells, sim.FromListConnector(list(zip(i.tolist(), j.tolist()))),
                   sim.StaticSynapse(weight=0.005, delay=1.0), receptor_type="excitatory")
    cells.record(["spikes", "v", "gsyn_exc", "gsyn_inh"])
    sim.run(t_stop)
    seg = cells.get_data().segments[0]
    out = {v: seg.filter(name=v)[0].magnitude.copy() for v in ("v", "gsyn_exc", "gsyn_inh")}
    out["spikes"] = sorted((round(float(t), 6), k) for k, s in enumerate(seg.spiketrains)
                           for t in s.magnitude)
    sim.end()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell", default="IF_cond_exp", choices=["IF_cond_exp", "IF_cond_alpha"])
    ap.add_argument("--t-stop", type=float, default=200.0)
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    cx = traces("cortexsim", a.cell, a.t_stop, a.seed)
    ne = traces("nest", a.cell, a.t_stop, a.seed)
    for v, unit in (("gsyn_exc", "uS"), ("gsyn_inh", "uS"), ("v", "mV")):
        assert cx[v].shape == ne[v].shape, (v, cx[v].shape, ne[v].shape)
        print("%-8s %s samples x %d cells: max |cortexsim - NEST| = %.3e %s (max |NEST| %.3e)"
              % (v, cx[v].shape[0], cx[v].shape[1], np.max(np.abs(cx[v] - ne[v])), unit,
                 np.max(np.abs(ne[v]))))
    print("spikes: cortexsim %d, NEST %d, identical: %s"
          % (len(cx["spikes"]), len(ne["spikes"]), cx["spikes"] == ne["spikes"]))


if __name__ == "__main__":
    main()
