"""Brunel (2000) network: run it from Python, draw a spike raster and the population
rates with matplotlib (headless: the Agg backend), print the summary.

    python examples/python/brunel_raster.py [--t-stop MS] [--seed N] [--out FILE.png]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import cortexsim  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default="brunel2000")
    ap.add_argument("--t-stop", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="brunel_raster.png")
    a = ap.parse_args()

    net = cortexsim.load(a.network)
    res = net.run(t_stop=a.t_stop, seed=a.seed)
    s = res.summary
    print(
        "%s: %d neurons, %d synapses, simulated %.0f ms in %.2f s"
        % (s["network"], s["neurons"], s["synapses"], s["t_stop_ms"], s["timings_s"]["simulate"])
    )
    for pop, p in s["populations"].items():
        print("  %-3s %8.3f Hz  CV ISI %.3f" % (pop, p["rate_hz"], p["cv_isi"] or float("nan")))

    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(8, 5), height_ratios=[3, 1])
    offset = 0
    for pop, color in zip(res.spikes, ("tab:blue", "tab:red", "tab:green", "tab:orange")):
        t, ids = res.spikes[pop]
        shown = ids < 100  # the first 100 neurons of each population
        ax1.plot(t[shown], ids[shown] + offset, ".", ms=1.5, color=color, label=pop)
        offset += 100
        r = res.rates[pop]
        ax2.plot(np.arange(len(r)) * res.rate_bin_ms, r, lw=0.7, color=color)
    ax1.set_ylabel("neuron (100 per population)")
    ax1.legend(loc="upper right", markerscale=6)
    ax2.set_xlabel("time (ms)")
    ax2.set_ylabel("rate (Hz)")
    ax1.set_title("%s, seed %d" % (s["network"], a.seed))
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print("raster: %s" % a.out)


if __name__ == "__main__":
    main()
