#!/usr/bin/env python3
"""Writes GGUF interop fixtures with the official `gguf` package (ggml's GGUFWriter), for zoo's tests.

    python scripts/make_gguf_fixtures.py [FIXTURES_DIR]   # default: $ZOO_TEST_FIXTURES, else ~/.cache/zoo-dev/fixtures

Writes into FIXTURES_DIR/gguf/:
  all_types.gguf    arch "llama": every metadata value type (u8 i8 u16 i16 u32 i32 f32 bool string u64 i64
                    f64, arrays of each, an array of strings, a nested array, integers past 2^53, NaN, Inf,
                    -0.0), the standard llama hyperparameters, a tokenizer vocabulary,
                    general.base_model.count = 2 with general.base_model.{0,1}.*, and tensors of every type
                    zoo keeps: F32 (with NaN/Inf/-0 values), F16, BF16 (raw_dtype), Q8_0
                    (gguf.quants.quantize), F64, I8, I16, I32, I64, a 0-dim scalar, an empty tensor and a
                    4-dim tensor
  aligned64.gguf    general.alignment = 64 (add_custom_alignment), odd-sized tensors
  bert.gguf         arch "bert" with bert.* hyperparameters (family autoencoding), F16 weights: one block, of
                    which only the fused attn_qkv (llama.cpp's other BERT layout) is written
  arch_gpt2.gguf    complete 2-block GPT-2, arch_bert.gguf complete 2-block BERT (separate attn_q/k/v) and
                    arch_moe.gguf a 2-block llama with 4 experts (stacked ffn_*_exps): every tensor named
                    with gguf-py's own MODEL_TENSOR names for the architecture (TENSOR_NAMES), shaped as
                    llama.cpp's loader creates them (its ggml ne reversed into numpy order), for the
                    architecture check
  q4_k.gguf         a Q4_K tensor (raw bytes) beside an F32 one: zoo must refuse it, naming the type
  big_endian.gguf   GGUFWriter(endianess=BIG): zoo must refuse it
  manifest.json     {"generator", "gguf_version", "numpy_version", "fixtures": {NAME: DESCRIPTION}} where
                    DESCRIPTION is what `check_gguf.py gguf/NAME` prints (read back with the package)
  .stamp            hash of the inputs; when it matches, the run does nothing

Everything is deterministic (fixed seeds and values).
"""

import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGUFWriter, GGMLQuantizationType, GGUFEndian, GGUFValueType

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check_gguf  # noqa: E402

SEED = 5150
GGUF_VERSION = "0.19.0"


def bf16_bits(values):
    """float32 -> bfloat16 bit patterns, round to nearest even (NaN kept quiet)."""
    bits = np.asarray(values, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    return np.where(nan, ((bits >> 16) | 0x40).astype(np.uint16), rounded).astype("<u2")


def write_all_types(path, rng):
    w = GGUFWriter(path, "llama")
    w.add_name("zoo-fixture")
    w.add_description("every GGUF metadata type; written by scripts/make_gguf_fixtures.py")
    w.add_file_type(7)  # MOSTLY_Q8_0
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_uint8("zoo.test.u8", 250)
    w.add_int8("zoo.test.i8", -100)
    w.add_uint16("zoo.test.u16", 65000)
    w.add_int16("zoo.test.i16", -32000)
    w.add_uint32("zoo.test.u32", 4_000_000_000)
    w.add_int32("zoo.test.i32", -2_000_000_000)
    w.add_float32("zoo.test.f32", 0.1)
    w.add_bool("zoo.test.bool", True)
    w.add_string("zoo.test.string", "héllo \u65e5\u672c \U0001F600 \"quoted\" back\\slash\nnewline")
    w.add_uint64("zoo.test.u64", 2 ** 64 - 1)
    w.add_int64("zoo.test.i64", -(2 ** 62) - 12345)
    w.add_uint64("zoo.test.u64_small", 2 ** 53 - 1)
    w.add_float64("zoo.test.f64", 2.718281828459045)
    w.add_float32("zoo.test.f32_nan", float("nan"))
    w.add_float32("zoo.test.f32_inf", float("inf"))
    w.add_float32("zoo.test.f32_neg_zero", -0.0)
    w.add_float64("zoo.test.f64_neg_inf", float("-inf"))
    w.add_float32("zoo.test.f32_big_integral", 1e20)
    w.add_float32("zoo.test.f32_integral", 3.0)
    w.add_key_value("zoo.test.array_u8", [1, 2, 255], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT8)
    w.add_key_value("zoo.test.array_i8", [-1, 0, 127], GGUFValueType.ARRAY, sub_type=GGUFValueType.INT8)
    w.add_key_value("zoo.test.array_u16", [0, 65535], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT16)
    w.add_key_value("zoo.test.array_i16", [-32768, 32767], GGUFValueType.ARRAY, sub_type=GGUFValueType.INT16)
    w.add_key_value("zoo.test.array_u32", [0, 4294967295], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT32)
    w.add_array("zoo.test.array_i32", [-5, 6, 7])
    w.add_array("zoo.test.array_f32", [0.5, -1.25, 1e-5])
    w.add_key_value("zoo.test.array_bool", [True, False, True], GGUFValueType.ARRAY, sub_type=GGUFValueType.BOOL)
    w.add_array("zoo.test.array_string", ["a", "", "ü"])
    w.add_key_value("zoo.test.array_u64", [0, 2 ** 63], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT64)
    w.add_key_value("zoo.test.array_i64", [-(2 ** 63), 2 ** 63 - 1], GGUFValueType.ARRAY, sub_type=GGUFValueType.INT64)
    w.add_key_value("zoo.test.array_f64", [1.5, -2.5e300], GGUFValueType.ARRAY, sub_type=GGUFValueType.FLOAT64)
    w.add_array("zoo.test.nested", [[1, 2], [3], [4, 5, 6]])
    w.add_array("zoo.test.nested_strings", [["x", "y"], ["z"]])
    # The llama hyperparameters llama.cpp reads.
    w.add_context_length(2048)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(16)
    w.add_tokenizer_model("llama")
    tokens = ["<unk>", "<s>", "</s>"] + [f"tok{i}" for i in range(13)]
    w.add_token_list(tokens)
    w.add_token_scores([float(-i) for i in range(len(tokens))])
    w.add_token_types([2, 3, 3] + [1] * 13)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    # Provenance.
    w.add_base_model_count(2)
    w.add_base_model_name(0, "Base Llama")
    w.add_base_model_organization(0, "Zoo Labs")
    w.add_base_model_repo_url(0, "https://huggingface.co/zoo/base-llama")
    w.add_base_model_name(1, "Helper Model")

    special = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4e38], dtype=np.float32)
    embd = rng.standard_normal((16, 64)).astype(np.float32)
    embd[0, :6] = special
    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("blk.0.attn_norm.weight", rng.standard_normal(64).astype(np.float32))
    w.add_tensor("blk.0.attn_q.weight", rng.standard_normal((64, 64)).astype(np.float16))
    w.add_tensor("blk.0.attn_k.weight", bf16_bits(rng.standard_normal((32, 64)).astype(np.float32)),
                 raw_dtype=GGMLQuantizationType.BF16)
    q = gguf.quants.quantize(rng.standard_normal((32, 64)).astype(np.float32), GGMLQuantizationType.Q8_0)
    w.add_tensor("blk.0.attn_v.weight", q, raw_dtype=GGMLQuantizationType.Q8_0)
    w.add_tensor("blk.0.attn_output.weight", rng.standard_normal((64, 64)).astype(np.float64))
    w.add_tensor("zoo.i8", np.arange(-64, 64, dtype=np.int8).reshape(2, 64))
    w.add_tensor("zoo.i16", np.array([-32768, -1, 0, 32767], dtype=np.int16))
    w.add_tensor("zoo.i32", np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 12)
    w.add_tensor("zoo.i64", np.array([-(2 ** 63), 2 ** 63 - 1], dtype=np.int64))
    w.add_tensor("zoo.scalar", np.array(1.5, dtype=np.float32))
    w.add_tensor("zoo.empty", np.zeros((0, 4), dtype=np.float32))
    w.add_tensor("blk.0.ffn_gate_exps.weight", rng.standard_normal((2, 3, 4, 5)).astype(np.float32))
    w.add_tensor("output.weight", rng.standard_normal((16, 64)).astype(np.float16))
    finish(w)


def write_aligned64(path, rng):
    w = GGUFWriter(path, "gpt2")
    w.add_custom_alignment(64)
    w.add_name("aligned")
    w.add_block_count(1)
    w.add_tensor("a", rng.standard_normal(3).astype(np.float32))      # 12 bytes, then 52 of padding
    w.add_tensor("b", rng.standard_normal((5, 7)).astype(np.float16))
    w.add_tensor("c", rng.standard_normal(1).astype(np.float32))
    finish(w)


def write_bert(path, rng):
    w = GGUFWriter(path, "bert")
    w.add_name("tiny-bert")
    w.add_context_length(128)
    w.add_embedding_length(32)
    w.add_block_count(1)
    w.add_feed_forward_length(64)
    w.add_head_count(2)
    w.add_layer_norm_eps(1e-12)
    w.add_causal_attention(False)
    w.add_tensor("token_embd.weight", rng.standard_normal((30, 32)).astype(np.float16))
    w.add_tensor("blk.0.attn_qkv.weight", rng.standard_normal((96, 32)).astype(np.float16))
    w.add_tensor("blk.0.attn_qkv.bias", rng.standard_normal(96).astype(np.float32))
    finish(w)


def tensor_name(arch, tensor, bid=None, suffix="weight"):
    """gguf-py's name for `tensor` (a MODEL_TENSOR) of `arch`, which must list it."""
    if tensor not in gguf.MODEL_TENSORS[arch]:
        raise SystemExit(f"make_gguf_fixtures: {tensor.name} is not a tensor of {arch.name} in gguf {GGUF_VERSION}")
    return gguf.TENSOR_NAMES[tensor].format(bid=bid) + "." + suffix


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def arch_writer(path, arch, hidden, ff, ctx, heads, vocab):
    """A GGUFWriter for `arch` with the hyperparameters llama.cpp reads for it: 2 blocks, `vocab` tokens."""
    w = GGUFWriter(path, gguf.MODEL_ARCH_NAMES[arch])
    w.add_context_length(ctx)
    w.add_embedding_length(hidden)
    w.add_block_count(2)
    w.add_feed_forward_length(ff)
    w.add_head_count(heads)
    w.add_token_list([f"t{i}" for i in range(vocab)])
    return w


def add_biased_blocks(w, arch, rng, parts):
    """Per block, each (MODEL_TENSOR, rows, columns or None) as a weight plus a [rows] bias."""
    for b in range(2):
        for tensor, rows, cols in parts:
            w.add_tensor(tensor_name(arch, tensor, b), f32(rng, rows, cols) if cols else f32(rng, rows))
            w.add_tensor(tensor_name(arch, tensor, b, "bias"), f32(rng, rows))


def write_arch_gpt2(path, rng):
    """GPT-2, h 8, 2 heads, 2 blocks, MLP 32, 16 positions, 10 tokens (llama_model_gpt2's tensors)."""
    arch, T, h, ff, ctx, vocab = gguf.MODEL_ARCH.GPT2, gguf.MODEL_TENSOR, 8, 32, 16, 10
    w = arch_writer(path, arch, h, ff, ctx, 2, vocab)
    w.add_layer_norm_eps(1e-5)
    w.add_tensor(tensor_name(arch, T.TOKEN_EMBD), f32(rng, vocab, h))
    w.add_tensor(tensor_name(arch, T.POS_EMBD), f32(rng, ctx, h))
    add_biased_blocks(w, arch, rng, [(T.ATTN_NORM, h, None), (T.ATTN_QKV, 3 * h, h), (T.ATTN_OUT, h, h),
                                     (T.FFN_NORM, h, None), (T.FFN_UP, ff, h), (T.FFN_DOWN, h, ff)])
    w.add_tensor(tensor_name(arch, T.OUTPUT_NORM), f32(rng, h))
    w.add_tensor(tensor_name(arch, T.OUTPUT_NORM, suffix="bias"), f32(rng, h))
    finish(w)


def write_arch_bert(path, rng):
    """BERT, h 8, 2 heads, 2 blocks, MLP 32, 16 positions, 10 tokens, 2 token types (llama_model_bert)."""
    arch, T, h, ff, ctx, vocab = gguf.MODEL_ARCH.BERT, gguf.MODEL_TENSOR, 8, 32, 16, 10
    w = arch_writer(path, arch, h, ff, ctx, 2, vocab)
    w.add_layer_norm_eps(1e-12)
    w.add_causal_attention(False)
    w.add_token_type_count(2)
    w.add_tensor(tensor_name(arch, T.TOKEN_EMBD), f32(rng, vocab, h))
    w.add_tensor(tensor_name(arch, T.TOKEN_TYPES), f32(rng, 2, h))
    w.add_tensor(tensor_name(arch, T.POS_EMBD), f32(rng, ctx, h))
    w.add_tensor(tensor_name(arch, T.TOKEN_EMBD_NORM), f32(rng, h))
    w.add_tensor(tensor_name(arch, T.TOKEN_EMBD_NORM, suffix="bias"), f32(rng, h))
    add_biased_blocks(w, arch, rng, [(T.ATTN_Q, h, h), (T.ATTN_K, h, h), (T.ATTN_V, h, h), (T.ATTN_OUT, h, h),
                                     (T.ATTN_OUT_NORM, h, None), (T.FFN_UP, ff, h), (T.FFN_DOWN, h, ff),
                                     (T.LAYER_OUT_NORM, h, None)])
    finish(w)


def write_arch_moe(path, rng):
    """A Mixtral-style llama: h 16, 4 heads (2 kv), 2 blocks, 4 experts of width 24, 10 tokens."""
    arch, T, h, ff, experts, vocab = gguf.MODEL_ARCH.LLAMA, gguf.MODEL_TENSOR, 16, 24, 4, 10
    w = arch_writer(path, arch, h, ff, 32, 4, vocab)
    w.add_head_count_kv(2)
    w.add_expert_count(experts)
    w.add_expert_used_count(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tensor(tensor_name(arch, T.TOKEN_EMBD), f32(rng, vocab, h))
    for b in range(2):
        w.add_tensor(tensor_name(arch, T.ATTN_NORM, b), f32(rng, h))
        w.add_tensor(tensor_name(arch, T.ATTN_Q, b), f32(rng, h, h))
        w.add_tensor(tensor_name(arch, T.ATTN_K, b), f32(rng, 8, h))
        w.add_tensor(tensor_name(arch, T.ATTN_V, b), f32(rng, 8, h))
        w.add_tensor(tensor_name(arch, T.ATTN_OUT, b), f32(rng, h, h))
        w.add_tensor(tensor_name(arch, T.FFN_NORM, b), f32(rng, h))
        # llama.cpp: ffn_gate_inp ne {h, E}; ffn_gate/up_exps {h, I, E}; ffn_down_exps {I, h, E}.
        w.add_tensor(tensor_name(arch, T.FFN_GATE_INP, b), f32(rng, experts, h))
        w.add_tensor(tensor_name(arch, T.FFN_GATE_EXP, b), f32(rng, experts, ff, h))
        w.add_tensor(tensor_name(arch, T.FFN_UP_EXP, b), f32(rng, experts, ff, h))
        w.add_tensor(tensor_name(arch, T.FFN_DOWN_EXP, b), f32(rng, experts, h, ff))
    w.add_tensor(tensor_name(arch, T.OUTPUT_NORM), f32(rng, h))
    w.add_tensor(tensor_name(arch, T.OUTPUT), f32(rng, vocab, h))
    finish(w)


def write_q4_k(path, rng):
    w = GGUFWriter(path, "llama")
    w.add_tensor("token_embd.weight", rng.standard_normal((4, 8)).astype(np.float32))
    # Q4_K: 256 elements per 144-byte block; two rows of one block each.
    w.add_tensor("blk.0.attn_q.weight", rng.integers(0, 256, size=(2, 144), dtype=np.uint8),
                 raw_dtype=GGMLQuantizationType.Q4_K)
    finish(w)


def write_big_endian(path, rng):
    w = GGUFWriter(path, "llama", endianess=GGUFEndian.BIG)
    w.add_block_count(1)
    w.add_tensor("a", rng.standard_normal(4).astype(np.float32))
    finish(w)


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


FIXTURES = [
    ("all_types.gguf", write_all_types, True),
    ("aligned64.gguf", write_aligned64, True),
    ("bert.gguf", write_bert, True),
    ("arch_gpt2.gguf", write_arch_gpt2, True),
    ("arch_bert.gguf", write_arch_bert, True),
    ("arch_moe.gguf", write_arch_moe, True),
    ("q4_k.gguf", write_q4_k, True),
    ("big_endian.gguf", write_big_endian, False),  # the package reads it, but its description is not comparable
]


def main(argv):
    root = argv[1] if len(argv) > 1 else os.environ.get("ZOO_TEST_FIXTURES") or os.path.join(
        os.environ.get("ZOO_CACHE") or os.path.expanduser("~/.cache/zoo-dev"), "fixtures")
    out = os.path.join(root, "gguf")
    version = importlib.metadata.version("gguf")
    if version != GGUF_VERSION:
        sys.exit(f"make_gguf_fixtures: gguf {version} installed, want {GGUF_VERSION} (run scripts/setup.sh)")
    inputs = hashlib.sha256()
    for script in ("make_gguf_fixtures.py", "check_gguf.py"):
        with open(os.path.join(HERE, script), "rb") as f:
            inputs.update(f.read())
    inputs.update(f"{version} {np.__version__}".encode())
    stamp = inputs.hexdigest()
    stamp_path = os.path.join(out, ".stamp")
    if os.path.exists(stamp_path) and open(stamp_path).read().strip() == stamp:
        print(f"make_gguf_fixtures: {out} is up to date", file=sys.stderr)
        return 0

    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".gguf-", dir=root)
    try:
        descriptions = {}
        for name, write, describe in FIXTURES:
            path = os.path.join(staging, name)
            write(path, np.random.default_rng(SEED))
            if describe:
                descriptions[name] = check_gguf.describe(path)
        manifest = {"generator": "scripts/make_gguf_fixtures.py", "gguf_version": version,
                    "numpy_version": np.__version__, "fixtures": descriptions}
        with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True, ensure_ascii=False)
        with open(os.path.join(staging, ".stamp"), "w") as f:
            f.write(stamp + "\n")
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"make_gguf_fixtures: wrote {len(FIXTURES)} fixtures to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
