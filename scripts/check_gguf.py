#!/usr/bin/env python3
"""Describes a GGUF file as the official `gguf` package (ggml's gguf-py) reads it, and optionally
compares that with an expected description.

    check_gguf.py PATH [EXPECTED.json] [--entry NAME] [--ignore-metadata] [-o OUT.json]

Prints one JSON object on stdout (keys sorted):

    {
      "path": "all_types.gguf",              # PATH's last component
      "size": 123456, "sha256": "<hex of the whole file>",
      "version": 3, "alignment": 32, "data_offset": 4096,
      "metadata": [ {"key": "general.architecture", "type": "string", "value": "llama"},
                    {"key": "llama.block_count", "type": "u32", "value": 2},
                    {"key": "tokenizer.ggml.scores", "type": "array", "element_type": "f32", "value": [...]}, ...],
      "tensors": [ {"name": "blk.0.attn_q.weight", "ggml_type": "Q8_0", "ggml_type_id": 8,
                    "ne": [64, 32],                 # GGUF order, fastest-varying first
                    "shape": [32, 64],              # ne reversed: row-major, as zoo and PyTorch write it
                    "offset": 0,                    # relative to the data section
                    "nbytes": 2176, "sha256": "<hex of the raw bytes>",
                    "dequantized_sha256": "<hex of gguf.quants.dequantize(...) as little-endian float32>"} ],
      "tensor_count": 9
    }

"metadata" is in file order and uses exactly zoo's typed JSON (spec/gguf.md §4): integers beyond
+-(2^53-1), NaN ("nan", or "nan:0x<bits>" when not the canonical quiet NaN), "inf", "-inf", "-0"
and integral floats between 2^53 and 10^21 are strings; a string that is not UTF-8 is
{"hex": "..."}; nested arrays are {"element_type": ..., "value": [...]}. The values and types come
from the package's parsed fields (GGUFReader.fields: the typed numpy parts); nested arrays, which
the reader flattens in `contents()`, are rebuilt from those parts. "dequantized_sha256" is only
given for quantised tensors.

With EXPECTED.json (a description, or a fixtures manifest.json whose "fixtures" entry is chosen by
--entry or PATH's last component) it compares tensor names, types, shapes and sha256 and, unless
--ignore-metadata, the metadata (keys, order, types and values), prints each difference on stderr
and exits 1 if there is any.

Exit status: 0 = read (and matched), 1 = differs from EXPECTED, 2 = the package refused the file or
bad usage.
"""

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGMLQuantizationType
from gguf import quants

TYPE_NAMES = {
    GGUFValueType.UINT8: "u8", GGUFValueType.INT8: "i8", GGUFValueType.UINT16: "u16",
    GGUFValueType.INT16: "i16", GGUFValueType.UINT32: "u32", GGUFValueType.INT32: "i32",
    GGUFValueType.FLOAT32: "f32", GGUFValueType.BOOL: "bool", GGUFValueType.STRING: "string",
    GGUFValueType.ARRAY: "array", GGUFValueType.UINT64: "u64", GGUFValueType.INT64: "i64",
    GGUFValueType.FLOAT64: "f64",
}
MAX_JSON_INTEGER = (1 << 53) - 1
PLAIN_TYPES = {  # tensor types the package returns as typed arrays rather than raw bytes
    GGMLQuantizationType.F32, GGMLQuantizationType.F16, GGMLQuantizationType.F64, GGMLQuantizationType.I8,
    GGMLQuantizationType.I16, GGMLQuantizationType.I32, GGMLQuantizationType.I64,
}


class Invalid(Exception):
    """The package refused the file, or the expected description is unusable."""


def _float_json(part, width):
    """A float in zoo's typed JSON, from the one-element numpy array the reader parsed."""
    if width == 32:
        bits = int(part.view(np.uint32)[0])
        value = float(part[0])
        canonical, text = 0x7FC00000, str(np.float32(part[0]))
    else:
        bits = int(part.view(np.uint64)[0])
        value = float(part[0])
        canonical, text = 0x7FF8000000000000, repr(value)
    if math.isnan(value):
        return "nan" if bits == canonical else "nan:0x%0*x" % (width // 4, bits)
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == 0 and math.copysign(1, value) < 0:
        return "-0"
    if value == int(value) and 2 ** 53 <= abs(value) < 1e21:
        return text
    return float(value)


def _scalar_json(part, vtype):
    raw = part[0]
    if vtype == GGUFValueType.BOOL:
        return bool(raw)
    if vtype == GGUFValueType.FLOAT32:
        return _float_json(part, 32)
    if vtype == GGUFValueType.FLOAT64:
        return _float_json(part, 64)
    value = int(raw)
    return str(value) if abs(value) > MAX_JSON_INTEGER else value


def _string_json(part):
    data = bytes(part)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"hex": data.hex()}


def _value_json(parts, i, vtype):
    """(typed JSON of the value starting at parts[i], index after it)."""
    if vtype == GGUFValueType.STRING:
        return _string_json(parts[i + 1]), i + 2
    if vtype == GGUFValueType.ARRAY:
        element_type = GGUFValueType(int(parts[i][0]))
        count = int(parts[i + 1][0])
        i += 2
        elements = []
        for _ in range(count):
            element, i = _value_json(parts, i, element_type)
            elements.append(element)
        return {"element_type": TYPE_NAMES[element_type], "value": elements}, i
    return _scalar_json(parts[i], vtype), i + 1


def describe_metadata(reader):
    entries = []
    for field in reader.fields.values():
        if field.name.startswith("GGUF."):
            continue  # the reader's pseudo-fields for the header
        vtype = GGUFValueType(int(field.parts[2][0]))
        value, end = _value_json(field.parts, 3, vtype)
        if end != len(field.parts):
            raise Invalid(f"{field.name}: {len(field.parts) - end} unexplained parts")
        entry = {"key": field.name, "type": TYPE_NAMES[vtype]}
        if vtype == GGUFValueType.ARRAY:
            entry["element_type"], entry["value"] = value["element_type"], value["value"]
        else:
            entry["value"] = value
        entries.append(entry)
    return entries


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def describe(path):
    """The description of the GGUF file at PATH (see the module docstring)."""
    try:
        reader = GGUFReader(path)
    except (ValueError, KeyError, IndexError, OSError) as e:
        raise Invalid(f"{path}: the gguf package refused the file: {e}") from e
    version = int(reader.fields["GGUF.version"].parts[0][0])
    tensors = []
    for t in reader.tensors:
        raw = reader.data[t.data_offset:t.data_offset + t.n_bytes].tobytes()
        ne = [int(d) for d in t.shape]
        entry = {
            "name": t.name, "ggml_type": t.tensor_type.name, "ggml_type_id": int(t.tensor_type),
            "ne": ne, "shape": list(reversed(ne)), "offset": int(t.data_offset - reader.data_offset),
            "nbytes": int(t.n_bytes), "sha256": hashlib.sha256(raw).hexdigest(),
        }
        if t.tensor_type not in PLAIN_TYPES and t.tensor_type != GGMLQuantizationType.BF16:
            try:
                values = quants.dequantize(t.data, t.tensor_type).astype("<f4")
                entry["dequantized_sha256"] = hashlib.sha256(values.tobytes()).hexdigest()
            except NotImplementedError:
                pass
        tensors.append(entry)
    return {
        "path": os.path.basename(os.path.normpath(path)), "size": os.path.getsize(path),
        "sha256": sha256_file(path), "version": version, "alignment": int(reader.alignment),
        "data_offset": int(reader.data_offset), "metadata": describe_metadata(reader),
        "tensors": tensors, "tensor_count": len(tensors),
    }


def compare(actual, expected, ignore_metadata=False):
    problems = []
    got = {t["name"]: t for t in actual["tensors"]}
    want = {t["name"]: t for t in expected["tensors"]}
    for name in sorted(set(want) - set(got)):
        problems.append(f"missing tensor {name!r}")
    for name in sorted(set(got) - set(want)):
        problems.append(f"unexpected tensor {name!r}")
    for name in sorted(set(got) & set(want)):
        for k in ("ggml_type", "shape", "sha256"):
            if got[name][k] != want[name][k]:
                problems.append(f"tensor {name!r}: {k} is {got[name][k]!r}, expected {want[name][k]!r}")
    if [t["name"] for t in actual["tensors"]] != [t["name"] for t in expected["tensors"]] and not problems:
        problems.append("tensor order differs")
    if not ignore_metadata:
        a, e = actual["metadata"], expected["metadata"]
        if [m["key"] for m in a] != [m["key"] for m in e]:
            problems.append(f"metadata keys differ: {[m['key'] for m in a]} vs {[m['key'] for m in e]}")
        else:
            for x, y in zip(a, e):
                if json.dumps(x, sort_keys=True) != json.dumps(y, sort_keys=True):
                    problems.append(f"metadata {x['key']!r}: {x!r}, expected {y!r}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="a .gguf file")
    parser.add_argument("expected", nargs="?", help="expected description (JSON) to compare with")
    parser.add_argument("--entry", help="entry of a fixtures manifest.json (default: PATH's last component)")
    parser.add_argument("--ignore-metadata", action="store_true", help="do not compare metadata")
    parser.add_argument("-o", "--output", help="also write the description to this file")
    args = parser.parse_args(argv)
    try:
        actual = describe(args.path)
    except (Invalid, OSError) as e:
        print(f"check_gguf: error: {e}", file=sys.stderr)
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
                raise Invalid(f"{args.expected}: no fixture {entry!r}")
            expected = expected["fixtures"][entry]
    except (Invalid, OSError, ValueError) as e:
        print(f"check_gguf: error: {e}", file=sys.stderr)
        return 2
    problems = compare(actual, expected, args.ignore_metadata)
    for p in problems:
        print(f"check_gguf: {args.path}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_gguf: {args.path}: {actual['tensor_count']} tensors match {args.expected}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
