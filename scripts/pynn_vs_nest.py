"""The same PyNN script on pyNN.cortexsim and on pyNN.nest (on-grid spikes), spike for
spike: the Vogels-Abbott CUBA network (examples/python/pynn_va_benchmark.py) with its
connections given as explicit lists (FromListConnector: the same synapses in both; PyNN's
random connectors draw differently per backend) and PyNN's own random initial
potentials. Needs NEST 3 and PyNN 0.13 in one environment, e.g.

    PYTHONPATH=/work/nestvenv/lib/python3.11/site-packages python scripts/pynn_vs_nest.py

Prints the spike counts and the length of the identical prefix (time, neuron), sorted.
"""

import argparse
import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "python"))
import pynn_va_benchmark as vb  # noqa: E402


def spikes(name, t_stop, seed):
    from pyNN.random import NumpyRNG, RandomDistribution
    sim = importlib.import_module("pyNN." + name)
    cell, w_exc, w_inh = vb.parameters("CUBA")
    sim.setup(timestep=0.1, min_delay=0.2, max_delay=1.0, threads=1,
              spike_precision="on_grid")
    exc = sim.Population(3200, sim.IF_curr_exp(**cell))
    inh = sim.Population(800, sim.IF_curr_exp(**cell))
    v = RandomDistribution("uniform", low=-60.0, high=-50.0, rng=NumpyRNG(seed=seed))
    exc.initialize(v=v)
    inh.initialize(v=v)
    g = np.random.default_rng(seed)
    for pre, w, rec in ((exc, w_exc, "excitatory"), (inh, w_inh, "inhibitory")):
        for post in (exc, inh):
            i, j = np.nonzero(g.random((pre.size, post.size)) < 0.02)
            sim.Projection(pre, post, sim.FromListConnector(list(zip(i.tolist(), j.tolist()))),
                           sim.StaticSynapse(weight=w, delay=0.2), receptor_type=rec)
    exc.record("spikes")
    sim.run(t_stop)
    st = exc.get_data().segments[0].spiketrains
    out = sorted((round(float(t), 6), k) for k, s in enumerate(st) for t in s.magnitude)
    sim.end()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-stop", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    c, n = spikes("cortexsim", a.t_stop, a.seed), spikes("nest", a.t_stop, a.seed)
    k = 0
    while k < min(len(c), len(n)) and c[k] == n[k]:
        k += 1
    print("E spikes: cortexsim %d, NEST %d; identical prefix %d" % (len(c), len(n), k))
    return 0 if (k == len(c) == len(n)) else 1


if __name__ == "__main__":
    sys.exit(main())
