#!/usr/bin/env python3
"""Mutation fuzzing of every shipped network and rate file (issue 10; not run in CI).

Each run takes one file of networks/*.toml, applies 1-3 random mutations to its text
(a value replaced by a hostile one, a line deleted or duplicated, a key misspelt, a name
made unsafe, random bytes inserted) and sometimes random command-line flags, and runs the
release binary on it with a short simulated time, a memory cap and a wall-clock limit.
It counts the outcomes:

Half the value changes are plausible (the value scaled by 0, 0.5, 2, 10, 100, -1, 1e-3
or 1e3), so that many mutated files are accepted and run.

  ok / refused      exit 0, or 2-5 (usage, invalid input, runtime, memory): fine
  panic             exit 101 or "panicked" on stderr
  signal            killed by a signal (abort, segfault, OOM kill)
  hang              still running after --limit seconds
  long message      an error message with a number longer than 25 characters

Every failure is saved (mutated file + command + stderr) under --keep for replay.

    cargo build --release
    python3 scripts/fuzz.py --runs 3000 --jobs 2 --limit 30 --seed 1
"""

import argparse
import concurrent.futures as cf
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = [
    "0", "-1", "1", "-0.0", "1e308", "-1e308", "1e39", "-3.5e38", "1e-300", "1e-12",
    "nan", "inf", "-inf", "9223372036854775807", "-9223372036854775808",
    "\"18446744073709551615\"", "\"x\"", "\"\"", "\"a/b.c\"", "\"E\\u0000\"", "true",
    "[]", "{}", "[1, 2]", "{ distribution = \"normal\", mean = 1.0, std = 1e30 }",
    "{ distribution = \"uniform\", low = 5.0, high = 1.0 }", "100000", "4294967295",
    "0.05", "0.1", "2.5", "1e6", "1e9", "65536", "\"all\"",
]
FLAGS = [
    ["--threads", "0"], ["--threads", "100000"], ["--threads", "3"],
    ["--seed", "18446744073709551615"], ["--seed", "0"], ["--max-memory", "1k"],
    ["--max-memory", "50M"], ["--warmup", "5"], ["--warmup", "-1"], ["--warmup", "1e300"],
    ["--set", "simulation.dt=1e-9"], ["--set", "simulation.threads=5000"],
    ["--set", "simulation.t_stop=1e300"], ["--set", "recorders.rate_bin=1e-12"],
]
LONG_NUMBER = re.compile(r"[0-9.]{26,}")


def mutate(text, rng):
    lines = text.split("\n")
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not lines:
            break
        i = rng.randrange(len(lines))
        line = lines[i]
        op = rng.random()
        if " = " in line and not line.lstrip().startswith(("[", "#")) and op < 0.6:
            key = line.split(" = ", 1)[0]
            val = line.split(" = ", 1)[1].strip()
            number = re.fullmatch(r"-?[0-9][0-9_.eE+-]*", val)
            if number and rng.random() < 0.5:
                # A plausible change: the same value scaled (still often accepted).
                try:
                    x = float(val.replace("_", "")) * rng.choice([0, 0.5, 2, 10, 100, -1, 1e-3, 1e3])
                    lines[i] = f"{key} = {x!r}" if "." in val or "e" in val.lower() or x != int(x) else f"{key} = {int(x)}"
                except (ValueError, OverflowError):
                    lines[i] = f"{key} = {rng.choice(HOSTILE)}"
            elif key.strip() == "name" and rng.random() < 0.5:
                lines[i] = f'{key} = "{rng.choice(["a/b", "x.y", "s p", "Ä", "a" * 300])}"'
            else:
                lines[i] = f"{key} = {rng.choice(HOSTILE)}"
        elif op < 0.7:
            del lines[i]
        elif op < 0.8:
            lines.insert(i, line)
        elif op < 0.9 and " = " in line:
            key, val = line.split(" = ", 1)
            k = list(key)
            j = rng.randrange(len(k))
            k[j] = rng.choice("abcxyz_")
            lines[i] = "".join(k) + " = " + val
        else:
            j = rng.randrange(len(line) + 1)
            junk = "".join(rng.choice("=[]{}\"',.\\\n#0123456789e-") for _ in range(rng.randint(1, 4)))
            lines[i] = line[:j] + junk + line[j:]
    return "\n".join(lines)


def short_args(name):
    """Short runs: small versions of the large networks, a few ms of simulated time."""
    if name.startswith("joglekar2018_spiking"):
        return ["--set", "model.n_per_area=40", "--t-stop", "20"]
    if name == "potjans_diesmann2014":
        return ["--set", "simulation.scale=0.02", "--t-stop", "20"]
    if name in ("brunel2000", "brunel2000_sr", "brunel2000_si_fast", "brunel2000_si_slow"):
        return ["--set", "populations.E.size=800", "--set", "populations.I.size=200", "--t-stop", "20"]
    return ["--t-stop", "20"]


def one(task):
    k, path, seed, exe, limit, keep = task
    rng = random.Random(seed)
    text = Path(path).read_text()
    name = Path(path).stem
    rate = "[[populations]]" not in text and "joglekar2018_spiking" not in text
    mutated = mutate(text, rng)
    with tempfile.TemporaryDirectory() as d:
        net = Path(d) / f"{name}.toml"
        net.write_text(mutated, errors="surrogateescape")
        cmd = [exe, "inspect" if rng.random() < 0.1 else "run", str(net)]
        if cmd[1] == "run":
            cmd += short_args(name)
            cmd += ["--out", str(Path(d) / ("o.csv" if rate else "o.h5")), "--max-memory", "1G"]
            for _ in range(rng.choice([0, 0, 1, 2])):
                cmd += rng.choice(FLAGS)
        env = dict(os.environ, RUST_BACKTRACE="0")
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=limit, env=env, cwd=d)
            code, err = p.returncode, p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            code, err = None, ""
        wall = time.time() - t0
    if code is None:
        kind = "hang"
    elif code < 0:
        kind = "signal"
    elif code == 101 or "panicked" in err:
        kind = "panic"
    elif LONG_NUMBER.search(err):
        kind = "long message"
    elif code in (0, 2, 3, 4, 5):
        kind = "ok" if code == 0 else "refused"
    else:
        kind = f"exit {code}"
    if kind not in ("ok", "refused"):
        out = Path(keep) / f"{k:05d}_{kind.replace(' ', '_')}_{name}"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.toml").write_text(mutated, errors="surrogateescape")
        (out / "cmd.json").write_text(json.dumps(cmd))
        (out / "stderr.txt").write_text(err)
    return name, kind, code, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--limit", type=float, default=30.0, help="wall-clock limit per run, s")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exe", default=os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")) + "/release/cortexsim")
    ap.add_argument("--keep", default="fuzz-failures")
    a = ap.parse_args()
    files = sorted(str(p) for p in (ROOT / "networks").glob("*.toml"))
    tasks = [(k, files[k % len(files)], a.seed * 1_000_003 + k, a.exe, a.limit, a.keep) for k in range(a.runs)]
    counts, per_file, t0 = {}, {}, time.time()
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for i, (name, kind, code, wall) in enumerate(ex.map(one, tasks), 1):
            counts[kind] = counts.get(kind, 0) + 1
            per_file.setdefault(name, {}).setdefault(kind, 0)
            per_file[name][kind] += 1
            if kind not in ("ok", "refused"):
                print(f"  run {i}: {name}: {kind} (exit {code}, {wall:.1f} s)", flush=True)
            if i % 250 == 0:
                print(f"{i} runs, {time.time() - t0:.0f} s: {counts}", flush=True)
    print(json.dumps({"runs": a.runs, "seconds": round(time.time() - t0), "counts": counts, "per_file": per_file}, indent=1))
    bad = sum(v for k, v in counts.items() if k not in ("ok", "refused"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
