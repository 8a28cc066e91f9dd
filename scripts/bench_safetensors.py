#!/usr/bin/env python3
"""The Python side of zoo's benchmark: times the official safetensors package on the tensors
zoo-bench generated, and prints the results as one JSON object on stdout.

    bench_safetensors.py --input MODEL.safetensors [--small-input SMALL.safetensors]
                         --out-dir DIR [--runs N] [--open-repeats K] [--drop-caches]

zoo-bench runs it (with $ZOO_PYTHON); it is usable by hand too. Every timing is a list with one
entry per run (seconds); the caller takes the median. What is timed, in order:

  save_file        safetensors.numpy.save_file(tensors, DIR/out.safetensors), the tensors already in
                   numpy arrays (loading them from --input is not timed)
  save_file_fsync  the same save_file followed by os.fsync of the file and of DIR: the same durability
                   policy as zoo's CheckpointWriter, which fsyncs its shards, manifest and folders
                   (every save run starts after os.sync(), as zoo-bench's do)
  safe_open        safe_open(file, "np") alone, no tensor access (per call: a run is K calls)
  safe_open_keys   safe_open + keys(), i.e. open and list every tensor name (per call)
  small_*          the same two on --small-input (same tensor names, ~100x fewer bytes)
  load_file        safetensors.numpy.load_file: every tensor into a numpy array, page cache warm
  load_file_cold   the same right after `sync; echo 1 > /proc/sys/vm/drop_caches` (--drop-caches only)

Progress goes to stderr; stdout holds only the JSON.
"""

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import resource
import sys
import time

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def log(message):
    print(f"bench_safetensors: {message}", file=sys.stderr, flush=True)


def fsync_path(path, directory=False):
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def drop_caches():
    """Empties the page cache (root only); zoo-bench passes --drop-caches only when it can do it too."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("1\n")


def read_through(path):
    """Reads a file once so that the warm-cache timings start warm."""
    with open(path, "rb", buffering=0) as f:
        while f.read(16 << 20):
            pass


def time_open(path, repeats, list_keys):
    """Seconds per safe_open call, averaged over `repeats` calls."""
    start = time.perf_counter()
    for _ in range(repeats):
        with safe_open(path, framework="np") as f:
            if list_keys:
                names = f.keys()
                if not names:
                    raise SystemExit(f"{path}: no tensors")
    return (time.perf_counter() - start) / repeats


def time_load(path):
    start = time.perf_counter()
    tensors = load_file(path)
    elapsed = time.perf_counter() - start
    count = len(tensors)
    del tensors
    gc.collect()
    return elapsed, count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="the .safetensors file zoo-bench wrote")
    parser.add_argument("--small-input", help="a small model with the same tensor names, for the open timings")
    parser.add_argument("--out-dir", required=True, help="scratch folder for the saved files (must exist)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--open-repeats", type=int, default=50, help="safe_open calls per timed run")
    parser.add_argument("--drop-caches", action="store_true", help="also time load_file with a cold page cache")
    args = parser.parse_args()
    if args.runs < 1 or args.open_repeats < 1:
        parser.error("--runs and --open-repeats must be at least 1")
    if not os.path.isdir(args.out_dir):
        parser.error(f"--out-dir {args.out_dir} is not a folder")

    result = {
        "python": platform.python_version(),
        "safetensors": importlib.metadata.version("safetensors"),
        "numpy": np.__version__,
    }

    # Untimed: the tensors in numpy arrays, as a training script would hold them before saving.
    tensors = load_file(args.input)
    result["tensor_count"] = len(tensors)
    result["tensor_bytes"] = int(sum(t.nbytes for t in tensors.values()))
    log(f"loaded {len(tensors)} tensors, {result['tensor_bytes']} bytes, from {args.input}")

    out = os.path.join(args.out_dir, "out.safetensors")
    save, save_fsync = [], []
    for run in range(args.runs):
        if os.path.exists(out):
            os.unlink(out)
        os.sync()  # start with no writeback pending (zoo-bench does the same before its saves)
        start = time.perf_counter()
        save_file(tensors, out)
        saved = time.perf_counter()
        fsync_path(out)
        fsync_path(args.out_dir, directory=True)
        done = time.perf_counter()
        save.append(saved - start)
        save_fsync.append(done - start)
        log(f"save run {run + 1}: save_file {saved - start:.3f} s, + fsync {done - start:.3f} s")
    result["save_file"] = save
    result["save_file_fsync"] = save_fsync
    result["saved_bytes"] = os.path.getsize(out)
    # Peak RSS while the arrays were held and saved (Linux reports KiB).
    result["peak_rss_bytes_after_save"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    del tensors
    gc.collect()

    for key, path in (("", out), ("small_", args.small_input)):
        if path is None:
            continue
        time_open(path, 1, True)  # warm-up
        result[key + "safe_open"] = [time_open(path, args.open_repeats, False) for _ in range(args.runs)]
        result[key + "safe_open_keys"] = [time_open(path, args.open_repeats, True) for _ in range(args.runs)]
    result["open_repeats"] = args.open_repeats

    read_through(out)
    loads = []
    for run in range(args.runs):
        elapsed, count = time_load(out)
        if count != result["tensor_count"]:
            raise SystemExit(f"load_file returned {count} tensors, expected {result['tensor_count']}")
        loads.append(elapsed)
        log(f"load_file run {run + 1} (warm): {elapsed:.3f} s")
    result["load_file"] = loads

    if args.drop_caches:
        cold = []
        for run in range(args.runs):
            drop_caches()
            elapsed, _ = time_load(out)
            cold.append(elapsed)
            log(f"load_file run {run + 1} (cold): {elapsed:.3f} s")
        result["load_file_cold"] = cold

    os.unlink(out)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
