"""Mean field vs spiking simulation: the stationary rates of the Brunel network
predicted by the mean-field theory, against the rates of a spiking run, as the drive
(eta, the external rate in units of the threshold rate) changes.

    python examples/python/meanfield_vs_spiking.py [--t-stop MS] [--scale F] [--out FILE.png]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import cortexsim  # noqa: E402

# nu_thr = theta / (J C_E tau_m) = 10 Hz per input, C_E = 1000 inputs: rate = eta * 10 kHz.
ETAS = [1.0, 1.5, 2.0, 3.0, 4.0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--t-stop", type=float, default=500.0)
    ap.add_argument("--scale", type=float, default=1.0, help="population sizes x this")
    ap.add_argument("--out", default="meanfield_vs_spiking.png")
    a = ap.parse_args()

    mf, sim = [], []
    print("%6s %12s %12s %9s" % ("eta", "MF E (Hz)", "sim E (Hz)", "rel err"))
    for eta in ETAS:
        rate = eta * 10000.0
        net = cortexsim.load(
            "brunel2000",
            set={
                "stimuli.0.rate": rate,
                "stimuli.1.rate": rate,
                "populations.E.size": int(10000 * a.scale),
                "populations.I.size": int(2500 * a.scale),
            },
        )
        m = cortexsim.meanfield(net)["populations"]["E"]["rate_hz"]
        res = net.run(t_stop=a.t_stop, seed=1, progress=False, warmup=100.0)
        s = res.summary["populations"]["E"]["rate_hz"]
        mf.append(m)
        sim.append(s)
        print("%6.2f %12.3f %12.3f %+8.1f%%" % (eta, m, s, 100 * (s - m) / m if m else float("nan")))

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(ETAS, mf, "-", label="mean field")
    ax.plot(ETAS, sim, "o", label="spiking network")
    ax.set_xlabel("external drive eta")
    ax.set_ylabel("E rate (Hz)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print("figure: %s" % a.out)


if __name__ == "__main__":
    main()
