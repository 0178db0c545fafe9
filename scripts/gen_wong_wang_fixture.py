#!/usr/bin/env python3
"""Reference fixed points of the Wong & Wang (2006) reduced model
(tests/models/wong_wang.rs): tests/data/fixtures/wong_wang2006_fixed_points.json.

Written from the paper's equations (appendix model; SCIENCE.md §7), with mpmath at
DPS significant digits and without any code of cortexsim: the time unit here is the
second, as in the paper.

    dS_i/dt = -S_i/tau_S + (1 - S_i) gamma H(x_i)
    x_1 = J11 S1 - J12 S2 + I0 + I_1,  x_2 = J11 S2 - J12 S1 + I0 + I_2
    H(x) = (a x - b) / (1 - exp(-d (a x - b)))
    I_1,2 = J_A,ext mu0 (1 +/- c'/100)

Fixed points: mpmath.findroot (multidimensional Newton) from every point of a
25 x 25 grid of (S1, S2) in (0, 1)^2, kept if inside [0, 1]^2 and |F| < 1e-30, merged
within 1e-12. Stability: eigenvalues of the Jacobian (mpmath.diff, per second), stable
when both real parts are negative, a saddle when their product (the determinant) is
negative.

Cases: no stimulus (mu0 = 0), and the stimulus on at c' = 0 and c' = 6.4 % (mu0 = 30 Hz).
"""
import json
import os

import mpmath as mp

DPS = 40
mp.mp.dps = DPS

a, b, d = mp.mpf(270), mp.mpf(108), mp.mpf("0.154")
gamma, tau_s = mp.mpf("0.641"), mp.mpf("0.1")
J11, J12, I0 = mp.mpf("0.2609"), mp.mpf("0.0497"), mp.mpf("0.3255")
JAext = mp.mpf("5.2e-4")


def H(x):
    z = a * x - b
    return z / (1 - mp.exp(-d * z))


def field(mu0, c):
    I1 = JAext * mu0 * (1 + c / 100)
    I2 = JAext * mu0 * (1 - c / 100)

    def F(s1, s2):
        x1 = J11 * s1 - J12 * s2 + I0 + I1
        x2 = J11 * s2 - J12 * s1 + I0 + I2
        return [
            -s1 / tau_s + (1 - s1) * gamma * H(x1),
            -s2 / tau_s + (1 - s2) * gamma * H(x2),
        ]

    return F


def fixed_points(mu0, c):
    F = field(mu0, c)
    roots = []
    n = 25
    for i in range(n):
        for j in range(n):
            x0 = [mp.mpf(i + 0.5) / n, mp.mpf(j + 0.5) / n]
            try:
                r = mp.findroot(F, x0, tol=mp.mpf(10) ** (-(DPS - 5)), maxsteps=100)
            except (ValueError, ZeroDivisionError):
                continue
            s1, s2 = r[0], r[1]
            if not (0 <= s1 <= 1 and 0 <= s2 <= 1):
                continue
            if max(abs(v) for v in F(s1, s2)) > mp.mpf(10) ** -30:
                continue
            if any(abs(s1 - p[0]) < 1e-12 and abs(s2 - p[1]) < 1e-12 for p in roots):
                continue
            roots.append((s1, s2))
    roots.sort()
    out = []
    for s1, s2 in roots:
        J = mp.matrix(2, 2)
        for r in range(2):
            J[r, 0] = mp.diff(lambda u: F(u, s2)[r], s1)
            J[r, 1] = mp.diff(lambda u: F(s1, u)[r], s2)
        ev = mp.eig(J)[0]
        det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
        stable = all(mp.re(e) < 0 for e in ev)
        out.append(
            {
                "S1": float(s1),
                "S2": float(s2),
                "stable": bool(stable),
                "saddle": bool(det < 0),
                "eigenvalues_per_s": sorted(
                    [[float(mp.re(e)), float(mp.im(e))] for e in ev], reverse=True
                ),
            }
        )
    return out


cases = []
for label, mu0, c, at in [
    ("no stimulus", 0, 0, 0.0),
    ("stimulus on, c' = 0", 30, 0, 1000.0),
    ("stimulus on, c' = 6.4", 30, mp.mpf("6.4"), 1000.0),
]:
    cases.append(
        {
            "case": label,
            "mu0_hz": float(mu0),
            "coherence": float(c),
            "at_ms": at,
            "fixed_points": fixed_points(mp.mpf(mu0), mp.mpf(c)),
        }
    )

path = os.path.join(
    os.path.dirname(__file__), "..", "tests", "data", "fixtures", "wong_wang2006_fixed_points.json"
)
with open(path, "w") as f:
    json.dump({"generator": "scripts/gen_wong_wang_fixture.py", "dps": DPS, "cases": cases}, f, indent=1)
    f.write("\n")
for c in cases:
    print(c["case"], [(round(p["S1"], 6), round(p["S2"], 6), p["stable"]) for p in c["fixed_points"]])
