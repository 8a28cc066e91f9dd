#!/usr/bin/env python3
"""Writes the PyTorch checkpoint fixtures zoo's tests read (Tests/Fixtures/pytorch/), with real torch.save.

Run once, by hand, with a python that has torch (the CPU build is enough); the output is committed, so
neither tests nor CI need torch:

    /root/.cache/zoo-dev/torchenv/bin/python scripts/make_pytorch_fixtures.py [OUT_DIR]

OUT_DIR defaults to Tests/Fixtures/pytorch. Besides the .pt files it writes manifest.json:

    {"torch": "<version>",
     "valid": {"<file>": {"tensors": [{"name", "dtype", "shape", "sha256"}],   # what zoo must import
                          "selected": key or null, "skipped": [...], "values": {...},
                          "shared_storages": [[names...]], "archive": "<member folder>"}},
     "hostile": {"<file>": {"why": "...", ...facts the error must name (global, opcode, offset)}}}

sha256 is over the tensor's contiguous little-endian bytes (tensor.contiguous(), row-major), dtype uses
zoo's spelling. The files are deterministic in content (seeded), except the serialization_id torch adds.
"""
import collections
import hashlib
import io
import json
import os
import pickle
import pickletools
import sys
import zipfile

import torch
import torch.nn as nn

ZOO_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL", torch.uint16: "U16", torch.uint32: "U32", torch.uint64: "U64",
    torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.numel() == 0:
        return b""
    return t.reshape(-1).view(torch.uint8).numpy().tobytes()


def describe(name, t):
    return {"name": name, "dtype": ZOO_DTYPES[t.dtype], "shape": list(t.shape),
            "sha256": hashlib.sha256(tensor_bytes(t)).hexdigest()}


def flatten(obj, prefix=""):
    """(dotted name, tensor) pairs the way zoo names them: dict keys, list/tuple indices."""
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from flatten(value, f"{prefix}.{i}" if prefix else str(i))


def shared_groups(pairs):
    groups = collections.OrderedDict()
    for name, t in pairs:
        key = t.untyped_storage().data_ptr()
        groups.setdefault(key, []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def archive_name(path):
    with zipfile.ZipFile(path) as z:
        return z.namelist()[0].split("/")[0]


def save_valid(out, manifest, file, obj, selected=None, skipped=(), values=None, **kwargs):
    path = os.path.join(out, file)
    torch.save(obj, path, **kwargs)
    root = obj[selected] if selected else obj
    pairs = list(flatten(root))
    manifest["valid"][file] = {
        "tensors": [describe(name, t) for name, t in pairs],
        "selected": selected,
        "skipped": list(skipped),
        "values": values or {},
        "shared_storages": shared_groups(pairs),
        "archive": archive_name(path),
    }
    # torch itself must read back exactly what was saved.
    loaded = torch.load(path, weights_only=False)  # our own files; weights_only refuses FRAME (protocol 4+)
    loaded_root = loaded[selected] if selected else loaded
    for (name, t), (name2, t2) in zip(pairs, flatten(loaded_root)):
        assert name == name2 and tensor_bytes(t) == tensor_bytes(t2), name


def rewrite_zip(source, target, replace=None, extra=(), compress=zipfile.ZIP_STORED):
    """Copies a torch zip member by member (stored unless told), replacing members' bytes and
    appending `extra` (name, bytes) members."""
    replace = replace or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", compression=compress) as dst:
        for info in src.infolist():
            data = replace.get(info.filename.split("/", 1)[1], src.read(info.filename))
            dst.writestr(zipfile.ZipInfo(info.filename), data, compress_type=compress)
        for name, data in extra:
            dst.writestr(zipfile.ZipInfo(name), data, compress_type=compress)


def first_opcode(pickle_bytes, names):
    for op, arg, pos in pickletools.genops(pickle_bytes):
        if op.name in names:
            return op.name, arg, pos
    raise AssertionError(f"no {names} in pickle")


class RunsSystem:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class RunsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('echo pwned')",))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "pytorch")
    out = os.path.abspath(out)
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(".pt") or name == "manifest.json":
            os.remove(os.path.join(out, name))
    torch.manual_seed(2008)
    manifest = {"torch": torch.__version__, "valid": {}, "hostile": {}}

    # Every dtype zoo reads, a 0-d scalar, an empty tensor, and special float values.
    dtypes = collections.OrderedDict()
    dtypes["f32"] = torch.randn(3, 4)
    dtypes["f16"] = torch.tensor([1.0, -2.5, float("inf"), float("-inf"), float("nan"), 65504.0], dtype=torch.float16)
    dtypes["bf16"] = torch.randn(2, 3, 2).to(torch.bfloat16)
    dtypes["f64"] = torch.randn(5, dtype=torch.float64)
    dtypes["i64"] = torch.tensor([-(2**62), -1, 0, 1, 2**62])
    dtypes["i32"] = torch.randint(-(2**31), 2**31 - 1, (2, 2), dtype=torch.int32)
    dtypes["i16"] = torch.randint(-(2**15), 2**15 - 1, (7,), dtype=torch.int16)
    dtypes["i8"] = torch.randint(-128, 127, (3, 3), dtype=torch.int8)
    dtypes["u8"] = torch.randint(0, 255, (4, 1, 2), dtype=torch.uint8)
    dtypes["bool"] = torch.tensor([[True, False], [False, True]])
    dtypes["scalar"] = torch.tensor(3.25)
    dtypes["empty"] = torch.zeros(0, 3)
    # dtypes without a typed storage: saved with _rebuild_tensor_v3 and an untyped storage
    dtypes["u16"] = torch.tensor([0, 1, 65535], dtype=torch.uint16)
    dtypes["u32"] = torch.tensor([0, 7, 2**32 - 1], dtype=torch.uint32)
    dtypes["u64"] = torch.tensor([0, 9, 2**63 - 1], dtype=torch.uint64)
    dtypes["f8e4m3"] = torch.randn(4).to(torch.float8_e4m3fn)
    dtypes["f8e5m2_t"] = torch.randn(2, 3).to(torch.float8_e5m2).t()
    save_valid(out, manifest, "dtypes.pt", dtypes)

    # Views: tied, sliced, transposed, strided, offset, expanded (stride 0), permuted, empty.
    a = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = collections.OrderedDict()
    views["a"] = a
    views["tied"] = a
    views["slice"] = a[1:]
    views["column"] = a[:, 2]
    views["offset"] = a.view(-1)[7:13]
    views["step"] = a[::2, ::3]
    views["empty_view"] = a[2:2]
    views["w_t"] = torch.randn(3, 5).t()
    views["half_t"] = torch.randn(64, 48).to(torch.float16).t()
    views["bf16_t"] = torch.randn(5, 7).to(torch.bfloat16).t()
    views["permuted"] = torch.randn(2, 3, 4).permute(2, 0, 1)
    views["expanded"] = torch.randn(1, 4).expand(3, 4)
    views["i64_t"] = torch.arange(12).reshape(3, 4).t()
    views["bool_t"] = (torch.randn(3, 2) > 0).t()
    save_valid(out, manifest, "views.pt", views)

    # A training checkpoint: the model's state dict nested, an optimizer, scalars.
    model = collections.OrderedDict()
    model["encoder.weight"] = torch.randn(4, 3)
    model["encoder.bias"] = torch.randn(4)
    model["head"] = {"weight": torch.randn(2, 4)}
    model["layers"] = [torch.randn(2), torch.randn(3)]
    checkpoint = {
        "model": model,
        "optimizer": {"state": {0: {"exp_avg": torch.randn(4, 3), "step": torch.tensor(10.0)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1]}]},
        "epoch": 3,
        "lr": 0.1,
        "name": "run-1",
        "best": None,
        "done": True,
    }
    save_valid(out, manifest, "nested.pt", checkpoint, selected="model", skipped=["optimizer"],
               values={"epoch": 3, "lr": 0.1, "name": "run-1", "best": None, "done": True})

    # A real module's state dict (OrderedDict with _metadata set by BUILD), tied embedding.
    net = nn.Sequential(
        nn.Embedding(16, 8),
        nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, batch_first=True),
        nn.BatchNorm1d(8),
        nn.Linear(8, 16),
    )
    net[3].weight = net[0].weight
    save_valid(out, manifest, "module.pt", net.state_dict())

    # Parameters (rebuild_parameter, and with_state for one carrying a python attribute).
    params = collections.OrderedDict()
    params["w"] = nn.Parameter(torch.randn(3, 3))
    params["frozen"] = nn.Parameter(torch.zeros(3), requires_grad=False)
    tagged = nn.Parameter(torch.randn(2))
    tagged.note = "tagged"
    params["tagged"] = tagged
    save_valid(out, manifest, "parameters.pt", params)

    # Newer pickle protocols: FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL.
    small = collections.OrderedDict([("x", torch.randn(2, 2)), ("y", torch.arange(5)), ("y_t", torch.randn(2, 3).t())])
    save_valid(out, manifest, "protocol4.pt", small, pickle_protocol=4)
    save_valid(out, manifest, "protocol5.pt", small, pickle_protocol=5)

    # A list at the top; and a file saved to a buffer (member folder "archive").
    save_valid(out, manifest, "list.pt", [torch.randn(2), {"x": torch.randn(1, 2)}])
    buffer = io.BytesIO()
    torch.save(collections.OrderedDict([("w", torch.randn(3))]), buffer)
    with open(os.path.join(out, "archive_name.pt"), "wb") as f:
        f.write(buffer.getvalue())
    reloaded = torch.load(os.path.join(out, "archive_name.pt"), weights_only=True)
    manifest["valid"]["archive_name.pt"] = {
        "tensors": [describe(n, t) for n, t in flatten(reloaded)], "selected": None, "skipped": [], "values": {},
        "shared_storages": [], "archive": "archive"}

    # Hostile files. Each starts from a valid archive with data.pkl replaced, or a damaged zip.
    base = os.path.join(out, "protocol4.pt")
    hostile = manifest["hostile"]

    def with_pickle(file, data, **facts):
        rewrite_zip(base, os.path.join(out, file), replace={"data.pkl": data})
        hostile[file] = facts

    with_pickle("os_system.pt", b"\x80\x02cos\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.",
                why="global", name="os.system", offset=2)
    data = pickle.dumps(RunsSystem(), protocol=2)
    with_pickle("posix_system.pt", data, why="global", name="posix.system", offset=first_opcode(data, {"GLOBAL"})[2])
    data = pickle.dumps(RunsEval(), protocol=2)  # fix_imports: builtins -> __builtin__
    with_pickle("builtin_eval.pt", data, why="global", name="__builtin__.eval", offset=first_opcode(data, {"GLOBAL"})[2])
    data = pickle.dumps(RunsEval(), protocol=2, fix_imports=False)
    with_pickle("builtins_eval.pt", data, why="global", name="builtins.eval", offset=first_opcode(data, {"GLOBAL"})[2])
    data = pickle.dumps(RunsSystem(), protocol=4)
    with_pickle("stack_global_system.pt", data, why="global", name="posix.system",
                offset=first_opcode(data, {"STACK_GLOBAL"})[2])

    # eval hidden after a real tensor, deep in a state dict.
    path = os.path.join(out, "nested_eval.pt")
    torch.save(collections.OrderedDict([("w", torch.randn(2)), ("cfg", {"hook": RunsEval()})]), path)
    with zipfile.ZipFile(path) as z:
        data = z.read("nested_eval/data.pkl")
    offset = [pos for op, arg, pos in pickletools.genops(data) if op.name == "GLOBAL" and arg == "__builtin__ eval"][0]
    hostile["nested_eval.pt"] = {"why": "global", "name": "__builtin__.eval", "offset": offset}

    # torch.save of a whole module: pickles the class.
    path = os.path.join(out, "whole_module.pt")
    torch.save(nn.Linear(2, 2), path)
    with zipfile.ZipFile(path) as z:
        data = z.read("whole_module/data.pkl")
    _, arg, offset = first_opcode(data, {"GLOBAL"})
    hostile["whole_module.pt"] = {"why": "global", "name": arg.replace(" ", "."), "offset": offset}

    # bytes in protocol 3: SHORT_BINBYTES, an opcode state dicts never use.
    path = os.path.join(out, "bytes_value.pt")
    torch.save({"w": torch.randn(2), "blob": b"xyz"}, path, pickle_protocol=3)
    with zipfile.ZipFile(path) as z:
        data = z.read("bytes_value/data.pkl")
    name, _, offset = first_opcode(data, {"SHORT_BINBYTES", "BINBYTES"})
    hostile["bytes_value.pt"] = {"why": "opcode", "name": name, "offset": offset}

    rewrite_zip(base, os.path.join(out, "zip_slip.pt"), extra=[("../evil.sh", b"echo pwned\n")])
    hostile["zip_slip.pt"] = {"why": "member name", "name": "../evil.sh"}
    rewrite_zip(base, os.path.join(out, "absolute_member.pt"), extra=[("/tmp/evil.sh", b"echo pwned\n")])
    hostile["absolute_member.pt"] = {"why": "member name", "name": "/tmp/evil.sh"}
    rewrite_zip(base, os.path.join(out, "compressed.pt"), compress=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(os.path.join(out, "compressed.pt")) as z:
        offset = z.getinfo("protocol4/byteorder").header_offset  # the first member zoo reads
    hostile["compressed.pt"] = {"why": "compressed", "name": "protocol4/byteorder", "method": 8, "offset": offset}
    rewrite_zip(base, os.path.join(out, "big_endian.pt"), replace={"byteorder": b"big"})
    hostile["big_endian.pt"] = {"why": "byteorder", "name": "protocol4/byteorder"}

    with open(base, "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "truncated.pt"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    hostile["truncated.pt"] = {"why": "truncated"}

    path = os.path.join(out, "legacy.pt")
    torch.save(collections.OrderedDict([("w", torch.randn(2))]), path, _use_new_zipfile_serialization=False)
    hostile["legacy.pt"] = {"why": "legacy"}

    path = os.path.join(out, "torchscript.pt")
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), path)
    hostile["torchscript.pt"] = {"why": "torchscript"}

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"wrote {len(os.listdir(out))} files, {total} bytes, to {out}")


if __name__ == "__main__":
    main()
