#!/usr/bin/env bash
# Runs zoo's benchmark (release build), installing whatever is missing first (scripts/setup.sh) and
# writing the safetensors fixtures (large.safetensors included unless ZOO_LARGE_FIXTURES=0).
#   scripts/bench.sh [ZOO-BENCH ARGS...]
# The benchmark gets ZOO_PYTHON and ZOO_TEST_FIXTURES in its environment; with --training also
# ZOO_MINILM_DIR (scripts/minilm.sh installs all-MiniLM-L6-v2 once).
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ZOO_ROOT"

bash scripts/setup.sh
zoo_run "$ZOO_PYTHON" scripts/make_fixtures.py "$ZOO_TEST_FIXTURES"
case " $* " in *" --training "*) ZOO_MINILM_DIR="${ZOO_MINILM_DIR:-$(bash scripts/minilm.sh)}"; export ZOO_MINILM_DIR ;; esac
# --store times the release `zoo` binary itself.
case " $* " in *" --store "*|*" --export "*) zoo_run swift build -c release --product zoo ;; esac
zoo_run swift run -c release zoo-bench "$@"
