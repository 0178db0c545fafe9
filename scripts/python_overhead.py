"""Overhead of the Python path against the command line on the default network
(README, "Python"): alternating runs of

    cortexsim run brunel2000 --no-output --json
    python -c "import cortexsim; cortexsim.load('brunel2000').run()"

each in a fresh process; prints the medians of the process wall time, of the simulate
and build times that each reports in its summary, and of the time from `import
cortexsim` to the end of `run` inside Python.

    python scripts/python_overhead.py target/release/cortexsim [--reps 15]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

PY = (
    "import time, json; t = time.perf_counter(); import cortexsim; "
    "r = cortexsim.load('brunel2000').run(progress=False); "
    "print(json.dumps(dict(r.summary['timings_s'], wall_in_python=time.perf_counter() - t)))"
)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cli")
    ap.add_argument("--reps", type=int, default=15)
    a = ap.parse_args()
    rows = {"cli": [], "python": []}
    in_python = []
    for _ in range(a.reps):
        t = time.perf_counter()
        p = subprocess.run([a.cli, "run", "brunel2000", "--no-output", "--json"], capture_output=True, text=True, check=True)
        s = json.loads(p.stdout)["timings_s"]
        rows["cli"].append((time.perf_counter() - t, s["simulate"], s["build"]))
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", PY], capture_output=True, text=True, check=True)
        s = json.loads(p.stdout)
        rows["python"].append((time.perf_counter() - t, s["simulate"], s["build"]))
        in_python.append(s["wall_in_python"])
    med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in rows.items()}
    for k, (w, sim, build) in med.items():
        print("%-7s process %.3f s, simulate %.3f s, build %.3f s (medians of %d)" % (k, w, sim, build, a.reps))
    print("python: import + load + run inside the interpreter %.3f s" % statistics.median(in_python))
    c, p = med["cli"], med["python"]
    print(
        "python vs cli: process %+.1f%%, simulate %+.1f%%, build %+.1f%%"
        % tuple(100 * (p[i] - c[i]) / c[i] for i in range(3))
    )


if __name__ == "__main__":
    main()
