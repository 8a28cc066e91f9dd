#!/usr/bin/env python3
"""The PyTorch side of `zoo-bench --gpt2`: GPT-2 greedy decoding per token, with and without the KV cache.

Needs torch and transformers (zoo's dev machines keep them at ~/.cache/zoo-dev/torchenv):

    python scripts/bench_gpt2.py make DIR --layers L --embd E --heads H --positions P --vocab V
        writes a seeded GPT2LMHeadModel (gelu_new) to DIR with save_pretrained (safetensors)
    python scripts/bench_gpt2.py run DIR --prompt N --new N --runs N
        loads DIR, then for each run decodes --new tokens greedily after a fixed prompt, once with
        past_key_values (one position per step) and once without (the whole sequence per step), and
        prints JSON: per-token seconds of each run and the greedy ids (which zoo checks against its own).

The prompt is token ids (7 * i + 3) % vocab for i in 0..<N, the same as zoo-bench's. CPU, float32,
torch.no_grad, evaluation mode; torch uses its default thread count.
"""
import argparse
import json
import time

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel


def make(args) -> None:
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=args.vocab, n_positions=args.positions, n_embd=args.embd, n_layer=args.layers, n_head=args.heads,
        activation_function="gelu_new", initializer_range=0.2, bos_token_id=0, eos_token_id=0,
    )
    GPT2LMHeadModel(config).eval().save_pretrained(args.dir, safe_serialization=True)


def decode(model, prompt, new, use_cache):
    ids = list(prompt)
    past = None
    start = time.perf_counter()
    for _ in range(new):
        if use_cache and past is not None:
            out = model(torch.tensor([ids[-1:]]), past_key_values=past, use_cache=True)
        else:
            out = model(torch.tensor([ids]), use_cache=use_cache)
        past = out.past_key_values if use_cache else None
        ids.append(int(out.logits[0, -1].argmax()))
    return (time.perf_counter() - start) / new, ids[len(prompt):]


def run(args) -> None:
    model = GPT2LMHeadModel.from_pretrained(args.dir).eval()
    vocab = model.config.vocab_size
    prompt = [(7 * i + 3) % vocab for i in range(args.prompt)]
    cached, uncached = [], []
    with torch.no_grad():
        decode(model, prompt, 4, True)  # warm-up
        for _ in range(args.runs):
            seconds, cached_ids = decode(model, prompt, args.new, True)
            cached.append(seconds)
            seconds, uncached_ids = decode(model, prompt, args.new, False)
            uncached.append(seconds)
    print(json.dumps({
        "peer": f"PyTorch {torch.__version__} (transformers {transformers.__version__}, {torch.get_num_threads()} threads)",
        "cached_seconds_per_token": cached,
        "uncached_seconds_per_token": uncached,
        "cached_ids": cached_ids,
        "uncached_ids": uncached_ids,
    }))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    for name, default in (("layers", 4), ("embd", 256), ("heads", 4), ("positions", 128), ("vocab", 4096)):
        m.add_argument("--" + name, type=int, default=default)
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("--prompt", type=int, default=16)
    r.add_argument("--new", type=int, default=32)
    r.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    make(args) if args.command == "make" else run(args)


if __name__ == "__main__":
    main()
