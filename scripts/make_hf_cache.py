#!/usr/bin/env python3
"""Writes a Hugging Face hub cache repo exactly as huggingface_hub lays it out, and checks it
with huggingface_hub's own scan_cache_dir.

  make_hf_cache.py CACHE_ROOT REPO_ID [--variant good|escape|bad-blob|no-ref|dangling]
                   [--weights safetensors|pytorch|pytorch-sharded|gguf]

models--ORG--NAME/blobs/<sha256> (LFS files: the weights) and blobs/<git sha1> (small files),
refs/main (the commit, no newline), snapshots/<commit>/<file> -> ../../blobs/<hash> (relative
links). Prints the snapshot folder.

--weights picks the repo's weights: model.safetensors (the default), pytorch_model.bin, the
sharded pytorch_model-0000N-of-00002.bin + pytorch_model.bin.index.json, or one model.gguf.
The torch.save files are the committed fixtures Tests/Fixtures/pytorch/{module,dtypes}.pt
(written by real torch.save; CI has no torch), the GGUF comes from the official gguf writer.
"""
import argparse, hashlib, json, os, sys, tempfile

import numpy as np
from safetensors.numpy import save


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


PYTORCH_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "pytorch")


def pytorch_fixture(name: str) -> tuple[bytes, list[str]]:
    """A committed torch.save file's bytes and its tensor names (from the fixtures' manifest)."""
    with open(os.path.join(PYTORCH_FIXTURES, "manifest.json")) as f:
        names = [t["name"] for t in json.load(f)["valid"][name]["tensors"]]
    with open(os.path.join(PYTORCH_FIXTURES, name), "rb") as f:
        return f.read(), names


def gguf_bytes(rng) -> bytes:
    from gguf import GGUFWriter
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "model.gguf")
        w = GGUFWriter(path, "llama")
        w.add_name("tiny-cached")
        w.add_tensor("token_embd.weight", rng.standard_normal((8, 4)).astype(np.float32))
        w.add_tensor("output_norm.weight", np.ones(4, dtype=np.float32))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        with open(path, "rb") as f:
            return f.read()


def weight_files(kind: str, rng) -> dict[str, tuple[bytes, bool]]:
    """The weight files of the repo: name -> (bytes, stored as an LFS blob)."""
    if kind == "safetensors":
        weights = save({"embeddings.weight": rng.standard_normal((8, 4)).astype(np.float32),
                        "classifier.bias": np.arange(3, dtype=np.float32)}, metadata={"format": "pt"})
        return {"model.safetensors": (weights, True)}
    if kind == "pytorch":
        return {"pytorch_model.bin": (pytorch_fixture("module.pt")[0], True)}
    if kind == "pytorch-sharded":
        out, weight_map = {}, {}
        for number, fixture in enumerate(["module.pt", "dtypes.pt"], start=1):
            data, names = pytorch_fixture(fixture)
            shard = f"pytorch_model-{number:05d}-of-00002.bin"
            out[shard] = (data, True)
            weight_map.update({name: shard for name in names})
        total = sum(len(data) for data, _ in out.values())
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
        out["pytorch_model.bin.index.json"] = (json.dumps(index, indent=2).encode(), False)
        return out
    if kind == "gguf":
        return {"model.gguf": (gguf_bytes(rng), True)}
    raise ValueError(kind)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("repo")
    ap.add_argument("--variant", default="good", choices=["good", "escape", "bad-blob", "no-ref", "dangling"])
    ap.add_argument("--weights", default="safetensors", choices=["safetensors", "pytorch", "pytorch-sharded", "gguf"])
    args = ap.parse_args()
    repo = os.path.join(args.root, "models--" + args.repo.replace("/", "--"))
    commit = hashlib.sha1(args.repo.encode()).hexdigest()
    rng = np.random.default_rng(7)
    files = {
        **weight_files(args.weights, rng),
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
