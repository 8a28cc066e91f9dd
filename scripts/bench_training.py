#!/usr/bin/env python3
"""The Python peer of `zoo-bench --training`: the same work as zoo's Swift code, timed in Python.

    bench_training.py MODEL_DIR SENTENCES_JSON [--runs N] [--max-length N] [--peer auto|pytorch|numpy]

With PyTorch and sentence-transformers importable (peer "pytorch", CPU), it times
SentenceTransformer.encode one sentence at a time and in batches of 32, one AdamW training step of
an MLP (256-256-64-10, batch 64), and one AdamW step of MiniLM's top encoder layer with a linear
topic head (batch 32, lower layers frozen, eval mode). Otherwise (peer "numpy": CI has numpy only)
it times the independent numpy implementation of scripts/minilm_numpy.py for the embeddings and a
hand-written numpy MLP step; there is no numpy BERT training step.

Prints one JSON object: the peer's name, the median seconds per sentence / per step, and the first
sentence's embedding (so zoo can check that both sides computed the same thing).
"""
import argparse
import json
import os
import sys
import time


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def timed_runs(fn, runs):
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def pytorch_peer(args, sentences):
    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    model = SentenceTransformer(args.model_dir, device="cpu")
    model.max_seq_length = args.max_length
    model.eval()
    result = {
        "peer": f"PyTorch {torch.__version__} CPU, sentence-transformers {sentence_transformers.__version__}, "
                f"{torch.get_num_threads()} threads",
    }

    def singles():
        with torch.no_grad():
            for s in sentences:
                model.encode(s, convert_to_numpy=True)

    def batches():
        with torch.no_grad():
            model.encode(sentences, batch_size=args.batch_size, convert_to_numpy=True)

    result["single_seconds"] = [t / len(sentences) for t in timed_runs(singles, args.runs)]
    result["batch_seconds"] = [t / len(sentences) for t in timed_runs(batches, args.runs)]
    result["embedding"] = [float(x) for x in model.encode(sentences[0], convert_to_numpy=True)]

    # One AdamW step of an MLP classifier, batch 64.
    mlp = torch.nn.Sequential(
        torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = torch.optim.AdamW(mlp.parameters(), lr=1e-3, weight_decay=0)
    x = torch.randn(64, 256)
    y = torch.randint(0, 10, (64,))

    def mlp_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(mlp(x), y)
        loss.backward()
        optimizer.step()

    result["mlp_step_seconds"] = timed_runs(lambda: [mlp_step() for _ in range(20)], args.runs)
    result["mlp_step_seconds"] = [t / 20 for t in result["mlp_step_seconds"]]

    # One AdamW step of MiniLM's top layer + a topic head, batch 32, lower layers frozen.
    bert = model[0].auto_model
    bert.eval()
    for name, parameter in bert.named_parameters():
        parameter.requires_grad = name.startswith(f"encoder.layer.{bert.config.num_hidden_layers - 1}.")
    head = torch.nn.Linear(bert.config.hidden_size, 3)
    top = [p for p in bert.parameters() if p.requires_grad]
    bert_optimizer = torch.optim.AdamW(
        [{"params": head.parameters(), "lr": 1e-2}, {"params": top, "lr": 1e-3}], weight_decay=0)
    batch = model.tokenizer(sentences[: args.batch_size], padding=True, truncation=True, max_length=args.max_length,
                            return_tensors="pt")
    labels = torch.tensor([i % 3 for i in range(len(batch["input_ids"]))])
    mask = batch["attention_mask"].unsqueeze(-1).float()

    def bert_step():
        bert_optimizer.zero_grad()
        hidden = bert(**batch).last_hidden_state
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        logits = head(torch.nn.functional.normalize(pooled, p=2, dim=1))
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        bert_optimizer.step()

    result["bert_step_seconds"] = timed_runs(bert_step, args.runs)
    return result


def numpy_peer(args, sentences):
    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import minilm_numpy

    model = minilm_numpy.MiniLM(args.model_dir)
    result = {"peer": f"numpy {np.__version__} (scripts/minilm_numpy.py; PyTorch not importable)"}

    def singles():
        for s in sentences:
            model.embed([s], args.max_length)

    def batches():
        for i in range(0, len(sentences), args.batch_size):
            model.embed(sentences[i : i + args.batch_size], args.max_length)

    result["single_seconds"] = [t / len(sentences) for t in timed_runs(singles, args.runs)]
    result["batch_seconds"] = [t / len(sentences) for t in timed_runs(batches, args.runs)]
    result["embedding"] = [float(x) for x in model.embed([sentences[0]], args.max_length)[1][0]]
    step = minilm_numpy.mlp_step_timer([256, 256, 64, 10], 64)
    result["mlp_step_seconds"] = [t / 20 for t in timed_runs(lambda: [step() for _ in range(20)], args.runs)]
    result["bert_step_seconds"] = None
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir")
    parser.add_argument("sentences")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--peer", choices=["auto", "pytorch", "numpy"], default="auto")
    args = parser.parse_args()
    with open(args.sentences, encoding="utf-8") as f:
        sentences = json.load(f)
    peer = args.peer
    if peer == "auto":
        try:
            import torch  # noqa: F401
            import sentence_transformers  # noqa: F401
            peer = "pytorch"
        except ImportError:
            peer = "numpy"
    result = pytorch_peer(args, sentences) if peer == "pytorch" else numpy_peer(args, sentences)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
