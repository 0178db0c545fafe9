"""Chaudhuri et al. (2015) 29-area rate model of macaque cortex: the autocorrelation
timescale of every area's E population against its hierarchy (slow areas at the top),
and a rate run with the model's own input.

    python examples/python/chaudhuri_timescales.py [--t-max MS] [--out FILE.png]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import cortexsim  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-max", type=float, default=12000.0, help="impulse response length, ms")
    ap.add_argument("--out", default="chaudhuri_timescales.png")
    a = ap.parse_args()

    model = cortexsim.load_rate("chaudhuri2015.toml")
    ts = model.timescales(method="impulse", t_max=a.t_max)
    hier = dict(model.hierarchy)
    pops = ts["populations"]
    names = ts["order"]  # E populations by hierarchy
    print("%-8s %10s %10s" % ("area", "hierarchy", "tau (ms)"))
    for n in names:
        area = n.rsplit(".", 1)[0]
        print("%-8s %10.3f %10.1f" % (area, hier[area], pops[n]["tau_ms"]))
    print("Spearman correlation with hierarchy: %.3f" % ts["spearman_vs_hierarchy"])

    run = model.run(t_stop=1000.0)
    print("rate run: %d samples, V1.E ends at %.3f Hz" % (len(run["t_ms"]), run["rates"]["V1.E"][-1]))

    fig, ax = plt.subplots(figsize=(6, 4))
    x = [hier[n.rsplit(".", 1)[0]] for n in names]
    y = [pops[n]["tau_ms"] for n in names]
    ax.semilogy(x, y, "o")
    for xi, yi, n in zip(x, y, names):
        ax.annotate(n.rsplit(".", 1)[0], (xi, yi), fontsize=6, xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel("hierarchy (normalised)")
    ax.set_ylabel("timescale (ms)")
    ax.set_title("Chaudhuri 2015: timescales (Spearman %.2f)" % ts["spearman_vs_hierarchy"])
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print("figure: %s" % a.out)


if __name__ == "__main__":
    main()
