#!/usr/bin/env python3
"""Writes the zoo checkpoint format v1 golden vectors (spec/golden/) from spec/format.md alone.

An independent implementation: Python 3 stdlib + numpy, no zoo code. Deterministic: running it
twice gives identical bytes. It also re-reads everything it wrote with its own reader (section
"reference reader" below) and checks every good vector passes deep verification and every bad
one fails with its expected keyword; the manifests are validated against spec/manifest.schema.json
with the `jsonschema` package when it is installed.

    python3 spec/golden/make_golden.py          # rewrites the vectors next to this file
"""

import hashlib
import json
import math
import os
import random
import shutil
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.path.join(HERE, "..", "manifest.schema.json")

MAX_SAFE = 2**53 - 1  # manifest integers lie within +-MAX_SAFE
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_RANK = 32
MAX_NAME_BYTES = 1024
MAX_PATH_BYTES = 1024
ALIGN = 64
READER_VERSION = (1, 0)
FAMILIES = {"autoregressive", "autoencoding", "seq2seq", "multimodal", "retrieval", "other"}
DTYPE_BYTES = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1,
    "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
}


class Rejected(Exception):
    """A reader rejection; `keyword` is the short reason listed in bad/expected-errors.json."""

    def __init__(self, keyword, detail):
        super().__init__(f"{keyword}: {detail}")
        self.keyword = keyword


# ---------------------------------------------------------------------------------------------
# RFC 8785 (JCS) canonical form
# ---------------------------------------------------------------------------------------------

def es_number(x):
    """ECMAScript Number.prototype.toString(x) for a finite double (ECMA-262 Number::toString)."""
    if not math.isfinite(x):
        raise ValueError("NaN and infinities have no JSON form")
    if x == 0:
        return "0"  # also -0
    if x < 0:
        return "-" + es_number(-x)
    # repr gives the shortest digit string that round-trips (the closest one on ties), which is
    # what ECMA-262 asks for; take it apart as x = 0.DIGITS * 10^n.
    text = repr(x)
    mantissa, _, exp = text.partition("e")
    exponent = int(exp) if exp else 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    point = len(int_part)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point + exponent
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return f"{digits}e{sign}{abs(e)}"
    return f"{digits[0]}.{digits[1:]}e{sign}{abs(e)}"


def check_number(x):
    """The manifest number rule: integer tokens within +-(2^53-1); other numbers finite and,
    when integral, of magnitude < 2^53 or >= 1e21 (else their canonical text would be an
    out-of-range integer)."""
    if isinstance(x, int):
        if abs(x) > MAX_SAFE:
            raise Rejected("integer-range", f"integer {x} is outside +-(2^53-1)")
    else:
        if not math.isfinite(x):
            raise Rejected("json", "number overflows a double")
        if x == math.floor(x) and 2**53 <= abs(x) < 1e21:
            raise Rejected("integer-range", f"number {x!r} is an integer outside +-(2^53-1)")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def jcs_string(s):
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            raise Rejected("json", "lone surrogate in string")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def utf16_key(s):
    return s.encode("utf-16-be", "surrogatepass")  # byte order of UTF-16BE == code-unit order


def jcs(value):
    """Canonical text (str) of a parsed JSON value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        check_number(value)
        return str(value)
    if isinstance(value, float):
        check_number(value)
        return es_number(value)
    if isinstance(value, str):
        return jcs_string(value)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: utf16_key(kv[0]))
        return "{" + ",".join(jcs_string(k) + ":" + jcs(v) for k, v in items) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def canonical_bytes(value):
    return jcs(value).encode("utf-8")


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# Reference reader: parse -> version -> validate -> open -> fast -> deep
# ---------------------------------------------------------------------------------------------

def _pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Rejected("json", f"duplicate member {k!r}")
        obj[k] = v
    return obj


def _parse_int(text):
    v = int(text)
    check_number(v)
    return v


def _parse_float(text):
    v = float(text)
    check_number(v)
    return v


def _bad_constant(text):
    raise Rejected("json", f"{text} is not JSON")


def _walk(value, depth=0):
    """Checks nesting depth (the top object is depth 1) and that no string holds a lone surrogate."""
    if isinstance(value, (dict, list)):
        depth += 1
        if depth > MAX_DEPTH:
            raise Rejected("json", f"nesting deeper than {MAX_DEPTH}")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            if isinstance(k, str):
                jcs_string(k)
            _walk(v, depth)
    elif isinstance(value, str):
        jcs_string(value)


def parse_manifest(data):
    if len(data) > MAX_MANIFEST_BYTES:
        raise Rejected("manifest-size", f"{len(data)} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Rejected("json", str(e))
    if text.startswith("\ufeff"):
        raise Rejected("json", "byte order mark")
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_parse_int,
                           parse_float=_parse_float, parse_constant=_bad_constant)
    except json.JSONDecodeError as e:
        raise Rejected("json", str(e))
    if not isinstance(value, dict):
        raise Rejected("json", "top level is not an object")
    _walk(value)
    return value


def _version(m):
    if m.get("format") != "zoo.checkpoint":
        raise Rejected("format", f"format is {m.get('format')!r}")
    text = m.get("formatVersion")
    parts = text.split(".") if isinstance(text, str) else []
    if len(parts) != 2 or not all(p.isdigit() and p.isascii() and len(p) <= 9 and (p == "0" or p[0] != "0")
                                  for p in parts):
        raise Rejected("version", f"formatVersion {text!r} is not MAJOR.MINOR")
    major, minor = int(parts[0]), int(parts[1])
    if major > READER_VERSION[0]:
        raise Rejected("version", f"checkpoint format {major}.{minor} is newer than the "
                                  f"{READER_VERSION[0]}.x this zoo reads")
    if major < READER_VERSION[0]:
        raise Rejected("version", f"checkpoint format {major}.{minor} is not supported")
    return major, minor


def _req(obj, key, types, where):
    if key not in obj:
        raise Rejected("member", f"{where}.{key} is missing")
    v = obj[key]
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in _astuple(types)):
        raise Rejected("member", f"{where}.{key} has the wrong type")
    return v


def _astuple(t):
    return t if isinstance(t, tuple) else (t,)


def _count(v, where):
    """A non-negative integer member; an integral non-integer token such as 24.0 counts (its
    canonical text is 24)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_SAFE:
        raise Rejected("member", f"{where} must be an integer in [0, 2^53-1]")
    return v


def _digest(v, where):
    if not (isinstance(v, str) and len(v) == 71 and v.startswith("sha256:")
            and all(c in "0123456789abcdef" for c in v[7:])):
        raise Rejected("member", f"{where} is not sha256:<64 lowercase hex>")
    return v


def check_path(p, prefix):
    if not isinstance(p, str) or not p:
        raise Rejected("path", "empty path")
    if len(p.encode("utf-8")) > MAX_PATH_BYTES:
        raise Rejected("path", "path over 1024 bytes")
    if "\\" in p or "\x00" in p:
        raise Rejected("path", "backslash or NUL in path")
    parts = p.split("/")
    if any(c in ("", ".", "..") for c in parts):
        raise Rejected("path", f"empty, '.' or '..' component in {p!r}")
    if parts[0] != prefix or len(parts) < 2:
        raise Rejected("path", f"{p!r} is not under {prefix}/")


def align_up(x, a=ALIGN):
    return (x + a - 1) // a * a


def element_count(shape):
    if any(d == 0 for d in shape):
        return 0
    n = 1
    for d in shape:
        n *= d
        if n > MAX_SAFE:
            raise Rejected("size-overflow", "element count over 2^53-1")
    return n


def validate_manifest(m):
    """Every rule that needs the manifest alone. Returns the parsed version."""
    major, minor = _version(m)
    _req(m, "name", str, "$")
    if not m["name"]:
        raise Rejected("member", "empty name")
    if _req(m, "byteOrder", str, "$") != "little":
        raise Rejected("byte-order", m["byteOrder"])
    arch = _req(m, "architecture", dict, "$")
    family = _req(arch, "family", str, "$.architecture")
    if (major, minor) == (1, 0) and family not in FAMILIES:
        raise Rejected("member", f"unknown family {family!r}")
    _req(arch, "type", str, "$.architecture")
    _req(arch, "config", dict, "$.architecture")
    param_count = _count(_req(arch, "parameterCount", (int, float), "$.architecture"), "parameterCount")
    tensors = _req(m, "tensors", list, "$")
    shards = _req(m, "shards", list, "$")
    assets = _req(m, "assets", list, "$")
    _req(m, "metadata", dict, "$")
    if "lineage" in m:
        lin = m["lineage"]
        if not isinstance(lin, dict):
            raise Rejected("member", "lineage is not an object")
        if lin.get("parent") is not None:
            _digest(lin["parent"], "lineage.parent")
        if lin.get("recipe") is not None and not isinstance(lin["recipe"], dict):
            raise Rejected("member", "lineage.recipe is not an object")
    if minor >= 1 and "sourceOrder" in m:  # §3.6, since 1.1: a permutation of the tensor indices
        order = m["sourceOrder"]
        if (not isinstance(order, list) or len(order) != len(tensors)
                or sorted(_count(k, "sourceOrder") for k in order) != list(range(len(tensors)))):
            raise Rejected("member", "sourceOrder is not a permutation of the tensor indices")

    paths = set()
    for i, s in enumerate(shards):
        where = f"$.shards[{i}]"
        if not isinstance(s, dict):
            raise Rejected("member", where)
        p = _req(s, "path", str, where)
        check_path(p, "shards")
        if p != "shards/%05d.bin" % i:
            raise Rejected("path", f"shard {i} must be at shards/{i:05d}.bin, not {p!r}")
        _count(_req(s, "length", (int, float), where), where + ".length")
        _digest(_req(s, "digest", str, where), where + ".digest")
        paths.add(p)
    for i, a in enumerate(assets):
        where = f"$.assets[{i}]"
        if not isinstance(a, dict):
            raise Rejected("member", where)
        p = _req(a, "path", str, where)
        check_path(p, "assets")
        if p in paths:
            raise Rejected("path", f"duplicate path {p!r}")
        paths.add(p)
        _count(_req(a, "length", (int, float), where), where + ".length")
        _digest(_req(a, "digest", str, where), where + ".digest")

    names = set()
    ends = {}  # shard -> end of its last tensor so far
    total = 0
    for i, t in enumerate(tensors):
        where = f"$.tensors[{i}]"
        if not isinstance(t, dict):
            raise Rejected("member", where)
        name = _req(t, "name", str, where)
        if not name or len(name.encode("utf-8")) > MAX_NAME_BYTES:
            raise Rejected("name", f"tensor name {name!r} empty or too long")
        if name in names:
            raise Rejected("duplicate-name", name)
        names.add(name)
        dtype = _req(t, "dtype", str, where)
        if dtype not in DTYPE_BYTES:
            raise Rejected("dtype", f"tensor {name!r}: unknown dtype {dtype!r}")
        shape = _req(t, "shape", list, where)
        if len(shape) > MAX_RANK:
            raise Rejected("shape", f"tensor {name!r}: rank {len(shape)} > {MAX_RANK}")
        for j, d in enumerate(shape):
            if isinstance(d, float) and d.is_integer():
                d = int(d)
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= MAX_SAFE:
                raise Rejected("shape", f"tensor {name!r}: bad dimension {d!r}")
            shape[j] = d
        shard = _count(_req(t, "shard", (int, float), where), where + ".shard")
        offset = _count(_req(t, "offset", (int, float), where), where + ".offset")
        length = _count(_req(t, "length", (int, float), where), where + ".length")
        _digest(_req(t, "digest", str, where), where + ".digest")
        count = element_count(shape)
        nbytes = count * DTYPE_BYTES[dtype]
        if nbytes > MAX_SAFE:
            raise Rejected("size-overflow", f"tensor {name!r}")
        if nbytes != length:
            raise Rejected("length", f"tensor {name!r}: length {length} != {nbytes}")
        total += count
        if shard >= len(shards):
            raise Rejected("shard-index", f"tensor {name!r}: shard {shard} of {len(shards)}")
        expected = align_up(ends[shard]) if shard in ends else 0
        if offset != expected:
            kind = "misaligned" if offset % ALIGN else "overlap" if offset < expected else "gap"
            raise Rejected(kind, f"tensor {name!r} at {offset}, expected {expected}")
        ends[shard] = offset + length
    if total != param_count:
        raise Rejected("parameter-count", f"{param_count} declared, tensors hold {total}")
    for i, s in enumerate(shards):
        if i not in ends:
            raise Rejected("empty-shard", s["path"])
        if s["length"] != ends[i]:
            raise Rejected("shard-length", f"{s['path']} declares {s['length']}, tensors end at {ends[i]}")
    return major, minor


def read_folder(folder, level="deep"):
    """Opens a folder-form checkpoint; level is "structure", "fast" or "deep". Returns
    (manifest, model digest)."""
    with open(os.path.join(folder, "manifest.json"), "rb") as f:
        raw = f.read(MAX_MANIFEST_BYTES + 1)
    m = parse_manifest(raw)
    validate_manifest(m)
    digest = sha256(canonical_bytes(m))
    files = {}
    for entry in m["shards"] + m["assets"]:
        full = os.path.join(folder, *entry["path"].split("/"))
        if not os.path.isfile(full) or os.path.islink(full):
            raise Rejected("missing-file", entry["path"])
        with open(full, "rb") as f:
            data = f.read()
        if len(data) != entry["length"]:
            raise Rejected("shard-size" if entry["path"].startswith("shards/") else "asset-size",
                           f"{entry['path']} is {len(data)} bytes, declared {entry['length']}")
        files[entry["path"]] = data
    if level in ("fast", "deep"):
        for entry in m["shards"] + m["assets"]:
            if sha256(files[entry["path"]]) != entry["digest"]:
                kind = "shard-digest" if entry["path"].startswith("shards/") else "asset-digest"
                raise Rejected(kind, entry["path"])
    if level == "deep":
        for i, s in enumerate(m["shards"]):
            data = files[s["path"]]
            covered = bytearray(len(data))
            for t in m["tensors"]:
                if t["shard"] != i:
                    continue
                if sha256(data[t["offset"]:t["offset"] + t["length"]]) != t["digest"]:
                    raise Rejected("tensor-digest", t["name"])
                covered[t["offset"]:t["offset"] + t["length"]] = b"\x01" * t["length"]
            if any(b and not c for b, c in zip(data, covered)):
                raise Rejected("padding", f"{s['path']}: non-zero padding byte")
    return m, digest


# ---------------------------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------------------------

def tensor_bytes(dtype, values):
    """Little-endian bytes of `values` (raw bytes for the F8 types and BF16 given as uint16 bits)."""
    np_types = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
                "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "u1"}
    if dtype in np_types:
        return np.asarray(values, dtype=np_types[dtype]).tobytes()
    if dtype == "BF16":  # values are floats exactly representable in bfloat16
        bits = np.asarray(values, dtype="<f4").view("<u4") >> 16
        assert np.array_equal(bits.astype("<u4") << 16, np.asarray(values, dtype="<f4").view("<u4"))
        return bits.astype("<u2").tobytes()
    if dtype in ("F8_E4M3", "F8_E5M2"):  # values are the raw bytes
        return bytes(values)
    raise ValueError(dtype)


def build(name, family, arch_type, config, tensors, assets=(), metadata=None, lineage=None,
          version="1.0", extra=None):
    """tensors: list of (name, dtype, shape, shard, bytes). Returns (manifest dict, {path: bytes})."""
    shard_count = 1 + max((t[3] for t in tensors), default=-1)
    shard_data = [bytearray() for _ in range(shard_count)]
    started = [False] * shard_count
    entries = []
    params = 0
    for tname, dtype, shape, shard, data in tensors:
        count = math.prod(shape)
        assert len(data) == count * DTYPE_BYTES[dtype], tname
        buf = shard_data[shard]
        offset = align_up(len(buf)) if started[shard] else 0
        buf.extend(b"\x00" * (offset - len(buf)))
        buf.extend(data)
        started[shard] = True
        entries.append({"name": tname, "dtype": dtype, "shape": list(shape), "shard": shard,
                        "offset": offset, "length": len(data), "digest": sha256(data)})
        params += count
    files = {}
    shard_entries = []
    for i, buf in enumerate(shard_data):
        path = "shards/%05d.bin" % i
        files[path] = bytes(buf)
        shard_entries.append({"path": path, "length": len(buf), "digest": sha256(bytes(buf))})
    asset_entries = []
    for path, data in sorted(assets):
        files[path] = data
        asset_entries.append({"path": path, "length": len(data), "digest": sha256(data)})
    m = {
        "format": "zoo.checkpoint",
        "formatVersion": version,
        "name": name,
        "byteOrder": "little",
        "architecture": {"family": family, "type": arch_type, "config": config,
                         "parameterCount": params},
        "tensors": entries,
        "shards": shard_entries,
        "assets": asset_entries,
        "metadata": metadata if metadata is not None else {},
    }
    if lineage is not None:
        m["lineage"] = lineage
    if extra:
        extra(m)
    return m, files


def write_folder(folder, manifest_bytes, files):
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    with open(os.path.join(folder, "manifest.json"), "wb") as f:
        f.write(manifest_bytes)
    for path, data in files.items():
        full = os.path.join(folder, *path.split("/"))
        os.makedirs(os.path.dirname(os.path.normpath(full)), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)


# ---------------------------------------------------------------------------------------------
# The vectors
# ---------------------------------------------------------------------------------------------

def f32(*v):
    return tensor_bytes("F32", v)


def tiny_f32(weight=(0.5, -1.0, 2.0, 3.25, -0.125, 100.0), bias=(1.0, 2.0, 3.0, 4.0, 5.0), **kw):
    return build(
        kw.pop("name", "tiny-f32"), "other", "mlp", {"in_features": 3, "out_features": 2},
        [("linear.weight", "F32", [2, 3], 0, f32(*weight)),
         ("linear.bias", "F32", [5], 0, f32(*bias))],
        metadata={"description": "golden vector (a): two F32 tensors, one shard"}, **kw)


def mixed():
    t = [
        # shard 0: the floating-point types, a scalar and an empty tensor
        ("f64", "F64", [3], 0, tensor_bytes("F64", [0.0, -1.5, 3.141592653589793])),
        ("f32", "F32", [2, 2], 0, tensor_bytes("F32", [1.0, -2.0, 0.25, 1e-3])),
        ("f16", "F16", [3], 0, tensor_bytes("F16", [1.0, -2.0, 65504.0])),
        ("bf16", "BF16", [2, 2], 0, tensor_bytes("BF16", [1.0, -2.0, 0.5, 3.0])),
        # F8_E4M3 (bias 7, no infinities): 1.0, -2.0, 448 (max), 0.5
        ("f8_e4m3", "F8_E4M3", [4], 0, tensor_bytes("F8_E4M3", [0x38, 0xC0, 0x7E, 0x30])),
        # F8_E5M2 (bias 15): 1.0, -2.0, 57344 (max finite), +inf
        ("f8_e5m2", "F8_E5M2", [4], 0, tensor_bytes("F8_E5M2", [0x3C, 0xC0, 0x7B, 0x7C])),
        ("scalar", "F32", [], 0, tensor_bytes("F32", [42.0])),
        ("empty", "F32", [0], 0, b""),
        # shard 1: the integer types and BOOL; ends with an empty tensor after padding
        ("i64", "I64", [3], 1, tensor_bytes("I64", [-1, 0, 2**62])),
        ("i32", "I32", [2], 1, tensor_bytes("I32", [-2**31, 2**31 - 1])),
        ("i16", "I16", [3], 1, tensor_bytes("I16", [-2, 0, 32767])),
        ("i8", "I8", [3], 1, tensor_bytes("I8", [-128, 0, 127])),
        ("u64", "U64", [2], 1, tensor_bytes("U64", [0, 2**64 - 1])),
        ("u32", "U32", [2], 1, tensor_bytes("U32", [0, 2**32 - 1])),
        ("u16", "U16", [2], 1, tensor_bytes("U16", [1, 65535])),
        ("emb.日本", "U8", [2, 3], 1, tensor_bytes("U8", [0, 1, 2, 253, 254, 255])),
        ("mask", "BOOL", [5], 1, tensor_bytes("BOOL", [1, 0, 1, 1, 0])),
        ("empty2d", "I32", [2, 0], 1, b""),
    ]
    config = {
        "model_type": "mixed",
        "layer_norm_eps": 1e-12,       # 1e-12
        "dropout": 0.1,                # 0.1
        "rope_scale": 1e21,            # 1e+21
        "small": 1e-7,                 # 1e-7
        "micro": 0.000001,             # 0.000001
        "negative_zero": -0.0,         # 0
        "hundred": 100.0,              # 100
        "max_safe": 2**53 - 1,         # 9007199254740991
        "min_safe": -(2**53 - 1),      # -9007199254740991
        "third": 1 / 3,                # 0.3333333333333333
        "largest": 1.7976931348623157e308,  # 1.7976931348623157e+308
        "smallest": 5e-324,            # 5e-324
        "fraction": 1424953923781206.2,
        "exact": 333333333.3333333,
        "vocab_size": 32000,
        "names": ["naïve", "日本", "😀", "ctl\u0001\u001f", "tab\tnl\ncr\rbs\bff\f", "q\"b\\s/",
                  "del\u007f", "ls\u2028", "e\u0301 vs \u00e9"],
    }
    metadata = {
        "safetensors.metadata": {"format": "pt"},
        "zoo.golden": {"vector": "mixed", "nested": {"list": [1, [2, [3, {}]], None, True, False],
                                                       "empty": [], "obj": {}}},
        # key order: by UTF-16 code units, so "" < "B" < "a" < "é" < "😀" (U+D83D...) < "Ａ" (U+FF21)
        "": "empty key",
        "a": 1,
        "B": 2,
        "é": "e-acute",
        "Ａ": "fullwidth A",
        "😀": "emoji",
        "naïve": "日本 😀",
    }
    assets = [
        ("assets/config.json", b'{\n  "model_type": "mixed",\n  "vocab_size": 32000\n}\n'),
        ("assets/tokenizer/vocab.txt", "[PAD]\n[UNK]\nnaïve\n日本\n😀\n".encode("utf-8")),
    ]
    return build("mixed", "multimodal", "mixed", config, t, assets=assets, metadata=metadata)


def future_minor():
    def extra(m):
        m["x-future"] = {"added": "in 1.1", "n": 1}
        m["architecture"]["x-future"] = True
        m["tensors"][0]["x-quant"] = None
        m["shards"][0]["x-compression"] = "none"
    return build("future-minor", "other", "test", {}, [("w", "U8", [4], 0, bytes([1, 2, 3, 4]))],
                 version="1.1", extra=extra)


def source_order():
    """Format 1.1: three tensors stored canonically (by name within the shard), listed in storage order,
    with the order they had in the source in sourceOrder (§3.6): source order c, a, b."""
    def extra(m):
        m["sourceOrder"] = [2, 0, 1]
    return build("source-order", "other", "test", {}, [
        ("layer.a", "F32", [2], 0, f32(1, 2)), ("layer.b", "I32", [3], 0, struct.pack("<3i", -1, 0, 1)),
        ("layer.c", "U8", [5], 0, bytes([9, 8, 7, 6, 5]))], version="1.1", extra=extra)


# Non-canonical serialisation (for noncanonical/): same values, different bytes.

def loose_number(x):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError
    if isinstance(x, int):
        return str(x)
    if x == 0:
        return "-0.0" if math.copysign(1, x) < 0 else "0.0"
    if x == 1e21:
        return "1E21"
    if x == 1e-12:
        return "1.0e-12"
    if x == 0.1:
        return "0.10"
    if x == 1e-7:
        return "0.0000001"
    if x == 100.0:
        return "100.0"
    if x == 0.000001:
        return "1e-6"
    return repr(x).replace("e+", "E+")


def loose_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == "/":
            out.append("\\/")
        elif ch in '"\\':
            out.append("\\" + ch)
        elif c < 0x20 or c > 0x7E:
            if c > 0xFFFF:
                c -= 0x10000
                out.append("\\u%04X\\u%04X" % (0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF)))
            else:
                out.append("\\u%04X" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def loose(value, indent, rng, level=0):
    pad, pad1 = " " * (indent * level), " " * (indent * (level + 1))
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return loose_number(value)
    if isinstance(value, str):
        return loose_string(value)
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[\r\n" + ",\r\n".join(pad1 + loose(v, indent, rng, level + 1) for v in value) + "\r\n" + pad + "]"
    keys = list(value)
    rng.shuffle(keys)
    if not keys:
        return "{\t}"
    return "{\n" + ",\n".join(pad1 + loose_string(k) + " :\t" + loose(value[k], indent, rng, level + 1)
                              for k in keys) + "\n" + pad + "}"


def pretty_shuffled(value, rng):
    def shuffle(v):
        if isinstance(v, dict):
            keys = list(v)
            rng.shuffle(keys)
            return {k: shuffle(v[k]) for k in keys}
        if isinstance(v, list):
            return [shuffle(x) for x in v]
        return v
    return (json.dumps(shuffle(value), indent=4, ensure_ascii=False) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Bad vectors: one rule broken each
# ---------------------------------------------------------------------------------------------

def rebuild_digests(m, files):
    """Recomputes every digest from the bytes in `files` (so only the intended rule breaks)."""
    for s in m["shards"]:
        data = files[s["path"]]
        s["digest"] = sha256(data)
        for t in m["tensors"]:
            if m["shards"][t["shard"]] is s:
                t["digest"] = sha256(data[t["offset"]:t["offset"] + t["length"]])


def relayout(m, files, offsets):
    """Moves tensors of shard 0 to `offsets`, rewriting the shard bytes and all digests."""
    old = files["shards/00000.bin"]
    chunks = [old[t["offset"]:t["offset"] + t["length"]] for t in m["tensors"]]
    size = max(o + len(c) for o, c in zip(offsets, chunks))
    buf = bytearray(size)
    for t, o, c in zip(m["tensors"], offsets, chunks):
        buf[o:o + len(c)] = c
        t["offset"] = o
    files["shards/00000.bin"] = bytes(buf)
    m["shards"][0]["length"] = size
    rebuild_digests(m, files)


def bad_cases():
    """Yields (name, keyword, reason, manifest bytes, files)."""

    def case(mutate, **kw):
        m, files = tiny_f32(**kw)
        raw = mutate(m, files)
        return (raw if raw is not None else canonical_bytes(m)), files

    def overlap(m, files):
        # weight is 4x8 F32 = 128 bytes; bias starts at 64: aligned, but inside weight
        relayout(m, files, [0, 64])
    m, files = build("overlap", "other", "mlp", {}, [
        ("linear.weight", "F32", [4, 8], 0, f32(*range(32))),
        ("linear.bias", "F32", [5], 0, f32(1, 2, 3, 4, 5))])
    overlap(m, files)
    yield ("overlapping-tensors", "overlap",
           "tensor linear.bias starts at 64, inside linear.weight [0, 128); the layout rule puts it at 128",
           canonical_bytes(m), files)

    yield ("misaligned-offset", "misaligned",
           "tensor linear.bias starts at 32 (after linear.weight ends at 24) instead of alignUp(24, 64) = 64",
           *case(lambda m, f: relayout(m, f, [0, 32])))

    def gap(m, f):
        relayout(m, f, [0, 128])
    yield ("gap-between-tensors", "gap",
           "tensor linear.bias starts at 128, a 64-aligned offset past the expected 64 (a hidden gap)",
           *case(gap))

    def length_mismatch(m, f):
        m["tensors"][1]["length"] = 24
        f["shards/00000.bin"] += b"\x00" * 4
        m["shards"][0]["length"] = 88
        rebuild_digests(m, f)
    yield ("length-mismatch", "length",
           "tensor linear.bias is F32 [5] = 20 bytes but declares length 24 (its shard holds the 24 bytes)",
           *case(length_mismatch))

    def negative_dim(m, f):
        m["tensors"][0]["shape"] = [2, -3]
    yield ("negative-dim", "shape", "tensor linear.weight has shape [2, -3]", *case(negative_dim))

    def unknown_dtype(m, f):
        m["tensors"][0]["dtype"] = "Q4_K"  # a GGML block type zoo does not define
    yield ("unknown-dtype", "dtype",
           "tensor linear.weight has dtype \"Q4_K\", not a dtype of format 1.0", *case(unknown_dtype))

    def duplicate(m, f):
        m["tensors"][1]["name"] = "linear.weight"
        m["tensors"][1]["shape"] = [5]
    yield ("duplicate-tensor-name", "duplicate-name", "two tensors are named linear.weight",
           *case(duplicate))

    def trailing(m, f):
        f["shards/00000.bin"] += b"\x00" * 44
        m["shards"][0]["length"] = 128
        rebuild_digests(m, f)
    yield ("shard-trailing-bytes", "shard-length",
           "shard 0 declares (and has) 128 bytes but its last tensor ends at 84",
           *case(trailing))

    def truncated(m, f):
        f["shards/00000.bin"] = f["shards/00000.bin"][:80]
    yield ("shard-truncated", "shard-size",
           "shards/00000.bin is 80 bytes on disk, the manifest declares 84", *case(truncated))

    def shard_index(m, f):
        m["tensors"][1]["shard"] = 1
    yield ("shard-index-out-of-range", "shard-index",
           "tensor linear.bias names shard 1, the manifest has 1 shard", *case(shard_index))

    def shard_path(m, f):
        f["shards/0.bin"] = f.pop("shards/00000.bin")
        m["shards"][0]["path"] = "shards/0.bin"
    yield ("shard-path-numbering", "path", "shard 0 is at shards/0.bin instead of shards/00000.bin",
           *case(shard_path))

    def dotdot(m, f):
        data = b"outside the assets folder\n"
        f["evil.txt"] = data  # so a reader that resolves the path finds a file
        m["assets"] = [{"path": "assets/../evil.txt", "length": len(data), "digest": sha256(data)}]
    yield ("path-dotdot", "path", "asset path assets/../evil.txt has a '..' component", *case(dotdot))

    def major(m, f):
        m["formatVersion"] = "2.0"
    yield ("newer-major-version", "version",
           "formatVersion is \"2.0\": refuse with \"checkpoint format 2.0 is newer than the 1.x this zoo reads\"",
           *case(major))

    def flipped(m, f):
        b = bytearray(f["shards/00000.bin"])
        b[5] ^= 0x01  # inside linear.weight
        f["shards/00000.bin"] = bytes(b)
    yield ("flipped-byte", "shard-digest",
           "byte 5 of shards/00000.bin is flipped after the digests were computed (fast verification)",
           *case(flipped))

    def tensor_digest(m, f):
        m["tensors"][1]["digest"] = sha256(b"not the bias")
    yield ("tensor-digest-mismatch", "tensor-digest",
           "linear.bias's digest is wrong while the shard digest is right (deep verification only)",
           *case(tensor_digest))

    def padding(m, f):
        b = bytearray(f["shards/00000.bin"])
        b[40] = 0xFF  # in the padding between weight (ends at 24) and bias (starts at 64)
        f["shards/00000.bin"] = bytes(b)
        rebuild_digests(m, f)
    yield ("nonzero-padding", "padding",
           "padding byte 40 of shards/00000.bin is 0xff; every digest matches (deep verification only)",
           *case(padding))

    def big_int(m, f):
        m["metadata"]["n"] = 12345
        return canonical_bytes(m).replace(b'"n":12345', b'"n":9007199254740992')
    yield ("integer-beyond-2-53", "integer-range",
           "metadata.n is 9007199254740992 = 2^53, outside +-(2^53-1)", *case(big_int))

    def big_float(m, f):
        m["metadata"]["x"] = 12345
        return canonical_bytes(m).replace(b'"x":12345', b'"x":1e20')
    yield ("integral-float-beyond-2-53", "integer-range",
           "metadata.x is 1e20, whose canonical text 100000000000000000000 is an integer outside +-(2^53-1)",
           *case(big_float))

    def huge_int(m, f):
        m["metadata"]["n"] = 12345
        return canonical_bytes(m).replace(b'"n":12345', b'"n":1000000000000000000000')
    yield ("integer-beyond-1e21", "integer-range",
           "metadata.n is the integer token 1000000000000000000000 (10^21): an integer outside +-(2^53-1), "
           "although the double 1e21 would be a valid number", *case(huge_int))

    def recipe_array(m, f):
        m["lineage"] = {"parent": None, "recipe": []}
    yield ("recipe-not-an-object", "member", "lineage.recipe is [], not an object or null", *case(recipe_array))

    def dup_key(m, f):
        raw = canonical_bytes(m)
        return raw.replace(b'"name":"tiny-f32"', b'"name":"tiny-f32","name":"other"')
    yield ("duplicate-json-key", "json", "the manifest object has the member \"name\" twice",
           *case(dup_key))

    def param_count(m, f):
        m["architecture"]["parameterCount"] = 12
    yield ("parameter-count-mismatch", "parameter-count",
           "architecture.parameterCount is 12, the tensors hold 11 elements", *case(param_count))

    def source_order_twice(m, f):
        m["formatVersion"] = "1.1"
        m["sourceOrder"] = [0, 0]
    yield ("source-order-not-a-permutation", "member",
           "formatVersion 1.1 with sourceOrder [0, 0]: tensor 0 twice, tensor 1 never", *case(source_order_twice))


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

ES_CASES = [  # RFC 8785 appendix B and ECMA-262 examples: IEEE 754 bits -> text
    (0x0000000000000000, "0"), (0x8000000000000000, "0"), (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"), (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
    (0xFFEFFFFFFFFFFFFF, "-1.7976931348623157e+308"), (0x4340000000000000, "9007199254740992"),
    (0xC340000000000000, "-9007199254740992"), (0x4430000000000000, "295147905179352830000"),
    (0x44B52D02C7E14AF5, "9.999999999999997e+22"), (0x44B52D02C7E14AF6, "1e+23"),
    (0x44B52D02C7E14AF7, "1.0000000000000001e+23"), (0x444B1AE4D6E2EF4E, "999999999999999700000"),
    (0x444B1AE4D6E2EF4F, "999999999999999900000"), (0x444B1AE4D6E2EF50, "1e+21"),
    (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"), (0x3EB0C6F7A0B5ED8D, "0.000001"),
    (0x41B3DE4355555553, "333333333.3333332"), (0x41B3DE4355555554, "333333333.33333325"),
    (0x41B3DE4355555555, "333333333.3333333"), (0x41B3DE4355555556, "333333333.3333334"),
    (0x41B3DE4355555557, "333333333.33333343"), (0xBECBF647612F3696, "-0.0000033333333333333333"),
    (0x43143FF3C1CB0959, "1424953923781206.2"),
]


def self_test():
    for bits, text in ES_CASES:
        x = struct.unpack("<d", struct.pack("<Q", bits))[0]
        assert es_number(x) == text, (hex(bits), es_number(x), text)
    for x, text in [(1e21, "1e+21"), (1e-7, "1e-7"), (1e-6, "0.000001"), (100.0, "100"), (0.1, "0.1"),
                    (1e-12, "1e-12"), (123e-20, "1.23e-18"), (1.5, "1.5"), (-0.0, "0"), (4.5e15, "4500000000000000")]:
        assert es_number(x) == text, (x, es_number(x), text)
    # RFC 8785 section 3.2.3 sorting example
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    assert sorted(keys, key=utf16_key) == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert jcs({"b": [1, 2.0, -0.0, "\u001f\u007f/"], "a": None}) == '{"a":null,"b":[1,2,0,"\\u001f\u007f/"]}'


def load_schema_validator():
    try:
        import jsonschema
    except ImportError:
        print("note: jsonschema not installed; skipping schema validation", file=sys.stderr)
        return None
    with open(SCHEMA_PATH, "rb") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


# Bad vectors the schema alone rejects (the others need the reader's checks).
SCHEMA_REJECTS = {"misaligned-offset", "negative-dim", "newer-major-version", "path-dotdot", "recipe-not-an-object",
                  "shard-path-numbering", "unknown-dtype"}


def schema_self_test(validator):
    m, _ = tiny_f32()
    for path, ok in [("assets/config.json", True), ("assets/.hidden", True), ("assets/a..b/c", True),
                     ("assets/日本.txt", True), ("assets/", False), ("assets", False), ("assets//x", False),
                     ("assets/a/./b", False), ("assets/a/..", False), ("assets/a\\b", False),
                     ("assets/a\x00b", False), ("/assets/x", False), ("shards/x", False)]:
        m["assets"] = [{"path": path, "length": 0, "digest": sha256(b"")}]
        assert validator.is_valid(m) == ok, path
        try:
            check_path(path, "assets")
            assert ok, path
        except Rejected:
            assert not ok, path


def main():
    self_test()
    validator = load_schema_validator()
    if validator:
        schema_self_test(validator)
    expected = {"formatVersion": "1.0", "vectors": [], "noncanonical": []}

    good = [("tiny-f32", tiny_f32()), ("mixed", mixed())]
    tiny_digest = sha256(canonical_bytes(good[0][1][0]))
    good.append(("lineage", tiny_f32(
        weight=(0.25, -1.0, 2.5, 3.0, -0.5, 99.0), bias=(1.5, 2.0, 3.0, 4.0, 4.5), name="tiny-f32-finetuned",
        lineage={"parent": tiny_digest,
                 "recipe": {"kind": "finetune", "steps": 10, "optimizer": {"name": "adam", "learningRate": 0.001},
                            "data": "golden"}})))
    good.append(("future-minor", future_minor()))
    good.append(("source-order", source_order()))

    manifests, built = {}, {}
    for name, (m, files) in good:
        built[name] = m
        raw = canonical_bytes(m)
        folder = os.path.join(HERE, name)
        write_folder(folder, raw, files)
        parsed, digest = read_folder(folder, "deep")
        assert canonical_bytes(parsed) == raw, name  # canonical bytes are a fixed point
        if validator:
            validator.validate(parsed)
        manifests[name] = parsed
        expected["vectors"].append({
            "name": name,
            "path": name,
            "modelDigest": digest,
            "manifestLength": len(raw),
            "formatVersion": m["formatVersion"],
            "parameterCount": m["architecture"]["parameterCount"],
            "shards": [{k: s[k] for k in ("path", "length", "digest")} for s in m["shards"]],
            "assets": [{k: a[k] for k in ("path", "length", "digest")} for a in m["assets"]],
            "tensors": [{k: t[k] for k in ("name", "dtype", "shape", "shard", "offset", "length", "digest")}
                        for t in m["tensors"]],
        })

    # Non-canonical manifests: same values, other bytes; readers must get the same digest.
    nc_dir = os.path.join(HERE, "noncanonical")
    if os.path.exists(nc_dir):
        shutil.rmtree(nc_dir)
    os.makedirs(nc_dir)
    noncanonical = [
        ("tiny-f32-pretty.json", "tiny-f32", pretty_shuffled(manifests["tiny-f32"], random.Random(1))),
        # from the writer's values, so -0.0 and 100.0 keep their float spelling
        ("mixed-escaped.json", "mixed", loose(built["mixed"], 2, random.Random(2)).encode("ascii")),
        ("lineage-pretty.json", "lineage", pretty_shuffled(manifests["lineage"], random.Random(3))),
    ]
    for file, of, raw in noncanonical:
        with open(os.path.join(nc_dir, file), "wb") as f:
            f.write(raw)
        parsed = parse_manifest(raw)
        validate_manifest(parsed)
        canon = canonical_bytes(parsed)
        want = next(v for v in expected["vectors"] if v["name"] == of)
        assert raw != canon and sha256(canon) == want["modelDigest"], file
        if validator:
            validator.validate(parsed)
        expected["noncanonical"].append({"path": "noncanonical/" + file, "canonicalOf": of,
                                         "length": len(raw), "modelDigest": sha256(canon)})

    # Bad vectors.
    bad_dir = os.path.join(HERE, "bad")
    if os.path.exists(bad_dir):
        shutil.rmtree(bad_dir)
    os.makedirs(bad_dir)
    errors = {}
    lines = ["# Invalid checkpoints", "",
             "Each folder breaks exactly one rule of `spec/format.md`; a reader must refuse it. "
             "`expected-errors.json` maps the folder name to the keyword below "
             "(the vocabulary is in `../README.md`). Generated by `../make_golden.py`.", "",
             "| folder | keyword | reason |", "| --- | --- | --- |"]
    for name, keyword, reason, raw, files in bad_cases():
        folder = os.path.join(bad_dir, name)
        write_folder(folder, raw, files)
        try:
            read_folder(folder, "deep")
        except Rejected as e:
            assert e.keyword == keyword, (name, str(e))
        else:
            raise AssertionError(f"bad vector {name} was accepted")
        if validator:
            try:
                schema_ok = validator.is_valid(parse_manifest(raw))
            except Rejected:
                schema_ok = True  # not JSON the schema could see; the parser refuses it
            assert schema_ok == (name not in SCHEMA_REJECTS), name
        errors[name] = keyword
        lines.append(f"| `{name}` | `{keyword}` | {reason} |")
    with open(os.path.join(bad_dir, "expected-errors.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(errors, indent=2, sort_keys=True) + "\n")
    with open(os.path.join(bad_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")

    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    for v in expected["vectors"]:
        print(f"{v['name']:14} {v['modelDigest']}  manifest {v['manifestLength']} bytes")
    print(f"{len(expected['noncanonical'])} non-canonical manifests, {len(errors)} bad vectors: ok")


if __name__ == "__main__":
    main()
