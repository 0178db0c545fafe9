#!/usr/bin/env python
"""Regenerate single-neuron NEST reference traces tests/data/nest/<case>.json.

Run:  /opt/venv/bin/python scripts/nest_single_neuron.py [case-name-substring ...]

Every case: nest.ResetKernel(); resolution h, local_num_threads=1; one neuron;
one spike_generator per input spike (on-grid time t, connected with
static_synapse, weight w, delay d -> arrives at t + d); multimeter with
interval h recording V_m (and I_syn_ex / I_syn_in when recordable); a
spike_recorder.

JSON fields
  nest_version, case, model, description
  params            parameters explicitly set on the neuron (NEST names)
  params_effective  neuron status read back after Create/SetStatus, before
                    Simulate (includes NEST defaults that were not set; note
                    NEST shifts V_th/V_reset/V_m with E_L when they are not
                    given, see iaf_*_vm_init cases). Non-finite values are
                    listed in params_effective_nonfinite as strings instead.
  dt, t_sim, delay_ms
  inputs            [{"time_ms": t, "weight": w}]: spike_generator spike
                    times (the spike is emitted at t and reaches the neuron
                    at t + delay_ms)
  v_m               V_m at t = k*dt, k = 1..n, n = t_sim/dt ("v_m_times")
  i_syn_ex/i_syn_in same sampling (exp/alpha models only)
  spike_times_ms    spike_recorder times
  error             only when NEST refused the configuration (then no traces)
Floats are written with repr() precision (json module default).
"""
import json
import math
import os
import sys

import numpy as np
import nest

HERE = os.path.dirname(os.path.abspath(__file__))
OUTDIR = os.path.join(HERE, "..", "tests", "data", "nest")

PARAM_KEYS = ["C_m", "E_L", "I_e", "V_m", "V_min", "V_reset", "V_th", "t_ref",
              "tau_m", "tau_syn_ex", "tau_syn_in", "refractory_input", "rho", "delta"]


def inp(times, w):
    return [{"time_ms": float(t), "weight": float(w)} for t in times]


def cases():
    c = []
    # ---------------- iaf_psc_delta (weights in mV) ----------------
    c.append(dict(case="iaf_psc_delta_ie_firing", model="iaf_psc_delta",
                  description="NEST defaults + I_e=400 pA, repetitive firing",
                  params={"I_e": 400.0}, dt=0.1, t_sim=200.0, delay=1.0, inputs=[]))
    delta_inputs = (inp([10.0], 2.0) + inp([20.0], -1.5)
                    + inp([30.0, 30.0], 2.0) + inp([30.0], -1.5)          # same time, net +2.5
                    + inp([60.0, 60.0, 60.0, 60.0], 2.0)                  # +8 mV -> spike at 61.0
                    + inp([61.5], 2.0)                                    # arrives 62.5: refractory
                    + inp([62.0], -1.5)                                   # arrives 63.0: end of t_ref
                    + inp([62.1], 2.0)                                    # arrives 63.1
                    + inp([80.0, 80.0], 2.0) + inp([80.0], -1.5)
                    + inp([80.1, 80.1, 80.1], 2.0))                       # next step, crosses V_th
    c.append(dict(case="iaf_psc_delta_spike_inputs", model="iaf_psc_delta",
                  description="I_e=300 pA (subthreshold, V_inf=-58), ex/in delta inputs in mV, "
                              "several at the same time, some during refractoriness (refractory_input=False)",
                  params={"I_e": 300.0}, dt=0.1, t_sim=100.0, delay=1.0, inputs=delta_inputs))
    c.append(dict(case="iaf_psc_delta_spike_inputs_refr_input", model="iaf_psc_delta",
                  description="as iaf_psc_delta_spike_inputs but refractory_input=True",
                  params={"I_e": 300.0, "refractory_input": True}, dt=0.1, t_sim=100.0, delay=1.0,
                  inputs=delta_inputs))
    c.append(dict(case="iaf_psc_delta_h025_tref13", model="iaf_psc_delta",
                  description="h=0.25, t_ref=1.3 (not a multiple of h), I_e=600 pA firing",
                  params={"I_e": 600.0, "t_ref": 1.3}, dt=0.25, t_sim=100.0, delay=1.0, inputs=[]))
    c.append(dict(case="iaf_psc_delta_vm_init", model="iaf_psc_delta",
                  description="free decay from V_m=-60 with E_L=-65, no input",
                  params={"E_L": -65.0, "V_m": -60.0}, dt=0.1, t_sim=50.0, delay=1.0, inputs=[]))

    # ---------------- iaf_psc_exp / iaf_psc_alpha (weights in pA) ----------------
    for m in ["iaf_psc_exp", "iaf_psc_alpha"]:
        short = m
        c.append(dict(case=f"{short}_ie_firing", model=m,
                      description="NEST defaults + I_e=376 pA (rheobase 375 pA), repetitive firing",
                      params={"I_e": 376.0}, dt=0.1, t_sim=200.0, delay=1.5, inputs=[]))
        ins = (inp([10.0], 800.0) + inp([25.0], -400.0)
               + inp([40.0, 40.0], 800.0) + inp([40.0], -400.0)
               + inp([60.0, 60.0, 60.0], 800.0)
               + inp([61.0], 800.0)          # arrives 62.5, right after the spike
               + inp([80.0], -400.0) + inp([80.0], 800.0))
        c.append(dict(case=f"{short}_spike_inputs", model=m,
                      description="I_e=300 pA (subthreshold), ex 800 pA / in -400 pA spike inputs, delay 1.5",
                      params={"I_e": 300.0}, dt=0.1, t_sim=100.0, delay=1.5, inputs=ins))
        ins_s = (inp([10.0], 300.0) + inp([25.0], -150.0)
                 + inp([40.0, 40.0], 300.0) + inp([40.0], -150.0)
                 + inp([60.0, 60.0, 60.0], 300.0)
                 + inp([80.0], -150.0) + inp([80.0], 300.0))
        c.append(dict(case=f"{short}_singular", model=m,
                      description="tau_m = tau_syn_ex = tau_syn_in = 10 ms (singular propagator), "
                                  "I_e=200 pA + spike inputs 300/-150 pA",
                      params={"I_e": 200.0, "tau_m": 10.0, "tau_syn_ex": 10.0, "tau_syn_in": 10.0},
                      dt=0.1, t_sim=100.0, delay=1.5, inputs=ins_s))
        c.append(dict(case=f"{short}_near_singular", model=m,
                      description="tau_m=10, tau_syn_ex=10+1e-6, tau_syn_in=10-1e-6 (near-singular), "
                                  "I_e=200 pA + spike inputs 300/-150 pA",
                      params={"I_e": 200.0, "tau_m": 10.0, "tau_syn_ex": 10.0 + 1e-6,
                              "tau_syn_in": 10.0 - 1e-6},
                      dt=0.1, t_sim=100.0, delay=1.5, inputs=ins_s))
        c.append(dict(case=f"{short}_h025_tref13", model=m,
                      description="h=0.25, t_ref=1.3 (not a multiple of h), I_e=600 pA firing",
                      params={"I_e": 600.0, "t_ref": 1.3}, dt=0.25, t_sim=100.0, delay=1.5, inputs=[]))
        c.append(dict(case=f"{short}_vm_init", model=m,
                      description="free decay from V_m=-60 with E_L=-65, no input",
                      params={"E_L": -65.0, "V_m": -60.0}, dt=0.1, t_sim=50.0, delay=1.5, inputs=[]))
    return c


def effective_params(nrn):
    st = nrn.get()
    eff, nonfinite = {}, {}
    for k in PARAM_KEYS:
        if k not in st:
            continue
        v = st[k]
        if isinstance(v, (bool, np.bool_)):
            eff[k] = bool(v)
        elif not math.isfinite(float(v)):
            nonfinite[k] = repr(float(v))
        else:
            eff[k] = float(v)
    return eff, nonfinite


def run_case(cs):
    h, t_sim, d = cs["dt"], cs["t_sim"], cs["delay"]
    doc = {
        "nest_version": nest.__version__,
        "case": cs["case"],
        "model": cs["model"],
        "description": cs["description"],
        "params": cs["params"],
        "dt": h,
        "t_sim": t_sim,
        "delay_ms": d,
        "inputs": cs["inputs"],
        "input_semantics": "spike_generator spike at time_ms, static_synapse(weight, delay_ms): "
                           "reaches the neuron at time_ms + delay_ms",
    }
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": h, "local_num_threads": 1})
    try:
        nrn = nest.Create(cs["model"])
        nrn.set(cs["params"])
        eff, nonfinite = effective_params(nrn)
        doc["params_effective"] = eff
        if nonfinite:
            doc["params_effective_nonfinite"] = nonfinite
        recordables = [str(r) for r in nest.GetDefaults(cs["model"])["recordables"]]
        rec = ["V_m"] + [r for r in ("I_syn_ex", "I_syn_in") if r in recordables]
        mm = nest.Create("multimeter", params={"interval": h, "record_from": rec})
        sr = nest.Create("spike_recorder")
        for i in cs["inputs"]:
            sg = nest.Create("spike_generator", params={"spike_times": [i["time_ms"]]})
            nest.Connect(sg, nrn, syn_spec={"synapse_model": "static_synapse",
                                            "weight": i["weight"], "delay": d})
        nest.Connect(mm, nrn)
        nest.Connect(nrn, sr)
        nest.Simulate(t_sim)
        # NEST's multimeter only receives the data of the last min_delay slice
        # at the start of the NEXT Simulate call (after Simulate(t_sim) it has
        # t_sim/h - min_delay/h samples). Flush with one more min_delay and cut
        # everything (samples and spikes) at t_sim; the dynamics up to t_sim
        # are causal, hence unaffected.
        n_before_flush = len(mm.get("events")["times"])
        nest.Simulate(nest.GetKernelStatus("min_delay"))
    except Exception as e:  # record what NEST does
        doc["error"] = f"{type(e).__name__}: {e}"
        return doc

    ev = mm.get("events")
    times = np.asarray(ev["times"], dtype=float)
    n = int(round(t_sim / h))
    keep = times <= t_sim + 1e-9
    times = times[keep]
    ev = {k: np.asarray(v)[keep] for k, v in ev.items()}
    assert len(times) == n, (cs["case"], len(times), n)
    assert abs(times[0] - h) < 1e-12, (cs["case"], times[0])
    assert np.allclose(times, h * np.arange(1, n + 1), rtol=0, atol=1e-9), cs["case"]
    doc["n_samples"] = n
    doc["v_m_times"] = "k*dt for k=1..n"
    doc["v_m"] = [float(x) for x in ev["V_m"]]
    if "I_syn_ex" in rec:
        doc["i_syn_ex"] = [float(x) for x in ev["I_syn_ex"]]
        doc["i_syn_in"] = [float(x) for x in ev["I_syn_in"]]
    doc["spike_times_ms"] = [float(x) for x in sr.get("events")["times"] if x <= t_sim + 1e-9]
    doc["multimeter_samples_before_flush"] = n_before_flush
    # t_ref actually read back after simulation (NEST may round it)
    doc["t_ref_after_simulate"] = float(nrn.get("t_ref"))
    return doc


def dump(doc, path):
    # one top-level key per line, arrays inline; floats repr-exact
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in doc.items())
    with open(path, "w") as f:
        f.write("{\n" + body + "\n}\n")


def main():
    nest.set_verbosity("M_ERROR")
    os.makedirs(OUTDIR, exist_ok=True)
    sel = sys.argv[1:]
    for cs in cases():
        if sel and not any(s in cs["case"] for s in sel):
            continue
        doc = run_case(cs)
        path = os.path.join(OUTDIR, cs["case"] + ".json")
        dump(doc, path)
        size = os.path.getsize(path)
        assert size < 200_000, (path, size)
        if "error" in doc:
            print(f"{cs['case']:40s} ERROR: {doc['error']}")
        else:
            print(f"{cs['case']:40s} spikes={len(doc['spike_times_ms']):3d} "
                  f"first={doc['spike_times_ms'][:4]} size={size}B")


if __name__ == "__main__":
    main()
