#!/usr/bin/env python3
"""Uncertainties of a `cortexsim trials --json` report: the binomial standard error of each
accuracy, sqrt(p (1 - p) / n) over the decided trials, and the spread of the Weibull fit
P(c) = 1 - 0.5 exp(-(c/alpha)^beta) by a parametric bootstrap (draw the correct counts
from the fitted function with the same trial counts, refit; report the SD and the 16th
and 84th percentiles of alpha and beta) and by the curvature of the log-likelihood at the
optimum (asymptotic SE; unreliable when accuracies sit at 0.5 or 1).

The fit is the same maximum-likelihood fit as cortexsim's (crates/theory psychometric.rs:
binomial likelihood, alpha in [1e-3, 1e4] %, beta in [0.05, 50]), here by a grid and
Nelder-Mead in (ln alpha, ln beta); it prints its own optimum beside cortexsim's.
Standard library only.

Several reports (e.g. one per coherence, as scripts/wang2002_psychometric.sh writes them:
a trial's seed depends on the base seed, c' and its index only, so they are the trials of
one run over all coherences) are merged; the Weibull fit is then refitted here.

Usage: python3 scripts/weibull_ci.py REPORT.json [REPORT.json ...] [--boot 2000] [--seed 1]
       [--published 9.2]
"""
import argparse
import json
import math
import random

LA = (math.log(1e-3), math.log(1e4))
LB = (math.log(0.05), math.log(50.0))


def weibull(c, a, b):
    return 0.5 if c <= 0 else 1.0 - 0.5 * math.exp(-((c / a) ** b))


def loglik(points, la, lb):
    a, b = math.exp(la), math.exp(lb)
    s = 0.0
    for c, k, n in points:
        p = min(max(weibull(c, a, b), 1e-15), 1 - 1e-15)
        s += k * math.log(p) + (n - k) * math.log(1 - p)
    return s


def clamp(x):
    return [min(max(x[0], LA[0]), LA[1]), min(max(x[1], LB[0]), LB[1])]


def nelder_mead(f, x0, step=0.3, iters=400):
    simplex = [clamp(x0), clamp([x0[0] + step, x0[1]]), clamp([x0[0], x0[1] + step])]
    vals = [f(x) for x in simplex]
    for _ in range(iters):
        order = sorted(range(3), key=lambda i: vals[i])
        simplex = [simplex[i] for i in order]
        vals = [vals[i] for i in order]
        if abs(vals[2] - vals[0]) < 1e-12 and max(
                abs(simplex[2][j] - simplex[0][j]) for j in range(2)) < 1e-9:
            break
        cen = [(simplex[0][j] + simplex[1][j]) / 2 for j in range(2)]
        at = lambda t: clamp([cen[j] + t * (simplex[2][j] - cen[j]) for j in range(2)])
        xr = at(-1.0)
        fr = f(xr)
        if fr < vals[0]:
            xe = at(-2.0)
            fe = f(xe)
            simplex[2], vals[2] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < vals[1]:
            simplex[2], vals[2] = xr, fr
        else:
            xc = at(-0.5) if fr < vals[2] else at(0.5)
            fc = f(xc)
            if fc < min(fr, vals[2]):
                simplex[2], vals[2] = xc, fc
            else:
                for i in (1, 2):
                    simplex[i] = [(simplex[0][j] + simplex[i][j]) / 2 for j in range(2)]
                    vals[i] = f(simplex[i])
    i = min(range(3), key=lambda i: vals[i])
    return simplex[i], -vals[i]


def fit(points):
    f = lambda x: -loglik(points, x[0], x[1])
    grid = [[LA[0] + (LA[1] - LA[0]) * i / 40, LB[0] + (LB[1] - LB[0]) * j / 30]
            for i in range(41) for j in range(31)]
    grid.sort(key=f)
    best = max((nelder_mead(f, g) for g in grid[:3]), key=lambda r: r[1])
    return math.exp(best[0][0]), math.exp(best[0][1]), best[1]


def hessian_se(points, a, b):
    """Asymptotic SEs of alpha and beta from the observed information in (ln a, ln b)."""
    x = [math.log(a), math.log(b)]
    h = 1e-4
    f = lambda u, v: loglik(points, u, v)
    H = [[0.0, 0.0], [0.0, 0.0]]
    for i in range(2):
        for j in range(2):
            e = [[h if k == i else 0.0 for k in range(2)], [h if k == j else 0.0 for k in range(2)]]
            pp = f(x[0] + e[0][0] + e[1][0], x[1] + e[0][1] + e[1][1])
            pm = f(x[0] + e[0][0] - e[1][0], x[1] + e[0][1] - e[1][1])
            mp = f(x[0] - e[0][0] + e[1][0], x[1] - e[0][1] + e[1][1])
            mm = f(x[0] - e[0][0] - e[1][0], x[1] - e[0][1] - e[1][1])
            H[i][j] = (pp - pm - mp + mm) / (4 * h * h)
    det = H[0][0] * H[1][1] - H[0][1] * H[1][0]
    if det <= 0 or H[0][0] >= 0:
        return None
    var_la, var_lb = -H[1][1] / det, -H[0][0] / det
    return a * math.sqrt(var_la), b * math.sqrt(var_lb)


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report", nargs="+")
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--published", type=float, default=9.2,
                    help="published alpha (%%) to compare with (Wang 2002: 9.2)")
    a = ap.parse_args()
    reports = []
    for path in a.report:
        with open(path) as f:
            reports.append(json.load(f))
    r = reports[0]
    # Pool the reports by coherence: runs of other seeds (or other coherences) add trials.
    # A (seed, coherence) pair given twice would count the same trials twice: refused.
    seen = set()
    pool = {}
    for q in reports:
        for i, c in enumerate(q["coherence"]):
            if (q["seed"], c) in seen:
                raise SystemExit(f"coherence {c:g} with seed {q['seed']} given twice")
            seen.add((q["seed"], c))
            pool.setdefault(c, []).append((q, i))
    rows = []
    for c in sorted(pool):
        parts = pool[c]
        trials = sum(q["trials_per_coherence"] for q, _ in parts)
        correct = sum(q["correct"][i] for q, i in parts)
        decided = sum(q["decided"][i] for q, i in parts)

        def wmean(key):
            xs = [(q[key][i], q["decided"][i]) for q, i in parts if q[key][i] is not None]
            n = sum(w for _, w in xs)
            return sum(x * w for x, w in xs) / n if n else None
        dt = wmean("decision_time_ms")
        # Pooled SD: within-run variances plus the spread of the run means.
        sd = None
        xs = [(q["decision_time_ms"][i], q["decision_time_sd_ms"][i], q["decided"][i])
              for q, i in parts if q["decision_time_ms"][i] is not None
              and q["decision_time_sd_ms"][i] is not None]
        n = sum(k for *_, k in xs)
        if n > 1 and dt is not None:
            ss = sum((k - 1) * s_ ** 2 + k * (m - dt) ** 2 for m, s_, k in xs)
            sd = math.sqrt(ss / (n - 1))
        rows.append((c, correct, decided, trials, dt, sd, wmean("winner_end_hz"),
                     wmean("loser_end_hz")))
    points = [(c, k, n) for c, k, n, *_ in rows]
    seeds = sorted({q["seed"] for q in reports})
    print(f"{r['network']}: seeds {', '.join(map(str, seeds))}")
    print("| c′ (%) | decided / trials | accuracy ± SE | decision time (ms, mean ± SD) |"
          " winner / loser at end (Hz) |")
    print("|---|---|---|---|---|")
    for c, k, n, trials, dt, sd, win, lose in rows:
        p = k / n if n else float("nan")
        se = math.sqrt(p * (1 - p) / n) if n else float("nan")
        fmt = lambda x, s: "–" if x is None else s.format(x)
        print(f"| {c:g} | {n}/{trials} | {p:.3f} ± {se:.3f} | "
              f"{fmt(dt, '{:.0f}')} ± {fmt(sd, '{:.0f}')} | "
              f"{fmt(win, '{:.1f}')} / {fmt(lose, '{:.1f}')} |")
    if len(reports) > 1:
        r = dict(r, weibull=None)
    alpha, beta, ll = fit(points)
    w = r.get("weibull")
    own = (f" (cortexsim's fit: alpha = {w['alpha']:.2f} %, beta = {w['beta']:.2f})"
           if w else "")
    print(f"Weibull fit: alpha = {alpha:.2f} %, beta = {beta:.2f}{own}")
    se = hessian_se(points, alpha, beta)
    if se and se[0] < alpha and se[1] < beta:
        print(f"  asymptotic SE: alpha ± {se[0]:.2f} %, beta ± {se[1]:.2f}")
    else:
        print("  asymptotic SE: not determined (the likelihood is flat in a direction: "
              "too few coherences between chance and certainty)")
    rng = random.Random(a.seed)
    boots = []
    for _ in range(a.boot):
        pts = [(c, sum(rng.random() < weibull(c, alpha, beta) for _ in range(n)), n)
               for c, _, n in points]
        boots.append(fit(pts)[:2])
    for name, idx, est in (("alpha", 0, alpha), ("beta", 1, beta)):
        xs = [b[idx] for b in boots]
        m = sum(xs) / len(xs)
        sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))
        print(f"  bootstrap ({a.boot}): {name} SD {sd:.2f}, 16–84 % "
              f"[{percentile(xs, 0.16):.2f}, {percentile(xs, 0.84):.2f}]")
    inside = sum(a.published / 1.5 <= b[0] <= a.published * 1.5 for b in boots) / len(boots)
    print(f"  alpha / published {a.published:g} % = {alpha / a.published:.2f}; bootstrap "
          f"fraction within a factor 1.5: {inside:.2f}")


if __name__ == "__main__":
    main()
