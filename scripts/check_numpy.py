#!/usr/bin/env python3
"""Describes a .npy or .npz file as numpy itself reads it (numpy.load, allow_pickle=False), and
optionally compares that with an expected description.

    check_numpy.py PATH [EXPECTED.json] [--entry NAME] [-o OUT.json]

Prints one JSON object on stdout (keys sorted):

    {
      "path": "model.npz", "kind": "npz",            # or "npy"
      "arrays": [ {"name": "encoder.weight",        # npz: the member name without .npy; npy: the file name without .npy
                   "dtype": "F32",                  # zoo's name for the dtype
                   "descr": "<f4",                  # numpy's dtype.str as loaded
                   "fortran_order": false,          # whether numpy loaded it as Fortran-contiguous (and not C)
                   "shape": [4, 3],
                   "sha256": "<hex of the array's C-order little-endian bytes>",
                   "numpy_save_identical": true} ]  # npz only: the member's bytes are exactly what numpy.save
                                                    #   writes for that array
    }

Arrays are listed in archive order (numpy.load(...).files). With EXPECTED.json (a description, or a
fixtures manifest.json whose "fixtures" entry is chosen by --entry or PATH's last component) it
compares names, order, dtypes, shapes and sha256, prints each difference on stderr and exits 1 if
there is any.

Exit status: 0 = read (and matched), 1 = differs from EXPECTED, 2 = numpy refused the file or bad usage.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import zipfile

import numpy as np

ZOO_DTYPES = {
    ("f", 2): "F16", ("f", 4): "F32", ("f", 8): "F64",
    ("i", 1): "I8", ("i", 2): "I16", ("i", 4): "I32", ("i", 8): "I64",
    ("u", 1): "U8", ("u", 2): "U16", ("u", 4): "U32", ("u", 8): "U64", ("b", 1): "BOOL",
}


class Invalid(Exception):
    """numpy refused the file, or the expected description is unusable."""


def describe_array(name, arr):
    key = (arr.dtype.kind, arr.dtype.itemsize)
    if key not in ZOO_DTYPES:
        raise Invalid(f"{name}: dtype {arr.dtype.str} has no zoo equivalent")
    little = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
    return {
        "name": name, "dtype": ZOO_DTYPES[key], "descr": arr.dtype.str,
        "fortran_order": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
        "shape": [int(d) for d in arr.shape], "sha256": hashlib.sha256(little.tobytes()).hexdigest(),
    }


def describe(path):
    label = os.path.basename(os.path.normpath(path))
    with open(path, "rb") as f:
        head = f.read(6)
    try:
        if head == b"\x93NUMPY":
            arr = np.load(path, allow_pickle=False)
            name = label[:-4] if label.endswith(".npy") else label
            return {"path": label, "kind": "npy", "arrays": [describe_array(name, arr)]}
        arrays = []
        with np.load(path, allow_pickle=False) as archive, zipfile.ZipFile(path) as raw:
            for name in archive.files:
                arr = archive[name]
                entry = describe_array(name, arr)
                saved = io.BytesIO()
                np.save(saved, arr)
                entry["numpy_save_identical"] = raw.read(name + ".npy") == saved.getvalue()
                arrays.append(entry)
        return {"path": label, "kind": "npz", "arrays": arrays}
    except (ValueError, OSError, zipfile.BadZipFile, KeyError) as e:
        raise Invalid(f"{path}: numpy refused the file: {e}") from e


def compare(actual, expected):
    problems = []
    got = [a["name"] for a in actual["arrays"]]
    want = [a["name"] for a in expected["arrays"]]
    if got != want:
        problems.append(f"arrays are {got}, expected {want}")
        return problems
    for a, e in zip(actual["arrays"], expected["arrays"]):
        for k in ("dtype", "shape", "sha256"):
            if a[k] != e[k]:
                problems.append(f"array {a['name']!r}: {k} is {a[k]!r}, expected {e[k]!r}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="a .npy or .npz file")
    parser.add_argument("expected", nargs="?", help="expected description (JSON) to compare with")
    parser.add_argument("--entry", help="entry of a fixtures manifest.json (default: PATH's last component)")
    parser.add_argument("-o", "--output", help="also write the description to this file")
    args = parser.parse_args(argv)
    try:
        actual = describe(args.path)
    except (Invalid, OSError) as e:
        print(f"check_numpy: error: {e}", file=sys.stderr)
        return 2
    text = json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False)
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    if not args.expected:
        return 0
    try:
        with open(args.expected, encoding="utf-8") as f:
            expected = json.load(f)
        if "fixtures" in expected:
            entry = args.entry or actual["path"]
            if not expected["fixtures"].get(entry):
                raise Invalid(f"{args.expected}: no fixture {entry!r}")
            expected = expected["fixtures"][entry]
    except (Invalid, OSError, ValueError) as e:
        print(f"check_numpy: error: {e}", file=sys.stderr)
        return 2
    problems = compare(actual, expected)
    for p in problems:
        print(f"check_numpy: {args.path}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
