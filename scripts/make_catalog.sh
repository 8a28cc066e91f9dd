#!/usr/bin/env bash
# Rebuilds the bundled catalog: zoo/ is an OCI image layout (oci-layout, index.json, blobs/sha256/) that
# `zoo pull zoo:NAME` reads offline from a clone. Each model is imported from its source into a throw-away
# store and pushed into a fresh layout, which then replaces zoo/oci-layout, zoo/index.json and zoo/blobs/
# (zoo/checkpoints/, the sources, stays). Imports and pushes are deterministic, so running this again on
# the same sources changes nothing.
#   scripts/make_catalog.sh
# To add a model, add a "SOURCE NAME:TAG" line to CATALOG below (SOURCE: anything `zoo import` reads).
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ZOO_ROOT"

CATALOG=(
    "zoo/checkpoints/bert-tiny bert-tiny:latest"
    "zoo/checkpoints/glyphs-mlp glyphs-mlp:latest"
)

zoo_run swift build --product zoo
bin="$(swift build --show-bin-path)/zoo"
work="$(mktemp -d "${TMPDIR:-/tmp}/zoo-catalog.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
export ZOO_HOME="$work/store"

for entry in "${CATALOG[@]}"; do
    source_path="${entry% *}"
    reference="${entry##* }"
    zoo_run "$bin" import "$source_path" --name "$reference"
    zoo_run "$bin" push "$reference" "$work/layout"
done

rm -rf -- zoo/blobs zoo/index.json zoo/oci-layout
cp -R "$work/layout/blobs" zoo/blobs
cp "$work/layout/index.json" zoo/index.json
cp "$work/layout/oci-layout" zoo/oci-layout
zoo_run "$bin" list --remote zoo
printf 'catalog: %s bytes in zoo/blobs\n' "$(du -sb zoo/blobs | cut -f1)"
