#!/usr/bin/env python3
"""Mean-field rates of the Potjans-Diesmann microcircuit: cortexsim vs NNMT 1.3.

Usage: python scripts/nnmt_microcircuit_check.py [path/to/cortexsim]   (data: $CORTEXSIM_DATA, else data/)
Needs: pip install nnmt 'numpy<2.4'. NNMT is given the same parameters cortexsim reads from
networks/potjans_diesmann2014.toml (the published PD14 values, pd14_params.json):
J = w tau_s / C (delta-equivalent PSP), K = K_tot / N_post, Poisson background K_ext x 8 Hz,
Fourcaud-Brunel shift. cortexsim also includes the 10% weight sd (variance x 1.01); NNMT does not,
so small differences (< 1%) are expected from that alone.
"""
import json, math, os, subprocess, sys
import numpy as np
import nnmt.lif.exp as lifexp

here = os.path.dirname(os.path.abspath(__file__))
data = os.environ.get("CORTEXSIM_DATA") or os.path.join(here, "..", "data")
P = json.load(open(os.path.join(data, "pd14-microcircuit", "pd14_params.json")))
exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "target", "release", "cortexsim")
N = np.array(P["N"], float)
p = np.array(P["conn_probs_target_source"])
K = np.zeros_like(p)
for t in range(8):
    for s in range(8):
        if p[t, s] > 0:
            K[t, s] = round(math.log(1 - p[t, s]) / math.log(1 - 1 / (N[s] * N[t]))) / N[t]
n = P["neuron"]
C, tau_s, tau_m = n["C_m_pF"] * 1e-12, n["tau_syn_ms"] * 1e-3, n["tau_m_ms"] * 1e-3
w = P["PSC_exc_mean_pA"] * 1e-12
W = np.tile([w, P["g"] * w] * 4, (8, 1))
W[0, 2] *= 2.0  # L4E -> L23E
J = W * tau_s / C
J_ext = np.full((8, 1), w * tau_s / C)
K_ext = np.array(P["K_ext"], float).reshape(8, 1)
nu_ext = np.array([P["bg_rate_hz"]])
rates = lifexp._firing_rates(J, K, (n["V_reset_mV"] - n["E_L_mV"]) * 1e-3, (n["V_th_mV"] - n["E_L_mV"]) * 1e-3,
                             tau_m, n["t_ref_ms"] * 1e-3, tau_s, J_ext, K_ext, nu_ext, method="shift")
out = subprocess.run([exe, "meanfield", os.path.join(here, "..", "networks", "potjans_diesmann2014.toml"), "--json"],
                     capture_output=True, text=True, check=True)
ours = json.loads(out.stdout)["populations"]
print(f"{'population':<10} {'NNMT (Hz)':>10} {'cortexsim (Hz)':>15} {'rel diff':>9}")
worst = 0.0
for i, name in enumerate(P["populations"]):
    o = ours[name]["rate_hz"]
    d = o / rates[i] - 1
    worst = max(worst, abs(d))
    print(f"{name:<10} {rates[i]:>10.4f} {o:>15.4f} {100*d:>8.2f}%")
print(f"max |rel diff| = {100*worst:.2f}%")
sys.exit(0 if worst < 0.02 else 1)
