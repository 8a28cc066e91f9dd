#!/usr/bin/env bash
# Builds zoo's libFuzzer targets (fuzz/, one per parser) and runs each for a bounded time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default 20 s each, every target
#   e.g. scripts/fuzz.sh 300 FuzzGGUF FuzzNpz
# Knobs:
#   ZOO_FUZZ_SECONDS   seconds per target when no argument is given; 0 skips fuzzing (exit 0)
#   ZOO_FUZZ_JOBS      parallel fuzzing processes per target (-fork=N; default 1, in-process)
#   ZOO_FUZZ_OUT       where findings and the grown corpus go (default .build-fuzz/findings)
# Build: release with libFuzzer's coverage instrumentation and ASan into .build-fuzz (its own scratch path, so it
# never disturbs .build). Seeds come from fuzz/corpus/<target>/ (read only); each run grows a
# working corpus under $ZOO_FUZZ_OUT. Exits 1 on any finding (crash, trap, sanitizer report,
# timeout of 5 s, more than 2 GiB RSS), printing the reproducer's path and the command to replay it;
# exits 2 when the fuzz build fails.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ZOO_ROOT"

seconds="${1:-${ZOO_FUZZ_SECONDS:-20}}"
[ "$#" -gt 0 ] && shift
if [ "$seconds" = 0 ]; then
    echo "fuzz: ZOO_FUZZ_SECONDS=0, skipped"
    exit 0
fi
all=(FuzzSafetensors FuzzGGUF FuzzNpy FuzzNpz FuzzPyTorch FuzzUnpickler FuzzManifest FuzzArchive FuzzCheckpointFolder FuzzSignature)
targets=("${@:-${all[@]}}")
out="${ZOO_FUZZ_OUT:-$ZOO_ROOT/.build-fuzz/findings}"
jobs="${ZOO_FUZZ_JOBS:-1}"

corpus_of() {  # FuzzCheckpointFolder -> folder, FuzzGGUF -> gguf
    local name="${1#Fuzz}"
    case "$name" in
        CheckpointFolder) echo folder ;;
        *) echo "$name" | tr '[:upper:]' '[:lower:]' ;;
    esac
}

start=$(date +%s)
mkdir -p "$out"
# ld.gold warns once per ASan helper symbol ("Cannot export local symbol"): keep those out of the log.
# Instrumentation: `-sanitize=fuzzer` for the compiler only (coverage counters, comparison
# tracing) and ASan; libFuzzer itself is linked without its `main` (SwiftPM gives every executable
# its own entry point, which calls LLVMFuzzerRunDriver: fuzz/Sources/FuzzSupport/RunFuzzer.swift).
# The driver's `-sanitize=fuzzer` would link libFuzzer's `main` too and clash with that entry point.
libfuzzer="$(dirname "$(dirname "$(command -v swiftc)")")/lib/clang"
libfuzzer="$(find "$libfuzzer" -name 'libclang_rt.fuzzer_no_main-x86_64.a' 2>/dev/null | head -n 1)"
[ -f "$libfuzzer" ] || { echo "fuzz: libclang_rt.fuzzer_no_main not found in the Swift toolchain" >&2; exit 1; }
# `-assert-config Debug` keeps the standard library's debug-only checks (slicing an unsafe buffer out
# of range, among others) in the optimised build: without it, FuzzGGUF's first finding only trapped
# in the debug test suite.
flags=(-c release -Xswiftc -assert-config -Xswiftc Debug -Xswiftc -sanitize=address -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer
       -Xlinker --whole-archive -Xlinker "$libfuzzer" -Xlinker --no-whole-archive -Xlinker -lstdc++)
# One product at a time: a plain `swift build` would also build every other target of the root
# package (the training core, the remote client, the CLI's argument parser) for nothing.
build_status=0
: >"$out/build.log"
for target in "${targets[@]}"; do
    zoo_run swift build --package-path fuzz --scratch-path .build-fuzz --product "$target" "${flags[@]}" \
        >>"$out/build.log" 2>&1 || { build_status=$?; break; }
done
grep -v "Cannot export local symbol" "$out/build.log" | tail -n 40 || true
[ "$build_status" = 0 ] || { echo "fuzz: build failed (exit $build_status)" >&2; exit 2; }
bin="$(swift build --package-path fuzz --scratch-path .build-fuzz -c release --show-bin-path)"
echo "fuzz: build took $(( $(date +%s) - start )) s"

# Swift's own crash backtracer would wait on a crashed fuzzer (and can hang it): libFuzzer and
# ASan report the crash themselves.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:handle_abort=1}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/zoo-fuzz.XXXXXX")"
[ -d /dev/shm ] && [ -w /dev/shm ] && ZOO_FUZZ_TMPDIR="$(mktemp -d /dev/shm/zoo-fuzz.XXXXXX)" || ZOO_FUZZ_TMPDIR="$scratch"
export ZOO_FUZZ_TMPDIR
trap 'rm -rf -- "$scratch" "$ZOO_FUZZ_TMPDIR"' EXIT

failed=()
for target in "${targets[@]}"; do
    seeds="$ZOO_ROOT/fuzz/corpus/$(corpus_of "$target")"
    work="$out/$target/corpus"
    artifacts="$out/$target/"
    mkdir -p "$work"
    dict=()
    [ -f "fuzz/dict/$(corpus_of "$target").dict" ] && dict=(-dict="fuzz/dict/$(corpus_of "$target").dict")
    log="$out/$target/fuzz.log"
    stamp="$out/$target/.started"  # reproducers of this run are newer than it
    touch "$stamp"
    echo "fuzz: $target for ${seconds} s (seeds $seeds, log $log)"
    status=0
    parallel=()  # -jobs makes libFuzzer write fuzz-N.log files into the current folder: only when asked
    [ "$jobs" -gt 1 ] && parallel=(-fork="$jobs")
    "$bin/$target" "$work" "$seeds" "${dict[@]}" "${parallel[@]}" -max_total_time="$seconds" -timeout=5 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -artifact_prefix="$artifacts" \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    stats="$(grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec' "$log" | awk '{printf "%s ", $2}' || true)"
    cov="$(grep -E '#[0-9]+.*(DONE|cov:)' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)"
    echo "fuzz: $target: exit $status; executions, exec/s: ${stats:-?} ${cov}"
    found=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -newer "$stamp" 2>/dev/null || true)
    if [ "$status" != 0 ] || [ -n "$found" ]; then
        failed+=("$target")
        grep -E 'ERROR:|SUMMARY:|Fatal error|invariant failed|deadly signal|Test unit written' "$log" | head -n 12 >&2 || true
        for f in $found; do
            echo "fuzz: reproducer $f  (replay: $bin/$target $f)" >&2
        done
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]} (logs and reproducers under $out)" >&2
    exit 1
fi
echo "fuzz: no findings in ${#targets[@]} targets"
