#!/usr/bin/env python3
"""The Python side of `zoo-bench --manifest`: times safetensors.safe_open on each file given, and
prints one JSON object on stdout: {"safetensors": VERSION, "python": VERSION, "safe_open": {PATH: [s, ...]}}.

    bench_safe_open.py [--runs N] [--run-seconds S] FILE.safetensors...

Each run opens the file K times (K chosen once per file so that a run takes about S seconds) (safe_open(file, "np") inside a `with`, no tensor access, as
`Checkpoint(directory:)` reads the manifest and checks the files but touches no tensor) and
records the seconds per call; the caller takes the median of the N runs. One untimed call warms
the page cache first.
"""

import argparse
import gc
import json
import platform
import sys
import time

import safetensors
from safetensors import safe_open


def per_call(path, repeats):
    gc.collect()
    start = time.perf_counter()
    for _ in range(repeats):
        with safe_open(path, "np"):
            pass
    return (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--run-seconds", type=float, default=0.05)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    results = {}
    for path in args.files:
        repeats = max(1, int(args.run_seconds / per_call(path, 1)))
        results[path] = [per_call(path, repeats) for _ in range(args.runs)]
        print(f"bench_safe_open: {path}: {min(results[path]) * 1e6:.0f} us best", file=sys.stderr)
    json.dump({"python": platform.python_version(), "safetensors": safetensors.__version__,
               "safe_open": results}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
