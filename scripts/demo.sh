#!/usr/bin/env bash
# zoo end to end on the bundled checkpoint, installing whatever is missing first (scripts/setup.sh):
# pull bert-tiny from the bundled catalog zoo/ (an OCI image layout, offline), list, show, deep-verify,
# export as .zoo (verified and re-imported into a second store: same model digest) and as .safetensors
# (read back with the official safetensors package and compared tensor by tensor with the original);
# then transfer learning (scripts/demo_transfer.sh).
# Every command is echoed before it runs.
#   ZOO_DEMO_KEEP=1 keeps the temporary folder (stores and exports) for a look afterwards.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ZOO_ROOT"

die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

bash scripts/setup.sh
zoo_run swift build --product zoo
bin="$(swift build --show-bin-path)/zoo"
[ -x "$bin" ] || die "no zoo binary at $bin after the build"

work="$(mktemp -d "${TMPDIR:-/tmp}/zoo-demo.XXXXXX")"
if [ "${ZOO_DEMO_KEEP:-0}" != 0 ]; then
    trap 'printf "demo: kept %s\n" "$work"' EXIT
else
    trap 'rm -rf -- "$work"' EXIT
fi
export ZOO_HOME="$work/store"
checkpoint="zoo/checkpoints/bert-tiny"
printf 'demo: ZOO_HOME=%s\n' "$ZOO_HOME"

zoo() { zoo_run "$bin" "$@"; }

# The first sha256:<64 hex> in a command's output, or nothing.
digest_in() { grep -oE 'sha256:[0-9a-f]{64}' <<<"$1" | head -n 1 || true; }

# zoo/ is a folder remote: `zoo:NAME` pulls from it when run from the repository root.
out="$(zoo pull zoo:bert-tiny)"
printf '%s\n' "$out"
digest="$(digest_in "$out")"
[ -n "$digest" ] || die "zoo pull printed no model digest"

zoo list
zoo show bert-tiny
zoo verify bert-tiny --deep

zoo export bert-tiny -o "$work/bert-tiny.zoo"
zoo verify "$work/bert-tiny.zoo" --deep
out="$(zoo_run env ZOO_HOME="$work/store2" "$bin" import "$work/bert-tiny.zoo" --name bert-tiny)"
printf '%s\n' "$out"
[ "$(digest_in "$out")" = "$digest" ] \
    || die "re-importing the exported .zoo gave $(digest_in "$out"), the original import gave $digest"
printf 'demo: the exported archive re-imports as the same model %s\n' "$digest"

zoo export bert-tiny -o "$work/out.safetensors" --format safetensors
zoo_run "$ZOO_PYTHON" scripts/check_safetensors.py "$checkpoint/model.safetensors" \
    -o "$work/original.json" >/dev/null
zoo_run "$ZOO_PYTHON" scripts/check_safetensors.py "$work/out.safetensors" "$work/original.json" \
    >"$work/out.json" || die "the safetensors export differs from $checkpoint/model.safetensors (above)"

zoo rm bert-tiny
zoo list

# Transfer learning: the pretrained glyph model fine-tuned on a few-shot task, then MiniLM topics.
bash scripts/demo_transfer.sh
printf 'demo: OK\n'
