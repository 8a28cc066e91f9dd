#!/usr/bin/env python3
"""Writes safetensors interop fixtures with the official safetensors package, for zoo's Swift tests.

    python scripts/make_fixtures.py [OUT_DIR]     # default: $ZOO_TEST_FIXTURES, else $ZOO_CACHE/fixtures,
                                                  #          else ~/.cache/zoo-dev/fixtures
    ZOO_LARGE_FIXTURES=0 python scripts/make_fixtures.py     # skip the ~300 MB large.safetensors

Writes into OUT_DIR:
  all_dtypes.safetensors      one tensor per dtype zoo v1 knows (F64 F32 F16 BF16 F8_E4M3 F8_E5M2 I64 I32
                              I16 I8 U64 U32 U16 U8 BOOL) with edge values (inf, nan, -0, subnormals,
                              integer extremes, all 256 float8 bit patterns), a 0-dim scalar, two empty
                              tensors, a rank-4 tensor; __metadata__ {"format": "pt"}
  dtypes_1_1/<DTYPE>.safetensors     one file per dtype of format 1.1 (C64 F8_E4M3FNUZ F8_E5M2FNUZ F8_E8M0
                              F4 F6_E2M3 F6_E3M2), for bit-exact round trips; F6_E2M3 and F6_E3M2 are
                              hand-written (see below)
  dtypes_1_1_mixed.safetensors       the package-written 1.1 dtypes beside F32, U8 and BOOL tensors and an
                              empty F4 tensor, so the writer's dtype-rank layout is exercised
  metadata_multi.safetensors  several metadata keys (unicode, JSON text, empty value, newline) and
                              tensor names with non-ASCII characters
  hf_sharded/                 a Hugging Face sharded model: model-0000{1,2}-of-00002.safetensors,
                              model.safetensors.index.json ({"metadata": {"total_size": N}, "weight_map"}),
                              config.json, vocab.txt, tokenizer_config.json (a tiny BertModel)
  large.safetensors           ~300 MB of seeded F32 and F16 tensors (unless ZOO_LARGE_FIXTURES=0)
  manifest.json               what the official package reads back from each fixture (below)
  .stamp                      hash of the inputs; when it matches, the run does nothing

manifest.json = {"generator": "scripts/make_fixtures.py", "safetensors_version": "0.8.0",
                 "numpy_version": "...", "large": true, "fixtures": {NAME: DESCRIPTION, ...}}
where NAME is a path relative to OUT_DIR ("all_dtypes.safetensors", "other_dtypes/C64.safetensors",
"hf_sharded", ...) and DESCRIPTION is exactly what `check_safetensors.py OUT_DIR/NAME` prints (see
that script), computed by reading the written files back with the official package.

How each dtype is written: numpy-typed tensors go through safetensors.numpy.save_file. numpy has no
bfloat16 or float8 types, so safetensors.numpy cannot write them; for those (and for the others that
numpy lacks) we call the package's own low-level writer, safetensors.serialize_file, with
safetensors.TensorSpec(dtype="bfloat16" | "float8_e4m3fn" | ..., shape, data_ptr, data_len) pointing at
a numpy uint8/uint16 buffer holding the bit patterns. That is the same call safetensors.numpy.save_file
makes internally (safetensors 0.8.0), so the header and layout are the package's, not ours.
The package's reader knows F6_E2M3 and F6_E3M2 but its 0.8.0 writer has no TensorSpec name for them, so
those two files are written by `hand_write` exactly as the writer lays out a one-tensor file (8-byte
length, compact JSON header padded with spaces to a multiple of 8, data); `hand_write` reproduces the
package's own F4 file byte for byte, which this script checks, and the package reads both back.
Everything is deterministic: fixed seeds, fixed values, and the package's deterministic layout.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import safetensors
from safetensors import TensorSpec, serialize_file
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check_safetensors  # noqa: E402
import make_bert_tiny  # noqa: E402

SEED = 1234
LARGE_SEED = 4321

# The package's TensorSpec dtype names (safetensors 0.8.0), by the header code they write.
SPEC_NAMES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
    "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8",
    "U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool",
    "C64": "complex64", "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2FNUZ": "float8_e5m2fnuz",
    "F8_E8M0": "float8_e8m0fnu", "F4": "float4_e2m1fn_x2",
}
WRITTEN_1_1 = ["C64", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0", "F4"]  # format 1.1 dtypes the package writes
HAND_1_1 = ["F6_E2M3", "F6_E3M2"]  # format 1.1 dtypes the package reads but cannot write
DTYPES_1_1 = WRITTEN_1_1 + HAND_1_1


def write_specs(path, tensors, metadata=None):
    """Writes {name: (dtype code, shape, numpy buffer)} with safetensors.serialize_file.

    The buffers stay referenced by `tensors` while the package reads them through data_ptr."""
    specs = {}
    for name, (code, shape, buf) in tensors.items():
        buf = np.ascontiguousarray(buf)
        tensors[name] = (code, shape, buf)  # keep the (possibly new) buffer alive
        specs[name] = TensorSpec(dtype=SPEC_NAMES[code], shape=list(shape),
                                 data_ptr=buf.ctypes.data, data_len=buf.nbytes)
    serialize_file(specs, path, metadata=metadata)
    os.chmod(path, 0o644)


def save(path, tensors, metadata=None):
    save_file(tensors, path, metadata=metadata)
    os.chmod(path, 0o644)


def bf16_bits(values):
    """float32 values -> bfloat16 bit patterns (round to nearest even; NaN stays a quiet NaN)."""
    f = np.asarray(values, dtype=np.float32)
    bits = f.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    out[np.isnan(f)] = 0x7FC0
    return out


FLOAT_EDGES = [0.0, -0.0, 1.0, -1.5, 3.140625, np.inf, -np.inf, np.nan, 1e-3, 65504.0]


def all_dtypes_tensors():
    f64 = np.array(FLOAT_EDGES[:-1] + [np.finfo(np.float64).max], dtype=np.float64)
    f64[8] = 5e-324  # smallest subnormal
    f32 = np.array(FLOAT_EDGES[:-1] + [np.finfo(np.float32).max], dtype=np.float32)
    f32[8] = np.float32(1.4e-45)
    f16 = np.array(FLOAT_EDGES, dtype=np.float16)
    f16[8] = np.float16(6e-8)
    bf16 = bf16_bits(FLOAT_EDGES[:-1] + [3.0e38])
    every_byte = np.arange(256, dtype=np.uint8)
    t = {
        "f64": ("F64", [2, 5], f64),
        "f32": ("F32", [2, 5], f32),
        "f16": ("F16", [2, 5], f16),
        "bf16": ("BF16", [2, 5], bf16),
        "f8_e4m3": ("F8_E4M3", [16, 16], every_byte),
        "f8_e5m2": ("F8_E5M2", [16, 16], every_byte.copy()),
        "i64": ("I64", [5], np.array([np.iinfo(np.int64).min, -1, 0, 1, np.iinfo(np.int64).max], np.int64)),
        "i32": ("I32", [5], np.array([np.iinfo(np.int32).min, -1, 0, 1, np.iinfo(np.int32).max], np.int32)),
        "i16": ("I16", [5], np.array([np.iinfo(np.int16).min, -1, 0, 1, np.iinfo(np.int16).max], np.int16)),
        "i8": ("I8", [5], np.array([-128, -1, 0, 1, 127], np.int8)),
        "u64": ("U64", [3], np.array([0, 1, np.iinfo(np.uint64).max], np.uint64)),
        "u32": ("U32", [3], np.array([0, 1, np.iinfo(np.uint32).max], np.uint32)),
        "u16": ("U16", [3], np.array([0, 1, np.iinfo(np.uint16).max], np.uint16)),
        "u8": ("U8", [3], np.array([0, 1, 255], np.uint8)),
        "bool": ("BOOL", [2, 2], np.array([True, False, False, True])),
        "scalar_f32": ("F32", [], np.array(2.5, dtype=np.float32)),
        "empty_f32": ("F32", [0], np.zeros(0, dtype=np.float32)),
        "empty_i64_3x0": ("I64", [3, 0], np.zeros((3, 0), dtype=np.int64)),
        "rank4_f32": ("F32", [2, 1, 3, 2], np.arange(12, dtype=np.float32) - 5.5),
    }
    return t


def dtype_1_1_tensor(code):
    rng = np.random.default_rng(SEED)
    if code == "C64":
        return ("C64", [2, 2], np.array([1 + 2j, -0.5j, np.inf, 0], dtype=np.complex64))
    if code == "F4":  # two 4-bit values per byte; TensorSpec doubles the last dim: [2, 4] logical
        return ("F4", [2, 2], rng.integers(0, 256, 4, dtype=np.uint8))
    if code in HAND_1_1:  # 6-bit values, four per 3 bytes: [4, 4] is 96 bits = 12 bytes
        return (code, [4, 4], rng.integers(0, 256, 12, dtype=np.uint8))
    return (code, [4, 4], rng.integers(0, 256, 16, dtype=np.uint8))


def hand_write(path, tensors, metadata=None):
    """Writes one-tensor files ({name: (code, logical shape, uint8 buffer)}) the way the package's
    writer lays them out (safetensors 0.8.0: compact JSON, __metadata__ first, spaces to 8 bytes)."""
    ((name, (code, shape, buf)),) = tensors.items()
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [0, buf.nbytes]}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + buf.tobytes())
    os.chmod(path, 0o644)


def write_all_dtypes(out):
    write_specs(os.path.join(out, "all_dtypes.safetensors"), all_dtypes_tensors(), metadata={"format": "pt"})
    folder = os.path.join(out, "dtypes_1_1")
    os.makedirs(folder, exist_ok=True)
    for code in WRITTEN_1_1:
        write_specs(os.path.join(folder, f"{code}.safetensors"), {"t": dtype_1_1_tensor(code)}, metadata={"format": "pt"})
    # hand_write must reproduce the package's own bytes before it writes what the package cannot.
    code, shape, buf = dtype_1_1_tensor("F4")
    check = os.path.join(out, "hand_written_F4.check")
    hand_write(check, {"t": (code, [shape[0], shape[1] * 2], buf)}, metadata={"format": "pt"})
    with open(check, "rb") as a, open(os.path.join(folder, "F4.safetensors"), "rb") as b:
        if a.read() != b.read():
            raise SystemExit("make_fixtures: hand_write no longer matches the package's writer for F4")
    os.remove(check)
    for code in HAND_1_1:
        hand_write(os.path.join(folder, f"{code}.safetensors"), {"t": dtype_1_1_tensor(code)}, metadata={"format": "pt"})
    rng = np.random.default_rng(SEED + 1)
    mixed = {
        "a.c64": ("C64", [3], np.array([1 - 1j, np.nan, -0.0], dtype=np.complex64)),
        "b.e8m0": ("F8_E8M0", [5], rng.integers(0, 256, 5, dtype=np.uint8)),
        "c.fnuz": ("F8_E4M3FNUZ", [3, 3], rng.integers(0, 256, 9, dtype=np.uint8)),
        "d.fnuz": ("F8_E5M2FNUZ", [7], rng.integers(0, 256, 7, dtype=np.uint8)),
        "e.f4": ("F4", [3, 1], rng.integers(0, 256, 3, dtype=np.uint8)),  # [3, 2] logical
        "e.f4_empty": ("F4", [0, 1], np.zeros(0, dtype=np.uint8)),
        "f.f32": ("F32", [2], np.array([1.5, -2.0], dtype=np.float32)),
        "g.u8": ("U8", [3], np.array([1, 2, 3], dtype=np.uint8)),
        "h.bool": ("BOOL", [1], np.array([True])),
    }
    write_specs(os.path.join(out, "dtypes_1_1_mixed.safetensors"), mixed, metadata={"format": "pt"})


def write_metadata_multi(out):
    rng = np.random.default_rng(SEED + 1)
    tensors = {
        "layer.0.weight": rng.standard_normal((4, 3), dtype=np.float32),
        "layer.0.bias": np.zeros(4, dtype=np.float16),
        "ünïcode.名前.weight": np.arange(6, dtype=np.int32).reshape(2, 3),
    }
    metadata = {
        "format": "pt",
        "author": "zoo make_fixtures.py",
        "description": "unicode: café ✓ 日本語 🦓",
        "config": json.dumps({"hidden_size": 4, "layers": [1, 2]}, sort_keys=True),
        "empty": "",
        "multi_line": "line one\nline two\t(tab) \"quoted\" \\ backslash",
    }
    save(os.path.join(out, "metadata_multi.safetensors"), tensors, metadata=metadata)


HF_SHARDED_CONFIG = {
    "architectures": ["BertModel"],
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_norm_eps": 1e-12,
    "max_position_embeddings": 64,
    "model_type": "bert",
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "torch_dtype": "float32",
    "type_vocab_size": 2,
    "use_cache": True,
    "vocab_size": make_bert_tiny.VOCAB_SIZE,
}


def write_hf_sharded(out):
    folder = os.path.join(out, "hf_sharded")
    os.makedirs(folder, exist_ok=True)
    layout = make_bert_tiny.bert_tensor_layout(HF_SHARDED_CONFIG, prefix="", head=False)
    tensors = make_bert_tiny.init_tensors(layout, SEED + 2)
    # Like transformers' save_pretrained(max_shard_size=...): fill shards in order; embeddings and the
    # first layer go to shard 1, the rest to shard 2.
    names = [name for name, _, _ in layout]
    split = names.index("encoder.layer.1.attention.self.query.weight")
    shards = [names[:split], names[split:]]
    weight_map = {}
    for i, shard_names in enumerate(shards, start=1):
        file = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        save(os.path.join(folder, file), {n: tensors[n] for n in shard_names}, metadata={"format": "pt"})
        weight_map.update({n: file for n in shard_names})
    index = {
        "metadata": {"total_size": int(sum(t.nbytes for t in tensors.values()))},
        "weight_map": dict(sorted(weight_map.items())),
    }
    make_bert_tiny.write_json(os.path.join(folder, "model.safetensors.index.json"), index)
    make_bert_tiny.write_json(os.path.join(folder, "config.json"), HF_SHARDED_CONFIG)
    make_bert_tiny.write_text(os.path.join(folder, "vocab.txt"),
                              "".join(tok + "\n" for tok in make_bert_tiny.vocabulary()))
    tok_config = dict(make_bert_tiny.TOKENIZER_CONFIG, model_max_length=HF_SHARDED_CONFIG["max_position_embeddings"])
    make_bert_tiny.write_json(os.path.join(folder, "tokenizer_config.json"), tok_config)


def write_large(out):
    """~302 MB: three 4096x4096 F32 (64 MiB each), three 4096x4096 F16 (32 MiB each), small extras."""
    rng = np.random.default_rng(LARGE_SEED)
    tensors = {}
    for i in range(3):
        tensors[f"blocks.{i}.mlp.weight"] = rng.standard_normal((4096, 4096), dtype=np.float32)
        tensors[f"blocks.{i}.attn.weight"] = (rng.standard_normal((4096, 4096), dtype=np.float32)
                                              * np.float32(0.02)).astype(np.float16)
        tensors[f"blocks.{i}.norm.weight"] = np.ones(4096, dtype=np.float32)
    tensors["head.bias"] = rng.standard_normal(1000, dtype=np.float32)
    save(os.path.join(out, "large.safetensors"), tensors, metadata={"format": "pt", "fixture": "large"})


def inputs_hash(large):
    h = hashlib.sha256()
    for script in ("make_fixtures.py", "check_safetensors.py", "make_bert_tiny.py"):
        with open(os.path.join(HERE, script), "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    h.update(f"safetensors={safetensors.__version__};numpy={np.__version__};large={large}".encode())
    return h.hexdigest()


def up_to_date(out, stamp_path, want):
    """True when the stamp matches and every fixture the manifest lists is still there."""
    try:
        with open(stamp_path, encoding="utf-8") as f:
            if f.read().strip() != want:
                return False
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            names = json.load(f)["fixtures"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return all(os.path.exists(os.path.join(out, name)) for name in names)


FIXTURES = ["all_dtypes.safetensors", "dtypes_1_1", "dtypes_1_1_mixed.safetensors", "metadata_multi.safetensors", "hf_sharded",
            "large.safetensors", "manifest.json"]


def main(argv):
    default = os.environ.get("ZOO_TEST_FIXTURES") or os.path.join(
        os.environ.get("ZOO_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "zoo-dev"), "fixtures")
    out = os.path.abspath(argv[1] if len(argv) > 1 else default)
    large = os.environ.get("ZOO_LARGE_FIXTURES", "1") != "0"
    stamp_path = os.path.join(out, ".stamp")
    want = inputs_hash(large)
    if up_to_date(out, stamp_path, want):
        print(f"make_fixtures: {out} is up to date (stamp {want[:12]})")
        return 0

    start = time.monotonic()
    os.makedirs(out, exist_ok=True)
    # Build everything in a scratch folder beside OUT_DIR, then move it into place: an interrupted
    # run never leaves a half-written fixture behind a valid stamp.
    work = tempfile.mkdtemp(prefix=".make_fixtures-", dir=out)
    try:
        write_all_dtypes(work)
        write_metadata_multi(work)
        write_hf_sharded(work)
        if large:
            write_large(work)
        names = ["all_dtypes.safetensors"] + [f"dtypes_1_1/{c}.safetensors" for c in DTYPES_1_1] + [
            "dtypes_1_1_mixed.safetensors"] + [
            "metadata_multi.safetensors", "hf_sharded"] + (["large.safetensors"] if large else [])
        manifest = {
            "generator": "scripts/make_fixtures.py",
            "safetensors_version": safetensors.__version__,
            "numpy_version": np.__version__,
            "large": large,
            "fixtures": {},
        }
        for name in names:
            description = check_safetensors.describe(os.path.join(work, name))
            description["path"] = name
            manifest["fixtures"][name] = description
        with open(os.path.join(work, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True, ensure_ascii=False)
            f.write("\n")

        if os.path.exists(stamp_path):
            os.remove(stamp_path)
        for name in FIXTURES:
            target = os.path.join(out, name)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            elif os.path.lexists(target):
                os.remove(target)
            if os.path.lexists(os.path.join(work, name)):
                os.replace(os.path.join(work, name), target)
        with open(stamp_path, "w", encoding="utf-8") as f:
            f.write(want + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    total = sum(d["total_bytes"] for d in manifest["fixtures"].values())
    print(f"make_fixtures: wrote {len(names)} fixtures ({total / 1e6:.1f} MB of tensors) to {out} "
          f"in {time.monotonic() - start:.1f} s (safetensors {safetensors.__version__})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except check_safetensors.Invalid as e:
        print(f"make_fixtures: error: a fixture does not read back: {e}", file=sys.stderr)
        sys.exit(2)
