#!/usr/bin/env python3
"""Describes a safetensors file, or a Hugging Face sharded folder, as the official safetensors package
reads it, and optionally compares that with an expected description.

    check_safetensors.py PATH [EXPECTED.json] [--ignore-metadata] [--entry NAME] [-o OUT.json]

PATH is a .safetensors file; a *.safetensors.index.json; or a folder holding either one
*.safetensors.index.json (a sharded model) or exactly one *.safetensors file.

Prints one JSON object on stdout (keys sorted, tensors sorted by name):

    {
      "path": "model.safetensors",            # PATH's last component
      "kind": "file",                          # "file" | "sharded"
      "metadata": {"format": "pt"},            # file: its __metadata__ (null when absent); sharded: the
                                               #   union of the shards' __metadata__ (null when none has any)
      "index": null,                           # sharded: {"metadata": {...}, "weight_map": {...}} of the index
      "files": [ {"path": "model.safetensors", "size": 809528, "sha256": "<hex of the whole file>",
                  "metadata": {...} | null, "tensors": 41} ],        # sharded: one entry per shard, by name
      "tensors": [ {"name": "bert.pooler.dense.bias", "dtype": "F32", "shape": [64], "nbytes": 256,
                    "sha256": "<hex of the tensor's raw little-endian bytes>", "file": "model.safetensors"} ],
      "tensor_count": 41,
      "total_bytes": 805128                    # sum of nbytes
    }

With EXPECTED.json (such a description, or the fixtures' manifest.json, whose "fixtures" entry is
picked by --entry or by PATH's last component) it compares tensor names, dtypes, shapes and sha256
and, unless --ignore-metadata, the metadata (absent and {} count as equal), prints each difference on
stderr and exits 1 if there is any. Which file holds a tensor, and the file layout, are not compared.

Exit status: 0 = read (and matched), 1 = differs from EXPECTED, 2 = the package refused the input, the
sharded index is inconsistent, or bad usage.

How tensor bytes are obtained: numpy has no bfloat16 or float8 types, and safetensors' numpy
framework fails on them (`safe_open(..., framework="numpy").get_tensor` raises "data type 'bfloat16'
not understood"; `get_slice` still gives their dtype and shape). So tensors whose dtype numpy holds
(F64 F32 F16 I64 I32 I16 I8 U64 U32 U16 U8 BOOL C64) are read with `safe_open(..., framework="numpy")`,
and for any file holding other dtypes (BF16, F8_*, F4, ...) the tensors of those dtypes are taken from
`safetensors.deserialize(file bytes)`, the package's own parser, which returns each tensor's raw
bytes. Either way the package validates the header (offsets, sizes, coverage) before we see a byte.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import safetensors
from safetensors import safe_open

# safetensors dtype -> numpy dtype, for the dtypes safetensors' numpy framework can return.
NUMPY_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
    "BOOL": "?", "C64": "<c8",
}


class Invalid(Exception):
    """The input is not something the official package reads, or a sharded index is inconsistent."""


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(1 << 22)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def _array_bytes(arr, dtype):
    """The tensor's raw little-endian row-major bytes, as a flat uint8 array."""
    want = np.dtype(NUMPY_DTYPES[dtype])
    arr = np.ascontiguousarray(arr, dtype=want)  # no copy unless byte order or layout differ
    return arr.reshape(-1).view(np.uint8)


def describe_file(path, label=None):
    """(file entry, tensor entries) for one .safetensors file, read with the official package."""
    label = label or os.path.basename(path)
    tensors = []
    raw = None  # name -> bytes from safetensors.deserialize, for dtypes numpy lacks
    try:
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata()
            names = list(f.keys())
            for name in names:
                sl = f.get_slice(name)
                dtype, shape = sl.get_dtype(), [int(d) for d in sl.get_shape()]
                if dtype in NUMPY_DTYPES:
                    arr = f.get_tensor(name)
                    if list(arr.shape) != shape:
                        raise Invalid(f"{label}: tensor {name!r}: numpy shape differs from header shape")
                    data = _array_bytes(arr, dtype)
                else:
                    if raw is None:
                        with open(path, "rb") as fh:
                            raw = {n: v for n, v in safetensors.deserialize(fh.read())}
                    view = raw[name]
                    if view["dtype"] != dtype or list(view["shape"]) != shape:
                        raise Invalid(f"{label}: tensor {name!r}: deserialize and safe_open disagree")
                    data = bytes(view["data"])
                tensors.append({
                    "name": name, "dtype": dtype, "shape": shape, "nbytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(), "file": label,
                })
    except safetensors.SafetensorError as e:
        raise Invalid(f"{label}: safetensors refused the file: {e}") from e
    entry = {
        "path": label, "size": os.path.getsize(path), "sha256": sha256_file(path),
        "metadata": metadata, "tensors": len(tensors),
    }
    return entry, tensors


def find_index(folder):
    indexes = sorted(n for n in os.listdir(folder) if n.endswith(".safetensors.index.json"))
    if len(indexes) > 1:
        raise Invalid(f"{folder}: several index files: {', '.join(indexes)}")
    if indexes:
        return os.path.join(folder, indexes[0])
    files = sorted(n for n in os.listdir(folder) if n.endswith(".safetensors"))
    if len(files) == 1:
        return os.path.join(folder, files[0])
    raise Invalid(f"{folder}: no *.safetensors.index.json and {len(files)} .safetensors files (want 1)")


def describe_sharded(index_path, label):
    folder = os.path.dirname(os.path.abspath(index_path))
    try:
        with open(index_path, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        raise Invalid(f"{index_path}: cannot read the index: {e}") from e
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise Invalid(f"{index_path}: no \"weight_map\" object of tensor name -> file name")
    shard_names = sorted(set(weight_map.values()))
    files, tensors, merged, seen = [], [], None, {}
    for shard in shard_names:
        if os.path.isabs(shard) or ".." in shard.split("/") or "\\" in shard:
            raise Invalid(f"{index_path}: shard path {shard!r} leaves the folder")
        entry, shard_tensors = describe_file(os.path.join(folder, shard), label=shard)
        files.append(entry)
        if entry["metadata"]:
            merged = merged or {}
            for k, v in entry["metadata"].items():
                if k in merged and merged[k] != v:
                    raise Invalid(f"{shard}: metadata {k!r} is {v!r}, another shard says {merged[k]!r}")
                merged[k] = v
        for t in shard_tensors:
            if t["name"] in seen:
                raise Invalid(f"tensor {t['name']!r} is in both {seen[t['name']]} and {shard}")
            seen[t["name"]] = shard
            if weight_map.get(t["name"]) != shard:
                raise Invalid(f"{shard} holds tensor {t['name']!r}, but the weight_map says "
                              f"{weight_map.get(t['name'])!r}")
        tensors += shard_tensors
    missing = sorted(set(weight_map) - set(seen))
    if missing:
        raise Invalid(f"{index_path}: weight_map names tensors no shard holds: {', '.join(missing[:5])}")
    total = sum(t["nbytes"] for t in tensors)
    declared = (index.get("metadata") or {}).get("total_size")
    if declared is not None and declared != total:
        raise Invalid(f"{index_path}: metadata.total_size is {declared}, the tensors hold {total} bytes")
    index_view = {"metadata": index.get("metadata"), "weight_map": weight_map}
    return {"path": label, "kind": "sharded", "metadata": merged, "index": index_view,
            "files": files, "tensors": tensors}


def describe(path):
    """The description of PATH (see the module docstring)."""
    label = os.path.basename(os.path.normpath(path))
    if os.path.isdir(path):
        target = find_index(path)
    elif os.path.isfile(path):
        target = path
    else:
        raise Invalid(f"{path}: no such file or folder")
    if target.endswith(".index.json"):
        result = describe_sharded(target, label)
    else:
        entry, tensors = describe_file(target)
        result = {"path": label, "kind": "file", "metadata": entry["metadata"], "index": None,
                  "files": [entry], "tensors": tensors}
    result["tensors"].sort(key=lambda t: t["name"])
    result["tensor_count"] = len(result["tensors"])
    result["total_bytes"] = sum(t["nbytes"] for t in result["tensors"])
    return result


def compare(actual, expected, ignore_metadata=False):
    """Differences between two descriptions, as human-readable lines."""
    problems = []
    key = ("dtype", "shape", "sha256")
    got = {t["name"]: t for t in actual["tensors"]}
    want = {t["name"]: t for t in expected["tensors"]}
    for name in sorted(set(want) - set(got)):
        problems.append(f"missing tensor {name!r}")
    for name in sorted(set(got) - set(want)):
        problems.append(f"unexpected tensor {name!r}")
    for name in sorted(set(got) & set(want)):
        for k in key:
            if got[name][k] != want[name][k]:
                problems.append(f"tensor {name!r}: {k} is {got[name][k]!r}, expected {want[name][k]!r}")
    if not ignore_metadata and (actual.get("metadata") or {}) != (expected.get("metadata") or {}):
        problems.append(f"metadata is {actual.get('metadata')!r}, expected {expected.get('metadata')!r}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help=".safetensors file, *.safetensors.index.json, or a folder")
    parser.add_argument("expected", nargs="?", help="expected description (JSON) to compare with")
    parser.add_argument("--ignore-metadata", action="store_true", help="do not compare metadata")
    parser.add_argument("--entry", help="entry of a fixtures manifest.json to compare with "
                                        "(default: PATH's last component)")
    parser.add_argument("-o", "--output", help="also write the description to this file")
    args = parser.parse_args(argv)

    try:
        actual = describe(args.path)
    except (Invalid, OSError) as e:
        print(f"check_safetensors: error: {e}", file=sys.stderr)
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
            if entry not in expected["fixtures"]:
                raise Invalid(f"{args.expected}: no fixture {entry!r} (have: "
                              f"{', '.join(sorted(expected['fixtures']))})")
            expected = expected["fixtures"][entry]
        if not isinstance(expected.get("tensors"), list):
            raise Invalid(f"{args.expected}: no \"tensors\" list")
    except (Invalid, OSError, ValueError, AttributeError) as e:
        print(f"check_safetensors: error: {e}", file=sys.stderr)
        return 2
    problems = compare(actual, expected, args.ignore_metadata)
    for p in problems:
        print(f"check_safetensors: {args.path}: {p}", file=sys.stderr)
    if problems:
        print(f"check_safetensors: {args.path}: {len(problems)} difference(s) from {args.expected}",
              file=sys.stderr)
        return 1
    print(f"check_safetensors: {args.path}: {actual['tensor_count']} tensors match {args.expected}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
