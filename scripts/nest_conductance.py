#!/usr/bin/env python
"""NEST 3.10 reference traces for the conductance-based models:
tests/data/nest/cond_<case>.json.

Run:  /work/nestvenv/bin/python scripts/nest_conductance.py

Every case is a tiny network of `n` neurons of one model (resolution dt,
local_num_threads=1): each neuron gets regular input spike trains from
spike_generators (on-grid times, static_synapse, weight w, delay d, receptor
where the model has receptor types), neurons may be connected to each other
(weight, delay, receptor); every neuron's V_m is sampled every step by a
multimeter, spikes by a spike_recorder.

JSON fields
  nest_version, case, model, description, dt, t_sim
  params            parameters set on every neuron (NEST names)
  receptors         NEST receptor type -> port name (iaf_bw_2001 only)
  trains            [{"target": i, "times": [...], "weight": w, "delay": d,
                      "receptor": name or null}]
  connections       [{"source": i, "target": j, "weight": w, "delay": d,
                      "receptor": name or null}]
  v_m_init          per neuron, V_m before the run (NEST's initial state)
  v_m               per neuron, V_m at t = k*dt, k = 1..n
  spike_steps       per neuron, the steps k of its spikes (spike at k*dt),
                    read with time_in_steps (iaf_bw_2001 sends the NMDA
                    increment in the spike's offset, so times in ms would be
                    off-grid).
"""
import json
import os

import numpy as np
import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUTDIR = os.path.join(HERE, "..", "tests", "data", "nest")
BW_RECEPTORS = {"AMPA": 1, "GABA": 2, "NMDA": 3}


def regular(t0, t1, period):
    return [round(t, 10) for t in np.arange(t0, t1, period)]


def cases():
    c = []
    for m in ["iaf_cond_exp", "iaf_cond_alpha"]:
        # One neuron: subthreshold I_e, excitatory and inhibitory inputs, some of which
        # make it fire; a burst during the refractory period.
        trains = [
            dict(target=0, times=[10.0, 30.0, 30.0, 50.0], weight=20.0, delay=1.0, receptor=None),
            dict(target=0, times=[20.0, 50.0, 70.0], weight=-40.0, delay=1.0, receptor=None),
            dict(target=0, times=regular(80.0, 90.0, 0.5), weight=15.0, delay=1.0, receptor=None),
            dict(target=0, times=[120.0], weight=200.0, delay=1.0, receptor=None),
        ]
        c.append(dict(case=f"cond_{m}_single", model=m,
                      description="I_e = 240 pA (subthreshold, NEST defaults otherwise), "
                                  "ex +20/+15/+200 nS and in -40 nS spike inputs",
                      params={"I_e": 240.0}, n=1, dt=0.1, t_sim=150.0, trains=trains,
                      connections=[]))
        c.append(dict(case=f"cond_{m}_firing", model=m,
                      description="I_e = 300 pA, repetitive firing, tau_syn 5/10 ms, "
                                  "E_in = -80 mV, t_ref 5 ms",
                      params={"I_e": 300.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "E_in": -80.0,
                              "t_ref": 5.0},
                      n=1, dt=0.1, t_sim=200.0, trains=[], connections=[]))
    # A small network of three iaf_cond_exp: 0 driven to fire, 0 -> 1 excitatory,
    # 1 -> 2 inhibitory, 2 driven; 2 -> 0 excitatory (loop).
    par = {"I_e": 200.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "E_in": -80.0, "E_L": -60.0,
           "V_th": -50.0, "V_reset": -60.0, "C_m": 200.0, "g_L": 10.0, "t_ref": 5.0}
    trains = [
        dict(target=0, times=regular(5.0, 300.0, 2.0), weight=3.0, delay=0.5, receptor=None),
        dict(target=1, times=regular(5.0, 300.0, 3.0), weight=2.0, delay=0.5, receptor=None),
        dict(target=2, times=regular(1.0, 300.0, 1.5), weight=3.0, delay=0.5, receptor=None),
    ]
    conns = [
        dict(source=0, target=1, weight=6.0, delay=1.0, receptor=None),
        dict(source=1, target=2, weight=-67.0, delay=0.5, receptor=None),
        dict(source=2, target=0, weight=6.0, delay=2.0, receptor=None),
    ]
    c.append(dict(case="cond_iaf_cond_exp_network", model="iaf_cond_exp",
                  description="three neurons (COBA parameters), driven by regular trains, "
                              "0 -> 1 (+6 nS), 1 -> 2 (-67 nS), 2 -> 0 (+6 nS)",
                  params=par, n=3, dt=0.1, t_sim=300.0, trains=trains, connections=conns))
    # iaf_bw_2001 (Wang 2002 E-cell parameters): 0 driven by AMPA trains; 0 -> 1 AMPA and
    # NMDA (the payload); 1 -> 2 GABA; 2 driven; 1 also receives AMPA trains.
    par = {"E_L": -70.0, "E_ex": 0.0, "E_in": -70.0, "V_th": -50.0, "V_reset": -55.0,
           "C_m": 500.0, "g_L": 25.0, "t_ref": 2.0, "tau_AMPA": 2.0, "tau_GABA": 5.0,
           "tau_decay_NMDA": 100.0, "tau_rise_NMDA": 2.0, "alpha": 0.5, "conc_Mg2": 1.0}
    trains = [
        dict(target=0, times=regular(2.0, 400.0, 1.0), weight=8.0, delay=0.5, receptor="AMPA"),
        dict(target=1, times=regular(2.0, 400.0, 1.0), weight=4.5, delay=0.5, receptor="AMPA"),
        dict(target=2, times=regular(1.0, 400.0, 0.7), weight=5.0, delay=0.5, receptor="AMPA"),
        dict(target=2, times=regular(100.0, 150.0, 0.5), weight=2.0, delay=0.5, receptor="GABA"),
    ]
    conns = [
        dict(source=0, target=1, weight=5.0, delay=0.5, receptor="AMPA"),
        dict(source=0, target=1, weight=10.0, delay=0.5, receptor="NMDA"),
        dict(source=1, target=2, weight=30.0, delay=0.5, receptor="GABA"),
        dict(source=2, target=2, weight=2.0, delay=1.0, receptor="NMDA"),
    ]
    c.append(dict(case="cond_iaf_bw_2001_network", model="iaf_bw_2001",
                  description="three iaf_bw_2001 (Wang 2002 E cells): AMPA trains, 0 -> 1 AMPA "
                              "and NMDA, 1 -> 2 GABA, 2 -> 2 NMDA (autapse)",
                  params=par, n=3, dt=0.1, t_sim=400.0, trains=trains, connections=conns))
    return c


def syn(model, w, d, receptor):
    s = {"synapse_model": "static_synapse", "weight": w, "delay": d}
    if receptor is not None:
        s["receptor_type"] = BW_RECEPTORS[receptor]
    return s


def run_case(cs):
    h, t_sim, n = cs["dt"], cs["t_sim"], cs["n"]
    doc = {k: cs[k] for k in ("case", "model", "description", "params", "dt", "t_sim", "n",
                              "trains", "connections")}
    doc = {"nest_version": nest.__version__, **doc}
    if cs["model"] == "iaf_bw_2001":
        doc["receptors"] = {str(v): k for k, v in BW_RECEPTORS.items()}
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": h, "local_num_threads": 1})
    nrn = nest.Create(cs["model"], n, params=cs["params"])
    # NEST sets V_m = E_L of the defaults at creation; a later E_L does not move it.
    doc["v_m_init"] = [float(x) for x in nrn.get("V_m")] if n > 1 else [float(nrn.get("V_m"))]
    mm = nest.Create("multimeter", params={"interval": h, "record_from": ["V_m"]})
    # Spike times in steps: iaf_bw_2001 abuses the spike's offset for the NMDA increment,
    # so a time in ms would be off-grid (time = step * dt - offset).
    sr = nest.Create("spike_recorder", params={"time_in_steps": True})
    for tr in cs["trains"]:
        sg = nest.Create("spike_generator", params={"spike_times": tr["times"]})
        nest.Connect(sg, nrn[tr["target"]], syn_spec=syn(cs["model"], tr["weight"], tr["delay"],
                                                        tr["receptor"]))
    for cn in cs["connections"]:
        nest.Connect(nrn[cn["source"]], nrn[cn["target"]],
                     syn_spec=syn(cs["model"], cn["weight"], cn["delay"], cn["receptor"]))
    nest.Connect(mm, nrn)
    nest.Connect(nrn, sr)
    nest.Simulate(t_sim)
    # Flush the multimeter's last slice (see scripts/nest_single_neuron.py).
    nest.Simulate(nest.GetKernelStatus("min_delay"))
    ev = mm.get("events")
    times, senders, vm = (np.asarray(ev[k]) for k in ("times", "senders", "V_m"))
    steps = int(round(t_sim / h))
    doc["v_m_times"] = "k*dt for k=1..n"
    doc["v_m"] = []
    for i, gid in enumerate(nrn.tolist()):
        sel = (senders == gid) & (times <= t_sim + 1e-9)
        t = times[sel]
        assert len(t) == steps and np.allclose(t, h * np.arange(1, steps + 1)), cs["case"]
        doc["v_m"].append([float(x) for x in vm[sel]])
    sev = sr.get("events")
    st, ss = np.asarray(sev["times"]), np.asarray(sev["senders"])
    doc["spike_steps"] = []
    for gid in nrn.tolist():
        doc["spike_steps"].append([int(t) for t in st[ss == gid] if t <= steps])
    return doc


def dump(doc, path):
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in doc.items())
    with open(path, "w") as f:
        f.write("{\n" + body + "\n}\n")


def main():
    nest.set_verbosity("M_ERROR")
    os.makedirs(OUTDIR, exist_ok=True)
    for cs in cases():
        doc = run_case(cs)
        path = os.path.join(OUTDIR, cs["case"] + ".json")
        dump(doc, path)
        size = os.path.getsize(path)
        assert size < 300_000, (path, size)
        print(f"{cs['case']:34s} spikes per neuron={[len(s) for s in doc['spike_steps']]} "
              f"first={[s[:3] for s in doc['spike_steps']]} size={size}B")


if __name__ == "__main__":
    main()
