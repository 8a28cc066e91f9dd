#!/usr/bin/env python3
"""Writes .npy / .npz interop fixtures with numpy itself, for zoo's tests.

    python scripts/make_numpy_fixtures.py [FIXTURES_DIR]   # default: $ZOO_TEST_FIXTURES, else ~/.cache/zoo-dev/fixtures

Writes into FIXTURES_DIR/numpy/:
  <dtype>.npy            one C-order little-endian array per dtype zoo maps (f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)
  be_f4.npy, be_i8.npy, be_f2.npy   big-endian arrays (zoo byte-swaps them)
  fortran_f4.npy, fortran_3d_i2.npy, fortran_be_f8.npy   Fortran-order arrays (zoo transposes them to C order)
  scalar.npy, empty.npy  a 0-d array and a (0, 3) array
  v2.npy, v3.npy         format versions 2.0 and 3.0 (numpy.lib.format.write_array(version=...))
  model.npz              numpy.savez: names with dots and a slash, F16, a 0-d I64, a Fortran-order and a
                         big-endian member
  model_compressed.npz   numpy.savez_compressed of the same arrays (deflated members)
  refused/               files zoo must refuse with a clear error: object.npy (pickled objects),
                         structured.npy, complex.npy, unicode.npy, evil_dotdot.npz ("../evil.npy"),
                         evil_abs.npz ("/abs.npy"), evil_symlink.npz (a symlink member), not_npy.npz
                         (a "readme.txt" member), duplicate.npz (the same member twice)
  manifest.json          {"generator", "numpy_version", "fixtures": {NAME: DESCRIPTION}} where DESCRIPTION
                         is what `check_numpy.py numpy/NAME` prints (read back with numpy)
  .stamp                 hash of the inputs; when it matches, the run does nothing
"""

import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import warnings
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check_numpy  # noqa: E402

SEED = 2024


def model_arrays(rng):
    return {
        "encoder.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "encoder.bias": rng.standard_normal(4).astype(np.float32),
        "layers/0/w": rng.standard_normal((2, 2)).astype(np.float16),
        "step": np.array(1234, dtype=np.int64),
        "fortran": np.asfortranarray(rng.standard_normal((3, 2)).astype(np.float32)),
        "be": rng.standard_normal((2, 3)).astype(">f4"),
    }


def npy_bytes(arr, **kwargs):
    out = io.BytesIO()
    np.save(out, arr, **kwargs)
    return out.getvalue()


def write_zip(path, members, symlink=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name on purpose
        with zipfile.ZipFile(path, "w") as z:
            for name, data in members:
                z.writestr(zipfile.ZipInfo(name), data)
            if symlink:
                info = zipfile.ZipInfo(symlink[0])
                info.create_system = 3
                info.external_attr = 0o120777 << 16
                z.writestr(info, symlink[1])


def write_all(out, rng):
    good = {}
    for code in ("f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"):
        dtype = np.dtype("<" + code)
        if dtype.kind == "f":
            arr = rng.standard_normal((3, 5)).astype(dtype)
        else:
            info = np.iinfo(dtype)
            arr = rng.integers(info.min, info.max, size=(3, 5), dtype=dtype, endpoint=True)
        good[f"{dtype.kind}{dtype.itemsize}.npy"] = arr
    good["b1.npy"] = rng.integers(0, 2, size=(7,)).astype(bool)
    good["be_f4.npy"] = rng.standard_normal((2, 3)).astype(">f4")
    good["be_i8.npy"] = np.array([1, -2, 2 ** 40, -(2 ** 62)], dtype=">i8")
    good["be_f2.npy"] = rng.standard_normal(5).astype(">f2")
    good["fortran_f4.npy"] = np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32))
    good["fortran_3d_i2.npy"] = np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    good["fortran_be_f8.npy"] = np.asfortranarray(rng.standard_normal((2, 5))).astype(">f8", order="F")
    good["scalar.npy"] = np.array(2.5, dtype=np.float32)
    good["empty.npy"] = np.zeros((0, 3), dtype=np.float32)
    for name, arr in good.items():
        np.save(os.path.join(out, name), arr)
    for version in ((2, 0), (3, 0)):
        with open(os.path.join(out, f"v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, np.arange(6, dtype=np.float32).reshape(2, 3), version=version)
    arrays = model_arrays(rng)
    np.savez(os.path.join(out, "model.npz"), **arrays)
    np.savez_compressed(os.path.join(out, "model_compressed.npz"), **arrays)

    refused = os.path.join(out, "refused")
    os.makedirs(refused)
    np.save(os.path.join(refused, "object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
    np.save(os.path.join(refused, "structured.npy"), np.zeros(3, dtype=[("a", "<i4"), ("b", "<f4")]))
    np.save(os.path.join(refused, "complex.npy"), np.ones(3, dtype=np.complex64))
    np.save(os.path.join(refused, "unicode.npy"), np.array(["ab", "c"]))
    payload = npy_bytes(np.arange(3, dtype=np.float32))
    write_zip(os.path.join(refused, "evil_dotdot.npz"), [("ok.npy", payload), ("../evil.npy", payload)])
    write_zip(os.path.join(refused, "evil_abs.npz"), [("/abs.npy", payload)])
    write_zip(os.path.join(refused, "evil_symlink.npz"), [("ok.npy", payload)], symlink=("link.npy", "/etc/passwd"))
    write_zip(os.path.join(refused, "not_npy.npz"), [("a.npy", payload), ("readme.txt", b"hello")])
    write_zip(os.path.join(refused, "duplicate.npz"), [("a.npy", payload), ("a.npy", payload)])
    return sorted(good) + ["v2.npy", "v3.npy", "model.npz", "model_compressed.npz"]


def main(argv):
    root = argv[1] if len(argv) > 1 else os.environ.get("ZOO_TEST_FIXTURES") or os.path.join(
        os.environ.get("ZOO_CACHE") or os.path.expanduser("~/.cache/zoo-dev"), "fixtures")
    out = os.path.join(root, "numpy")
    inputs = hashlib.sha256()
    for script in ("make_numpy_fixtures.py", "check_numpy.py"):
        with open(os.path.join(HERE, script), "rb") as f:
            inputs.update(f.read())
    inputs.update(np.__version__.encode())
    stamp = inputs.hexdigest()
    stamp_path = os.path.join(out, ".stamp")
    if os.path.exists(stamp_path) and open(stamp_path).read().strip() == stamp:
        print(f"make_numpy_fixtures: {out} is up to date", file=sys.stderr)
        return 0
    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".numpy-", dir=root)
    try:
        names = write_all(staging, np.random.default_rng(SEED))
        fixtures = {name: check_numpy.describe(os.path.join(staging, name)) for name in names}
        manifest = {"generator": "scripts/make_numpy_fixtures.py", "numpy_version": np.__version__, "fixtures": fixtures}
        with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        with open(os.path.join(staging, ".stamp"), "w") as f:
            f.write(stamp + "\n")
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"make_numpy_fixtures: wrote {len(names)} fixtures (and refused/) to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
