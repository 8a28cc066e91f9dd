#!/usr/bin/env python3
"""Writes a Hugging Face hub cache repo exactly as huggingface_hub lays it out, and checks it
with huggingface_hub's own scan_cache_dir.

  make_hf_cache.py CACHE_ROOT REPO_ID [--variant good|escape|bad-blob|no-ref|dangling]

models--ORG--NAME/blobs/<sha256> (LFS files: the weights) and blobs/<git sha1> (small files),
refs/main (the commit, no newline), snapshots/<commit>/<file> -> ../../blobs/<hash> (relative
links). Prints the snapshot folder.
"""
import argparse, hashlib, json, os, sys

import numpy as np
from safetensors.numpy import save


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("repo")
    ap.add_argument("--variant", default="good", choices=["good", "escape", "bad-blob", "no-ref", "dangling"])
    args = ap.parse_args()
    repo = os.path.join(args.root, "models--" + args.repo.replace("/", "--"))
    commit = hashlib.sha1(args.repo.encode()).hexdigest()
    rng = np.random.default_rng(7)
    weights = save({"embeddings.weight": rng.standard_normal((8, 4)).astype(np.float32),
                    "classifier.bias": np.arange(3, dtype=np.float32)}, metadata={"format": "pt"})
    files = {
        "model.safetensors": (weights, True),
        "config.json": (json.dumps({"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 4}).encode(), False),
        "tokenizer.json": (b'{"version": "1.0"}', False),
    }
    os.makedirs(os.path.join(repo, "blobs"))
    os.makedirs(os.path.join(repo, "refs"))
    snapshot = os.path.join(repo, "snapshots", commit)
    os.makedirs(snapshot)
    for name, (data, lfs) in files.items():
        blob = hashlib.sha256(data).hexdigest() if lfs else git_sha1(data)
        stored = data
        if args.variant == "bad-blob" and lfs:
            stored = data[:-1] + bytes([data[-1] ^ 1])  # same name, one flipped byte
        with open(os.path.join(repo, "blobs", blob), "wb") as f:
            f.write(stored)
        target = os.path.join("..", "..", "blobs", blob)
        if args.variant == "escape" and lfs:
            outside = os.path.join(args.root, "outside.safetensors")
            with open(outside, "wb") as f:
                f.write(data)
            target = os.path.join("..", "..", "..", "outside.safetensors")
        if args.variant == "dangling" and name == "config.json":
            os.remove(os.path.join(repo, "blobs", blob))
        os.symlink(target, os.path.join(snapshot, name))
    if args.variant != "no-ref":
        with open(os.path.join(repo, "refs", "main"), "w") as f:
            f.write(commit)

    if args.variant == "good":
        from huggingface_hub import scan_cache_dir
        info = scan_cache_dir(args.root)
        if info.warnings:
            sys.exit(f"scan_cache_dir warnings: {info.warnings}")
        found = [r for r in info.repos if r.repo_id == args.repo]
        if len(found) != 1:
            sys.exit(f"scan_cache_dir did not find {args.repo}: {[r.repo_id for r in info.repos]}")
        r = found[0]
        revisions = {rev.commit_hash: rev for rev in r.revisions}
        if set(revisions) != {commit} or revisions[commit].refs != frozenset({"main"}):
            sys.exit(f"scan_cache_dir saw revisions {revisions}")
        names = {f.file_name for f in revisions[commit].files}
        if names != set(files):
            sys.exit(f"scan_cache_dir saw files {names}")
    print(snapshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
