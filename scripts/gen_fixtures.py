#!/usr/bin/env python3
"""Reference values for the mean-field tests (tests/meanfield/fixtures.rs).

Writes tests/data/fixtures/lif_rates.csv and
tests/data/fixtures/lif_transfer_function_shift.csv: the stationary rate of
the leaky integrate-and-fire neuron driven by Gaussian white noise and its
linear response, computed from the defining formulas with mpmath at
`DPS` significant digits, without any code of cortexsim or NNMT. The
project's own fixtures: NNMT's test vectors are GPL-3.0 and are not shipped
(CI still compares against them, see the `nnmt_*` tests).

Formulas (docs: src/meanfield/siegert.rs, src/meanfield/transfer.rs;
Siegert 1951, Amit & Brunel 1997 eq. A7, Fourcaud & Brunel 2002,
Schuecker et al. 2015). Units as in the library API: potentials in mV
relative to E_L, times in ms, rates in Hz, transfer functions in Hz/mV,
omega in rad/s.

  delta:   1/nu = t_ref + tau_m sqrt(pi) Int_{y_r}^{y_th} e^{u^2} (1 + erf u) du,
           y_th = (V_th - mu)/sigma, y_r = (V_r - mu)/sigma
           (integrand written e^{u^2} erfc(-u); mpmath.quad on unit pieces)
  shift:   the same with V_th and V_r both raised by
           sigma sqrt(tau_s/tau_m) |zeta(1/2)| / sqrt(2)
  taylor:  nu0 (1 - sqrt(tau_s tau_m / 2) sqrt(2)|zeta(1/2)| sqrt(pi/2) nu0 [f(y_th) - f(y_r)]),
           f(y) = e^{y^2} erfc(-y), nu0 the delta rate (NNMT `_firing_rate_taylor`;
           equal to nu0 - shift * dnu0/dmu)
  N(w):    sqrt(2)/sigma nu/(1 + i w tau_m) [Psi'_z(x_th) - Psi'_z(x_r)] / [Psi_z(x_th) - Psi_z(x_r)]
           / (1 + i w tau_s),  z = -1/2 + i w tau_m,  x = sqrt(2) (V - mu)/sigma at the
           shifted V_th, V_r, nu the shifted rate, Psi_z(x) = e^{x^2/4} U(z, -x),
           Psi'_z(x) = (z + 1/2) Psi_{z+1}(x), U(a, y) = D_{-a-1/2}(y) (mpmath.pcfd);
           at w = 0: dnu/dmu of the shifted rate,
           sqrt(pi) tau_m nu^2 / sigma [f(y_th) - f(y_r)] (NNMT's convention).

Every value is computed twice, at DPS and at CHECK_DPS digits, and the two
must agree to AGREE relative; further self-checks: the Siegert integral
against its closed form (erfi and 2F2) where that does not cancel badly,
w = 0 against mpmath.diff of the shifted rate, Psi' against mpmath.diff of Psi,
taylor against nu0 - shift * mpmath.diff(nu0). Values are written rounded to
the nearest double (shortest repr); inputs are exact doubles, so the tests
feed the library exactly the points computed here.

Usage:  python3 -m venv .venv && .venv/bin/pip install mpmath
        .venv/bin/python scripts/gen_fixtures.py [OUT_DIR]   (default tests/data/fixtures)
Takes about a minute.
"""

import math
import os
import sys

import mpmath as mp

DPS = 40
CHECK_DPS = 60
AGREE = mp.mpf("1e-30")

# Omegas (rad/s): NNMT's grid (incl. 0) plus the gamma range.
OMEGAS = [0.0, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1000.0, 2 * math.pi * 80.0, 2 * math.pi * 500.0]

# (case, V_r, V_th, tau_m, t_ref, tau_s, mu, sigma) in mV and ms.
CASES = []


def _add(name, vr, vth, tau_m, t_ref, tau_s, points):
    for k, (mu, sigma) in enumerate(points):
        CASES.append((f"{name}_{k}", vr, vth, tau_m, t_ref, tau_s, mu, sigma))


# The points of NNMT's unit-test fixtures (tests/fixtures/unit/data, converted
# to mV/ms): same neurons and regimes, written down here so that this script
# needs nothing beside the repository.
for k, (vr, vth, tau_m, t_ref, tau_s, mu, sigma) in enumerate(
    [
        (0.0, 20.0, 10.0, 2.0, 1.0, 2.0, 30.0),
        (0.1, 25.0, 12.0, 3.0, 2.0, 3.0, 30.0),
        (0.2, 15.0, 15.0, 1.5, 3.0, 4.0, 40.0),
        (0.3, 18.0, 9.0, 1.0, 0.5, 5.0, 50.0),
        (0.0, 25.0, 12.0, 2.0, 1.0, 3.0, 30.0),
        (0.0, 15.0, 15.0, 2.0, 1.0, 4.0, 40.0),
        (0.0, 18.0, 9.0, 2.0, 1.0, 5.0, 50.0),
    ]
):
    CASES.append((f"varied_neuron_{k}", vr, vth, tau_m, t_ref, tau_s, mu, sigma))
_add("sub_threshold_strong_noise", 0.0, 20.0, 10.0, 2.0, 1.0, [(3.0, 30.0), (4.0, 40.0), (5.0, 50.0)])
_add("sub_threshold_weak_noise", 0.0, 20.0, 10.0, 2.0, 1.0, [(12.0, 2.0), (13.0, 2.4), (14.0, 2.3), (15.0, 2.9)])
_add("supra_threshold_strong_noise", 0.0, 20.0, 10.0, 2.0, 1.0, [(22.0, 30.0), (25.0, 30.0), (30.0, 40.0), (40.0, 50.0)])
_add("supra_threshold_weak_noise", 0.0, 20.0, 10.0, 2.0, 1.0, [(22.0, 0.5), (25.0, 0.4), (30.0, 0.3), (40.0, 0.9)])
# Beyond NNMT's grid: Brunel 2000 neuron with delta synapses (tau_s = 0: no
# shift, no filter) incl. point B (SI fast), and with 0.5 ms synapses.
_add("brunel_delta", 10.0, 20.0, 20.0, 2.0, 0.0, [(24.16, 10.94), (15.0, 5.0), (24.0, 3.0), (10.0, 8.0)])
_add("brunel_exp", 10.0, 20.0, 20.0, 2.0, 0.5, [(24.0, 3.0), (18.0, 4.0)])
# Potjans-Diesmann neuron (V_th - E_L = 15 mV, tau_s = 0.5 ms).
_add("pd14", 0.0, 15.0, 10.0, 2.0, 0.5, [(10.0, 5.0), (20.0, 2.0), (5.0, 3.0)])
# Reset above the mean (y_r > 0, noise-driven), deep sub-threshold (y_th ~ 8),
# strongly mean-driven, no refractory period, short tau_m, large k = 0.71.
_add("reset_above_mean", 10.0, 20.0, 20.0, 2.0, 0.5, [(5.0, 3.0)])
_add("deep_sub_threshold", 0.0, 20.0, 10.0, 2.0, 1.0, [(0.0, 2.5)])
_add("mean_driven", 0.0, 20.0, 10.0, 2.0, 1.0, [(200.0, 5.0)])
_add("no_refractory", 0.0, 20.0, 10.0, 0.0, 1.0, [(18.0, 6.0)])
_add("short_tau_m", 0.0, 20.0, 5.0, 0.5, 0.2, [(18.0, 4.0)])
_add("large_k", 0.0, 20.0, 10.0, 2.0, 5.0, [(15.0, 5.0)])

ZETA_HALF_ABS = None  # |zeta(1/2)| at the working precision


def f(y):
    """e^{y^2} (1 + erf y), written without cancellation for y < 0."""
    return mp.exp(y * y) * mp.erfc(-y)


def pieces(a, b):
    """[a, ..., b] split at 0 and at integers, so that every piece is <= 1 long."""
    pts = [a]
    k = math.floor(float(a)) + 1
    while k < b:
        pts.append(mp.mpf(k))
        k += 1
    pts.append(b)
    return pts


def siegert_integral(y_r, y_th):
    return mp.quad(f, pieces(y_r, y_th))


def shift_mv(tau_m, tau_s, sigma):
    # sigma * sqrt(tau_s/tau_m) * |zeta(1/2)| / sqrt(2)
    return sigma * mp.sqrt(tau_s / tau_m) * abs(mp.zeta(mp.mpf(1) / 2)) / mp.sqrt(2)


def rate(vr, vth, tau_m, t_ref, mu, sigma):
    """Siegert rate (Hz) at thresholds vr, vth (mV)."""
    y_th = (vth - mu) / sigma
    y_r = (vr - mu) / sigma
    return 1 / (t_ref / 1000 + tau_m / 1000 * mp.sqrt(mp.pi) * siegert_integral(y_r, y_th))


def dnu_dmu(vr, vth, tau_m, t_ref, mu, sigma):
    """Closed-form dnu/dmu (Hz/mV) of the Siegert rate at thresholds vr, vth."""
    nu = rate(vr, vth, tau_m, t_ref, mu, sigma)
    y_th = (vth - mu) / sigma
    y_r = (vr - mu) / sigma
    return mp.sqrt(mp.pi) * tau_m / 1000 * nu * nu / sigma * (f(y_th) - f(y_r))


def psi(z, x):
    """Psi_z(x) = e^{x^2/4} U(z, -x), U(a, y) = D_{-a-1/2}(y)."""
    return mp.exp(x * x / 4) * mp.pcfd(-z - mp.mpf(1) / 2, -x)


def dpsi(z, x):
    """Psi'_z(x) = (z + 1/2) Psi_{z+1}(x)."""
    return (z + mp.mpf(1) / 2) * psi(z + 1, x)


def values(case):
    """All reference values of a case at the current precision (mpf/mpc)."""
    _, vr, vth, tau_m, t_ref, tau_s, mu, sigma = [case[0]] + [mp.mpf(v) for v in case[1:]]
    s = shift_mv(tau_m, tau_s, sigma)
    nu0 = rate(vr, vth, tau_m, t_ref, mu, sigma)
    nu = rate(vr + s, vth + s, tau_m, t_ref, mu, sigma)
    y_th, y_r = (vth - mu) / sigma, (vr - mu) / sigma
    alpha = mp.sqrt(2) * abs(mp.zeta(mp.mpf(1) / 2))
    taylor = nu0 * (
        1 - mp.sqrt(tau_s * tau_m / 2) / 1000 * alpha * mp.sqrt(mp.pi / 2) * nu0 * (f(y_th) - f(y_r))
    )
    out = {"delta": nu0, "shift": nu, "taylor": taylor, "transfer": []}
    x_th = mp.sqrt(2) * (vth + s - mu) / sigma
    x_r = mp.sqrt(2) * (vr + s - mu) / sigma
    for w in OMEGAS:
        w = mp.mpf(w)
        if w == 0:
            n = mp.mpc(dnu_dmu(vr + s, vth + s, tau_m, t_ref, mu, sigma))
        else:
            iwt = mp.mpc(0, 1) * w * tau_m / 1000
            z = -mp.mpf(1) / 2 + iwt
            n = (
                mp.sqrt(2) / sigma * nu / (1 + iwt)
                * (dpsi(z, x_th) - dpsi(z, x_r))
                / (psi(z, x_th) - psi(z, x_r))
                / (1 + mp.mpc(0, 1) * w * tau_s / 1000)
            )
        out["transfer"].append(n)
    return out


def rel(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a)


def self_checks(case, v):
    """Checks by other routes (at the working precision; loose bounds: they
    guard against a wrong formula, the two-precision agreement guards the digits)."""
    name, vr, vth, tau_m, t_ref, tau_s, mu, sigma = [case[0]] + [mp.mpf(x) for x in case[1:]]
    y_th, y_r = (vth - mu) / sigma, (vr - mu) / sigma
    # Siegert integral in closed form: Int_0^x e^{u^2}(1 + erf u) du
    #   = sqrt(pi)/2 erfi(x) + x^2/sqrt(pi) 2F2(1, 1; 3/2, 2; x^2),
    # feasible where e^{y^2} does not cancel too badly.
    if max(abs(y_th), abs(y_r)) < 8:
        with mp.workdps(DPS + 40):
            g = lambda x: mp.sqrt(mp.pi) / 2 * mp.erfi(x) + x * x / mp.sqrt(mp.pi) * mp.hyp2f2(
                1, 1, mp.mpf(3) / 2, 2, x * x
            )
            closed = g(y_th) - g(y_r)
        quad = siegert_integral(y_r, y_th)
        assert rel(quad, closed) < mp.mpf("1e-30"), (name, "siegert integral", quad, closed)
    # w = 0 is dnu/dmu of the shifted rate.
    s = shift_mv(tau_m, tau_s, sigma)
    d = mp.diff(lambda m: rate(vr + s, vth + s, tau_m, t_ref, m, sigma), mu)
    assert rel(v["transfer"][0].real, d) < mp.mpf("1e-25"), (name, "omega=0", v["transfer"][0], d)
    # taylor = nu0 - shift * dnu0/dmu (absolute bound: taylor may pass through 0)
    d0 = mp.diff(lambda m: rate(vr, vth, tau_m, t_ref, m, sigma), mu)
    t = v["delta"] - s * d0
    assert abs(v["taylor"] - t) < mp.mpf("1e-25") * v["delta"], (name, "taylor", v["taylor"], t)
    # Psi' is the derivative of Psi (one frequency).
    z = -mp.mpf(1) / 2 + mp.mpc(0, 1) * 100 * tau_m / 1000
    x = mp.sqrt(2) * (vth + s - mu) / sigma
    assert rel(dpsi(z, x), mp.diff(lambda t: psi(z, t), x)) < mp.mpf("1e-25"), (name, "dpsi")


def fmt(x):
    return repr(float(x))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "fixtures"
    )
    os.makedirs(out_dir, exist_ok=True)
    results = []
    worst = mp.mpf(0)
    for case in CASES:
        mp.mp.dps = CHECK_DPS
        hi = values(case)
        mp.mp.dps = DPS
        lo = values(case)
        self_checks(case, lo)
        for key in ("delta", "shift", "taylor"):
            e = rel(lo[key], hi[key])
            assert e < AGREE, (case, key, lo[key], hi[key])
            worst = max(worst, e)
        for a, b in zip(lo["transfer"], hi["transfer"]):
            e = rel(a, b)
            assert e < AGREE, (case, "transfer", a, b)
            worst = max(worst, e)
        results.append((case, lo))
        print(f"{case[0]}: delta {float(lo['delta']):.6g} Hz, shift {float(lo['shift']):.6g} Hz", file=sys.stderr)
    head = (
        f"# generated by scripts/gen_fixtures.py (mpmath {mp.__version__}, mp.dps = {DPS}; "
        f"agrees with mp.dps = {CHECK_DPS} to {float(worst):.1e} relative); values rounded to the nearest double.\n"
        "# Units: mV relative to E_L, ms, Hz; do not edit, rerun the script.\n"
    )
    cols = "case,v_reset_mv,v_th_mv,tau_m_ms,t_ref_ms,tau_s_ms,mu_mv,sigma_mv"
    with open(os.path.join(out_dir, "lif_rates.csv"), "w") as fh:
        fh.write(head)
        fh.write("# rate_delta_hz: Siegert formula (tau_s ignored); rate_shift_hz: Fourcaud-Brunel shifted thresholds;\n")
        fh.write("# rate_taylor_hz: first-order Taylor version of the shift (NNMT method='taylor'; may be negative).\n")
        fh.write(cols + ",rate_delta_hz,rate_shift_hz,rate_taylor_hz\n")
        for case, v in results:
            fh.write(",".join([case[0]] + [fmt(x) for x in case[1:]]))
            fh.write(f",{fmt(v['delta'])},{fmt(v['shift'])},{fmt(v['taylor'])}\n")
    with open(os.path.join(out_dir, "lif_transfer_function_shift.csv"), "w") as fh:
        fh.write(head)
        fh.write("# N(omega), Hz/mV, of the mean input at shifted thresholds incl. the synaptic low-pass 1/(1 + i omega tau_s);\n")
        fh.write("# omega in rad/s; omega = 0: dnu/dmu of the shifted rate.\n")
        fh.write(cols + ",omega_rad_s,re_hz_per_mv,im_hz_per_mv\n")
        for case, v in results:
            for w, n in zip(OMEGAS, v["transfer"]):
                fh.write(",".join([case[0]] + [fmt(x) for x in case[1:]]))
                fh.write(f",{fmt(w)},{fmt(n.real)},{fmt(n.imag)}\n")
    print(f"{len(results)} cases, {len(results) * len(OMEGAS)} transfer rows; precision agreement {float(worst):.1e}", file=sys.stderr)


if __name__ == "__main__":
    main()
