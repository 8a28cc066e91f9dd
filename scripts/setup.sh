#!/usr/bin/env bash
# Installs whatever zoo's build, tests and demo need, and nothing that is already there.
#   - Debian packages (as root with apt-get; `apt-get update` runs once, only when something is missing)
#   - a Python venv at $ZOO_CACHE/venv (default ~/.cache/zoo-dev/venv), outside the repo, that sees the
#     system's site-packages (numpy) and holds the pinned safetensors used for interop fixtures and checks
# Safe to run again: a second run checks and prints, and installs nothing.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

APT_PACKAGES=(libarchive-dev libssl-dev libzstd-dev libopenblas-dev libcurl4-openssl-dev pkg-config
    docker-registry apache2-utils openssl curl)  # registry tests: scripts/registry.sh (htpasswd, token certs, curl)
SAFETENSORS_VERSION="0.8.0"
GGUF_VERSION="0.19.0"    # ggml's gguf-py: GGUF interop fixtures and checks (needs numpy only)
NUMPY_VERSION="2.4.6"   # only installed into the venv when the base Python has no numpy
HUGGINGFACE_HUB_VERSION="2.4.0"  # scan_cache_dir checks the hub cache layout of scripts/make_hf_cache.py
MODEL_SIGNING_VERSION="1.1.1"    # the official OpenSSF Model Signing tool: signature interop both ways
PYOPENSSL_VERSION="26.4.0"       # model_signing's key and certificate signers import it

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- Swift ------------------------------------------------------------------------------------------
command -v swift >/dev/null 2>&1 || die "swift not found on PATH nor at /opt/swift/usr/bin; install Swift 6.x first"
say "swift: $(command -v swift)"

# --- Debian packages --------------------------------------------------------------------------------
installed() { dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'; }

BASE_PYTHON="${ZOO_BASE_PYTHON:-$(command -v python3 || true)}"
[ -n "$BASE_PYTHON" ] || BASE_PYTHON=/usr/bin/python3

missing=()
for p in "${APT_PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done
# Debian's own python3 needs python3-venv for `python3 -m venv`; other Pythons (pyenv) bring ensurepip.
if [ ! -x "$BASE_PYTHON" ] && ! command -v "$BASE_PYTHON" >/dev/null 2>&1; then
    installed python3 || missing+=(python3)
    BASE_PYTHON=/usr/bin/python3
fi
if [ "$(readlink -f "$(command -v "$BASE_PYTHON" || echo "$BASE_PYTHON")")" = "$(readlink -f /usr/bin/python3 2>/dev/null || true)" ]; then
    installed python3-venv || missing+=(python3-venv)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    say "Debian packages present: ${APT_PACKAGES[*]}"
else
    say "Debian packages missing: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        die "not root and no password-less sudo; run as root: apt-get update && apt-get install -y ${missing[*]}"
    fi
    say "running: apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        || die "apt-get update failed"
    say "running: apt-get install -y --no-install-recommends ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
    for p in "${missing[@]}"; do
        installed "$p" || die "$p still not installed after apt-get install"
    done
fi
pkg-config --exists libarchive libcrypto libzstd \
    || die "pkg-config cannot find libarchive, libcrypto or libzstd although their -dev packages are installed"

# --- Python venv ------------------------------------------------------------------------------------
if [ -x "$ZOO_PYTHON" ] && "$ZOO_PYTHON" -c 'import sys' >/dev/null 2>&1; then
    say "venv present: $ZOO_VENV"
else
    if [ -e "$ZOO_VENV" ]; then
        say "venv at $ZOO_VENV is broken (its base Python moved?); recreating it"
        rm -rf -- "$ZOO_VENV"
    fi
    say "creating venv: $BASE_PYTHON -m venv --system-site-packages $ZOO_VENV"
    mkdir -p -- "$ZOO_CACHE"
    "$BASE_PYTHON" -m venv --system-site-packages "$ZOO_VENV" \
        || die "could not create a venv with $BASE_PYTHON (is its venv/ensurepip module installed?)"
fi

# Prints the installed version of a distribution, or nothing.
dist_version() {
    "$ZOO_PYTHON" - "$1" <<'PY' 2>/dev/null || true
import importlib.metadata, sys
try:
    print(importlib.metadata.version(sys.argv[1]))
except importlib.metadata.PackageNotFoundError:
    pass
PY
}

want=()
have="$(dist_version safetensors)"
if [ "$have" = "$SAFETENSORS_VERSION" ]; then
    say "safetensors $have present"
else
    say "safetensors ${have:-missing}, want $SAFETENSORS_VERSION"
    want+=("safetensors==$SAFETENSORS_VERSION")
fi
if "$ZOO_PYTHON" -c 'import jsonschema' >/dev/null 2>&1; then
    say "jsonschema $(dist_version jsonschema) present"
else
    say "jsonschema missing"
    want+=(jsonschema)
fi
if "$ZOO_PYTHON" -c 'import numpy' >/dev/null 2>&1; then
    say "numpy $(dist_version numpy) present"
else
    say "numpy missing"
    want+=("numpy==$NUMPY_VERSION")
fi
have="$(dist_version gguf)"
if [ "$have" = "$GGUF_VERSION" ]; then
    say "gguf $have present"
else
    say "gguf ${have:-missing}, want $GGUF_VERSION"
    want+=("gguf==$GGUF_VERSION")
fi
have="$(dist_version huggingface-hub)"
if [ "$have" = "$HUGGINGFACE_HUB_VERSION" ]; then
    say "huggingface-hub $have present"
else
    say "huggingface-hub ${have:-missing}, want $HUGGINGFACE_HUB_VERSION"
    want+=("huggingface-hub==$HUGGINGFACE_HUB_VERSION")
fi
have="$(dist_version model-signing)"
if [ "$have" = "$MODEL_SIGNING_VERSION" ]; then
    say "model-signing $have present"
else
    say "model-signing ${have:-missing}, want $MODEL_SIGNING_VERSION"
    want+=("model-signing==$MODEL_SIGNING_VERSION")
fi
have="$(dist_version pyopenssl)"
if [ "$have" = "$PYOPENSSL_VERSION" ]; then
    say "pyopenssl $have present"
else
    say "pyopenssl ${have:-missing}, want $PYOPENSSL_VERSION"
    want+=("pyopenssl==$PYOPENSSL_VERSION")
fi
if [ "${#want[@]}" -gt 0 ]; then
    say "running: $ZOO_PYTHON -m pip install ${want[*]}"
    "$ZOO_PYTHON" -m pip install --disable-pip-version-check -q "${want[@]}" \
        || die "pip install ${want[*]} failed (is PyPI reachable?)"
fi
"$ZOO_PYTHON" - "$SAFETENSORS_VERSION" <<'PY' || die "the venv's safetensors/numpy/jsonschema do not import"
import importlib.metadata, sys
import jsonschema, numpy, safetensors.numpy  # noqa: F401
got = importlib.metadata.version("safetensors")
if got != sys.argv[1]:
    sys.exit(f"safetensors {got} installed, want {sys.argv[1]}")
PY
"$ZOO_PYTHON" -c 'import gguf, gguf.quants' || die "the venv's gguf does not import"
"$ZOO_PYTHON" -c 'from huggingface_hub import scan_cache_dir' || die "the venv's huggingface_hub does not import"
"$ZOO_PYTHON" -c 'import model_signing, OpenSSL' || die "the venv's model_signing does not import"
say "ready: ZOO_PYTHON=$ZOO_PYTHON"
