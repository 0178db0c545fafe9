#!/usr/bin/env python3
"""Cost per spike against network size (issue 11): Brunel-delta with K = 5,000
(C_E = 4,000, C_I = 1,000, the network file's weights and drive) at N = 5e4, 2e5, 8e5
(or --sizes), each size run by `cortexsim bench` (a fresh child process per run, recording
off) on each thread count, the whole list --rounds times back to back. Prints a markdown
table: build s and ns per synapse, synaptic events/s (median over rounds), their ratio to
the smallest N on the same thread count, peak RSS in bytes per synapse, row-index bytes.

  python3 scripts/bench_scale.py target/release/cortexsim [--sizes 50000 400000 800000]
      [--threads 1,2] [--rounds 2] [--t-sim 200] [--json out.json]

N = 8e5 holds 4e9 synapses: about 8.1 GB; the script refuses sizes the machine's memory
estimate (cortexsim inspect) says will not fit.
"""
import argparse, json, statistics, subprocess, sys


def overrides(n):
    ne, ni = n * 4 // 5, n // 5
    return ["--set", f"populations.E.size={ne}", "--set", f"populations.I.size={ni}",
            "--set", "projections.0.indegree=4000", "--set", "projections.1.indegree=4000",
            "--set", "projections.2.indegree=1000", "--set", "projections.3.indegree=1000"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--sizes", type=int, nargs="+", default=[50000, 200000, 800000])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--t-sim", type=float, default=200.0)
    ap.add_argument("--network", default="networks/brunel2000.toml")
    ap.add_argument("--json")
    a = ap.parse_args()
    for n in a.sizes:
        r = subprocess.run([a.binary, "inspect", a.network, *overrides(n), "--json"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"N = {n}: {r.stderr.strip()}")
    res = {}  # (n, threads) -> list of result rows
    for rnd in range(a.rounds):
        for n in a.sizes:
            cmd = [a.binary, "bench", a.network, *overrides(n), "--threads", a.threads,
                   "--seeds", "1", "--t-sim", str(a.t_sim), "--warmup", "0", "--json"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"N = {n}: {r.stderr.strip()}")
            rep = json.loads(r.stdout)
            for row in rep["results"]:
                row["partitions"] = rep["partitions"]
                res.setdefault((n, row["threads"]), []).append(row)
                print(f"round {rnd + 1} N={n} threads={row['threads']}: build {row['build_s']:.2f} s, "
                      f"{row['synaptic_events_per_s']:.3e} events/s", file=sys.stderr)
    threads = [int(t) for t in a.threads.split(",")]
    print(f"| N | synapses | partitions | threads | build s (ns/synapse) | events/s (median of {a.rounds}) "
          "| ratio to N = {:,} | peak RSS B/synapse | row index |".format(a.sizes[0]))
    print("|---|---|---|---|---|---|---|---|---|")
    out = []
    for t in threads:
        ev0 = statistics.median(r["synaptic_events_per_s"] for r in res[(a.sizes[0], t)])
        for n in a.sizes:
            rows = res[(n, t)]
            ev = statistics.median(r["synaptic_events_per_s"] for r in rows)
            build = statistics.median(r["build_s"] for r in rows)
            syn = rows[0]["synapses"]
            rss = max(r["peak_rss_bytes"] for r in rows)
            runs = ", ".join("%.2e" % r["synaptic_events_per_s"] for r in rows)
            idx = rows[0]["row_index_bytes"]
            print(f"| {n:,} | {syn:.2e} | {rows[0]['partitions']} | {t} | {build:.2f} ({1e9 * build / syn:.1f}) "
                  f"| {ev:.3e} (runs: {runs}) "
                  f"| {ev / ev0:.2f} | {rss / syn:.2f} | {idx / 2**20:.0f} MiB ({idx / syn:.3f} B/syn) |")
            out.append({"n": n, "threads": t, "events_per_s": ev, "ratio": ev / ev0, "build_s": build,
                        "synapses": syn, "peak_rss_bytes": rss, "row_index_bytes": idx, "runs": rows})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
