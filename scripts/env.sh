# shellcheck shell=bash
# Common environment for zoo's developer scripts. Source it; don't run it.
#   ZOO_CACHE   cache outside the repo (venv, generated fixtures); default ~/.cache/zoo-dev
#   ZOO_VENV    the Python venv used for interop checks: $ZOO_CACHE/venv
#   ZOO_PYTHON  that venv's python (Swift tests call it to run scripts/check_safetensors.py)
#   ZOO_TEST_FIXTURES  generated safetensors fixtures: $ZOO_CACHE/fixtures
# Also puts Swift on PATH when it is only installed at /opt/swift.

ZOO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZOO_CACHE="${ZOO_CACHE:-${HOME:-/root}/.cache/zoo-dev}"
ZOO_VENV="${ZOO_VENV:-$ZOO_CACHE/venv}"
ZOO_PYTHON="$ZOO_VENV/bin/python"
ZOO_TEST_FIXTURES="${ZOO_TEST_FIXTURES:-$ZOO_CACHE/fixtures}"
export ZOO_ROOT ZOO_CACHE ZOO_VENV ZOO_PYTHON ZOO_TEST_FIXTURES

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    PATH="/opt/swift/usr/bin:$PATH"
    export PATH
fi

# Echo a command (shell-quoted) to stderr, then run it.
zoo_run() {
    printf '+' >&2
    printf ' %q' "$@" >&2
    printf '\n' >&2
    "$@"
}
