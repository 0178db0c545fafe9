#!/usr/bin/env python
"""Reference statistics of NEST 3.10's Brunel (2000) delta network.

Reproduces pynest/examples/brunel_delta_nest.py (NEST 3.10) exactly in model,
parameters and connectivity, with these differences only:
  * 2 threads (local_num_threads=2), rng_seed = 1, 2, 3 (one run per seed);
  * ALL E and ALL I neurons are recorded (spike_recorder, record_to=memory),
    instead of the first 50 of each, and no files/plots are written.

Writes tests/data/nest/brunel2000_reference.json and prints it.

Run:  /opt/venv/bin/python scripts/nest_brunel_reference.py [--seeds 1 2 3] [--threads 2]
"""
import argparse
import json
import os
import platform
import time

import numpy as np
import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "nest", "brunel2000_reference.json")

# --- parameters, verbatim from brunel_delta_nest.py -------------------------
dt = 0.1
simtime = 1000.0
delay = 1.5
g = 5.0
eta = 2.0
epsilon = 0.1
order = 2500
NE = 4 * order
NI = 1 * order
CE = int(epsilon * NE)
CI = int(epsilon * NI)
tauMem = 20.0
theta = 20.0
neuron_params = {"C_m": 1.0, "tau_m": tauMem, "t_ref": 2.0, "E_L": 0.0,
                 "V_reset": 0.0, "V_m": 0.0, "V_th": theta}
J = 0.1
J_ex = J
J_in = -g * J_ex
nu_th = theta / (J * CE * tauMem)
nu_ex = eta * nu_th
p_rate = 1000.0 * nu_ex * CE


def cv_stats(senders, times, ids, min_spikes):
    """Mean over neurons (with >= min_spikes spikes) of CV = std(ISI)/mean(ISI),
    std with ddof=0. Returns (mean_cv, n_neurons_used)."""
    order_ = np.lexsort((times, senders))
    s = senders[order_]
    t = times[order_]
    cvs = []
    bounds = np.searchsorted(s, ids)
    bounds = np.append(bounds, len(s))
    for k in range(len(ids)):
        tt = t[bounds[k]:bounds[k + 1]]
        if len(tt) >= min_spikes:
            isi = np.diff(tt)
            cvs.append(float(np.std(isi) / np.mean(isi)))
    if not cvs:
        return None, 0
    return float(np.mean(cvs)), len(cvs)


def run(seed, threads):
    nest.ResetKernel()
    nest.set_verbosity("M_WARNING")
    nest.SetKernelStatus({"resolution": dt, "local_num_threads": threads,
                          "rng_seed": seed, "print_time": False})

    startbuild = time.time()
    nodes_ex = nest.Create("iaf_psc_delta", NE, params=neuron_params)
    nodes_in = nest.Create("iaf_psc_delta", NI, params=neuron_params)
    noise = nest.Create("poisson_generator", params={"rate": p_rate})
    espikes = nest.Create("spike_recorder", params={"record_to": "memory"})
    ispikes = nest.Create("spike_recorder", params={"record_to": "memory"})

    nest.CopyModel("static_synapse", "excitatory", {"weight": J_ex, "delay": delay})
    nest.CopyModel("static_synapse", "inhibitory", {"weight": J_in, "delay": delay})

    nest.Connect(noise, nodes_ex, syn_spec="excitatory")
    nest.Connect(noise, nodes_in, syn_spec="excitatory")
    # the example records nodes_ex[:50] with syn_spec="excitatory"; we record all
    nest.Connect(nodes_ex, espikes, syn_spec="excitatory")
    nest.Connect(nodes_in, ispikes, syn_spec="excitatory")

    nest.Connect(nodes_ex, nodes_ex + nodes_in,
                 {"rule": "fixed_indegree", "indegree": CE}, "excitatory")
    nest.Connect(nodes_in, nodes_ex + nodes_in,
                 {"rule": "fixed_indegree", "indegree": CI}, "inhibitory")
    endbuild = time.time()

    nest.Simulate(simtime)
    endsimulate = time.time()

    ev_e = espikes.get("events")
    ev_i = ispikes.get("events")
    se, te = np.asarray(ev_e["senders"]), np.asarray(ev_e["times"])
    si, ti = np.asarray(ev_i["senders"]), np.asarray(ev_i["times"])
    ids_e = np.asarray(nodes_ex.tolist())
    n_syn_ex = nest.GetDefaults("excitatory")["num_connections"]
    n_syn_in = nest.GetDefaults("inhibitory")["num_connections"]

    cv3, n3 = cv_stats(se, te, ids_e, 3)
    cv2, n2 = cv_stats(se, te, ids_e, 2)
    counts_e = np.bincount(se - ids_e[0], minlength=NE)
    res = {
        "seed": seed,
        "n_spikes_E": int(len(se)),
        "n_spikes_I": int(len(si)),
        "rate_E_hz": len(se) / NE / (simtime / 1000.0),
        "rate_I_hz": len(si) / NI / (simtime / 1000.0),
        "cv_isi_E_mean": cv3,
        "cv_isi_E_n_neurons": n3,
        "cv_isi_E_mean_min2spikes": cv2,
        "cv_isi_E_min2spikes_n_neurons": n2,
        "fraction_E_fired": float(np.count_nonzero(counts_e) / NE),
        "fraction_I_fired": float(len(np.unique(si)) / NI),
        "num_synapses_excitatory": int(n_syn_ex),
        "num_synapses_inhibitory": int(n_syn_in),
        "first_spike_ms": float(min(te.min() if len(te) else np.inf,
                                    ti.min() if len(ti) else np.inf)),
        "build_time_s": endbuild - startbuild,
        "simulate_time_s": endsimulate - endbuild,
    }
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()

    runs = []
    for s in a.seeds:
        r = run(s, a.threads)
        print(json.dumps(r), flush=True)
        runs.append(r)

    def agg(key):
        v = np.array([r[key] for r in runs], dtype=float)
        return {"mean": float(v.mean()), "std_ddof1": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                "min": float(v.min()), "max": float(v.max())}

    doc = {
        "nest_version": nest.__version__,
        "source": "pynest/examples/brunel_delta_nest.py (NEST 3.10), all neurons recorded",
        "host": {"machine": platform.machine(), "processor": platform.processor(),
                 "cpu_count": os.cpu_count()},
        "local_num_threads": a.threads,
        "params": {
            "dt": dt, "simtime_ms": simtime, "delay_ms": delay, "g": g, "eta": eta,
            "epsilon": epsilon, "N_E": NE, "N_I": NI, "C_E": CE, "C_I": CI,
            "J_ex_mV": J_ex, "J_in_mV": J_in, "nu_th_per_ms": nu_th, "nu_ex_per_ms": nu_ex,
            "p_rate_hz": p_rate, "neuron_model": "iaf_psc_delta", "neuron_params": neuron_params,
            "connectivity": "fixed_indegree, autapses and multapses allowed (NEST defaults), "
                            "one poisson_generator connected to every neuron (independent trains per target)",
        },
        "rules": {
            "rate": "spike count over all neurons of the population, t in (0, 1000] ms / (N * 1.0 s)",
            "cv_isi_E_mean": "mean over E neurons with >= 3 spikes (>= 2 ISIs) of std(ISI, ddof=0)/mean(ISI)",
            "cv_isi_E_mean_min2spikes": "same, over E neurons with >= 2 spikes (1-ISI neurons contribute CV=0)",
            "fraction_E_fired": "fraction of E neurons with >= 1 spike in the 1000 ms",
            "build_time_s": "wall time of Create + CopyModel + Connect (all calls, incl. recorders)",
            "simulate_time_s": "wall time of nest.Simulate(1000.0)",
        },
        "runs": runs,
        "summary": {k: agg(k) for k in ["rate_E_hz", "rate_I_hz", "cv_isi_E_mean",
                                        "cv_isi_E_mean_min2spikes", "fraction_E_fired",
                                        "build_time_s", "simulate_time_s"]},
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
