#!/usr/bin/env python3
"""Writes fuzz/corpus/<target>/ seeds: small valid files made by the real writers, plus edge cases.

    ~/.cache/zoo-dev/venv/bin/python fuzz/make_corpus.py [FIXTURES_DIR]   # default: $ZOO_TEST_FIXTURES,
                                                                          # else ~/.cache/zoo-dev/fixtures

Sources: the official safetensors, gguf and numpy writers (called here on tiny arrays, and the small
interop fixtures of scripts/make_*fixtures.py), the committed torch.save files of Tests/Fixtures/pytorch,
the golden checkpoints of spec/golden (manifests, folders, and .zoo archives made from them with Python's
tarfile in the layout of spec/format.md §12). Seeds are small (at most 16 KiB) so the fuzzer mutates
quickly. The output is committed; re-run after a format change. Deterministic: same inputs, same bytes.
"""

import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import numpy as np
import gguf
from safetensors.numpy import save as st_save

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SEED = 16 << 10
# Must match FolderInput.paths in fuzz/Sources/FuzzSupport/FolderInput.swift.
FOLDER_PATHS = ["manifest.json", "shards/00000.bin", "shards/00001.bin", "shards/00002.bin",
                "assets/config.json", "assets/tokenizer/vocab.txt", "assets/vocab.txt", "shards/extra.bin"]


def put(target, name, data):
    if len(data) > MAX_SEED:
        return
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def copy_small(target, folder, names=None):
    if not os.path.isdir(folder):
        print(f"make_corpus: {folder} missing, skipped", file=sys.stderr)
        return
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and (names is None or name.endswith(names)):
            with open(path, "rb") as f:
                put(target, name, f.read())


def safetensors_seeds(fixtures):
    copy_small("safetensors", fixtures, (".safetensors",))
    copy_small("safetensors", os.path.join(fixtures, "other_dtypes"), (".safetensors",))
    put("safetensors", "tiny.safetensors", st_save({"a": np.arange(6, dtype=np.float32).reshape(2, 3),
                                                     "b": np.array([1, -1], dtype=np.int8)},
                                                    metadata={"format": "pt"}))
    put("safetensors", "scalar_empty.safetensors", st_save({"s": np.array(3.5, dtype=np.float64),
                                                             "e": np.zeros((0, 4), dtype=np.float16)}))
    put("safetensors", "no_tensors.safetensors", st_save({}))
    # Edge cases: header length past the end, header of spaces, a header that is not an object.
    put("safetensors", "edge_huge_length", struct.pack("<Q", 1 << 62) + b"{}")
    put("safetensors", "edge_padded", struct.pack("<Q", 8) + b"{}      ")
    put("safetensors", "edge_array", struct.pack("<Q", 2) + b"[]")


def gguf_seeds(fixtures):
    copy_small("gguf", os.path.join(fixtures, "gguf"), (".gguf",))
    path = tempfile.mktemp(suffix=".gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_uint32("llama.context_length", 8)
    w.add_array("tokenizer.ggml.tokens", ["a", "b"])
    w.add_array("nested", [[1, 2], [3]])
    w.add_float64("f64", -0.0)
    w.add_tensor("w", np.arange(8, dtype=np.float32).reshape(2, 4))
    w.add_tensor("h", np.ones(3, dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with open(path, "rb") as f:
        put("gguf", "tiny.gguf", f.read())
    os.unlink(path)
    put("gguf", "edge_header_only", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    put("gguf", "edge_many_tensors", b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 1 << 40))


def numpy_seeds(fixtures):
    copy_small("npy", os.path.join(fixtures, "numpy"), (".npy",))
    copy_small("npz", os.path.join(fixtures, "numpy"), (".npz",))
    for name, array in [("tiny_f4.npy", np.arange(6, dtype="<f4").reshape(2, 3)),
                        ("fortran_be_i4.npy", np.asfortranarray(np.arange(6, dtype=">i4").reshape(3, 2))),
                        ("bool.npy", np.array([True, False, True])),
                        ("zero_dim.npy", np.array(7, dtype="<u2")),
                        ("empty_2d.npy", np.zeros((0, 3), dtype="<f8"))]:
        buf = io.BytesIO()
        np.save(buf, array)
        put("npy", name, buf.getvalue())
    buf = io.BytesIO()
    np.save(buf, np.zeros(2, dtype="<f4"))
    v1 = buf.getvalue()
    put("npy", "edge_shape_overflow.npy",
        v1.replace(b"(2,)", b"(4611686018427387904, 4)").ljust(len(v1)))
    for name, compressed in [("tiny.npz", False), ("tiny_compressed.npz", True)]:
        buf = io.BytesIO()
        (np.savez_compressed if compressed else np.savez)(
            buf, a=np.arange(4, dtype="<f4"), b=np.eye(2, dtype=">f8"), **{"layer.0.w": np.ones((2, 2), "<i2")})
        put("npz", name, buf.getvalue())
    buf = io.BytesIO()
    np.savez(buf)
    put("npz", "empty.npz", buf.getvalue())


def pytorch_seeds():
    folder = os.path.join(ROOT, "Tests", "Fixtures", "pytorch")
    copy_small("pytorch", folder, (".pt",))
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".pt"):
            continue
        try:
            with zipfile.ZipFile(os.path.join(folder, name)) as z:
                for member in z.namelist():
                    if member.endswith("/data.pkl"):
                        put("unpickler", name[:-3] + ".pkl", z.read(member))
        except (zipfile.BadZipFile, NotImplementedError, ValueError):
            pass


def golden_checkpoints():
    golden = os.path.join(ROOT, "spec", "golden")
    found = []
    for base in [golden, os.path.join(golden, "bad")]:
        for name in sorted(os.listdir(base)):
            folder = os.path.join(base, name)
            if os.path.isfile(os.path.join(folder, "manifest.json")):
                found.append((("bad-" if base.endswith("bad") else "") + name, folder))
    return found


def folder_files(folder):
    files = []
    for dirpath, _, names in os.walk(folder):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            files.append((os.path.relpath(path, folder), open(path, "rb").read()))
    return sorted(files)


def archive_bytes(folder):
    """A .zoo as spec §12 lays it out: manifest, shards, assets; deterministic ustar headers."""
    manifest = json.load(open(os.path.join(folder, "manifest.json"), "rb"))
    order = ["manifest.json"] + [s["path"] for s in manifest.get("shards", [])] + \
            [a["path"] for a in manifest.get("assets", [])]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in order:
            full = os.path.join(folder, path)
            if not os.path.isfile(full):
                continue
            data = open(full, "rb").read()
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime, info.uid, info.gid = len(data), 0o644, 0, 0, 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    end = len(data.rstrip(b"\0"))
    return data[: ((end + 511) // 512) * 512 + 1024]  # keep the two end blocks, drop record padding


def checkpoint_seeds():
    for name, folder in golden_checkpoints():
        put("manifest", name + ".json", open(os.path.join(folder, "manifest.json"), "rb").read())
        record = b""
        for path, data in folder_files(folder):
            if path in FOLDER_PATHS:
                record += struct.pack("<BI", FOLDER_PATHS.index(path), len(data)) + data
        put("folder", name, record)
        tar = archive_bytes(folder)
        put("archive", name + ".zoo", tar)
        if name in ("tiny-f32", "mixed"):
            zst = subprocess.run(["zstd", "-q", "-c", "-3"], input=tar, stdout=subprocess.PIPE, check=True).stdout
            put("archive", name + ".zoo.zst", zst)
    put("manifest", "edge_deep.json", b"[" * 300 + b"]" * 300)
    put("manifest", "edge_big_int.json", b'{"formatVersion":"1.0","n":1000000000000000000000}')


def main():
    fixtures = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "ZOO_TEST_FIXTURES", os.path.expanduser("~/.cache/zoo-dev/fixtures"))
    # Files are overwritten, never removed: reproducers kept as seeds by hand stay.
    safetensors_seeds(fixtures)
    gguf_seeds(fixtures)
    numpy_seeds(fixtures)
    pytorch_seeds()
    checkpoint_seeds()
    for target in sorted(os.listdir(CORPUS)):
        names = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, n)) for n in names)
        print(f"make_corpus: {target}: {len(names)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
