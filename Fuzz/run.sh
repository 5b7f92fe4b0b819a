#!/usr/bin/env bash
# Builds the libFuzzer targets (AddressSanitizer on) and runs each one for SECONDS.
#
#   Fuzz/run.sh SECONDS [TARGET...]      targets: frames handshake envelope config nats cluster (default: all)
#
# Each target starts from its seeds in Fuzz/Corpus/<target> and keeps what it learns in
# fuzz-corpus/<target> (git-ignored), so later runs go on where earlier ones stopped. A crash or a
# broken invariant fails the run; the input is saved under fuzz-corpus/crashes/<target>/ and
# printed in hex. Reproduce one with: .build-fuzz/<configuration>/fuzz-<target> <file> (for
# fuzz-config, from fuzz-corpus/config-cwd).
#
# FUZZ_CONFIGURATION=debug|release (default release) and FUZZ_SCRATCH (default .build-fuzz)
# choose the build; SWIFT picks the toolchain's swift.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:?usage: Fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frames handshake envelope config nats cluster)
swift=${SWIFT:-swift}
configuration=${FUZZ_CONFIGURATION:-release}
scratch=${FUZZ_SCRATCH:-.build-fuzz}
work=fuzz-corpus

# Swift code gets libFuzzer's coverage and ASan. swift-crypto's C (BoringSSL, fuzzed upstream) is
# left as it is.
build=("$swift" build --package-path Fuzz --scratch-path "$scratch" -c "$configuration"
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -g)
mkdir -p "$scratch"
started=$(date +%s)
for target in "${targets[@]}"; do
    [ -d "Fuzz/Sources/fuzz-$target" ] || { echo "Fuzz/run.sh: no target named $target" >&2; exit 2; }
    # One product at a time: a plain `swift build` here would also build every executable of
    # the root package and of its dependencies.
    # gold warns once per ASan helper symbol on every link; those lines are dropped.
    if ! "${build[@]}" --product "fuzz-$target" >"$scratch/fuzz-build.log" 2>&1; then
        grep -v "Cannot export local symbol" "$scratch/fuzz-build.log" | tail -60
        echo "Fuzz/run.sh: building fuzz-$target failed" >&2
        exit 1
    fi
    grep -v "Cannot export local symbol" "$scratch/fuzz-build.log" | grep -E "warning:|complete" || true
done
bin=$("${build[@]}" --show-bin-path)
echo "fuzz build ($configuration, $scratch): $(( $(date +%s) - started )) s"

# fuzz-config resolves relative key file names here, and finds one named authkey.
mkdir -p "$work/config-cwd"
printf 'fuzz key\n' > "$work/config-cwd/authkey"
chmod 600 "$work/config-cwd/authkey"

failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="$root/$work/$target"
    crashes="$root/$work/crashes/$target"
    log="$root/$work/$target.log"
    mkdir -p "$corpus" "$crashes"
    options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=2048
        -artifact_prefix="$crashes/")
    [ -f "Fuzz/$target.dict" ] && options+=(-dict="$root/Fuzz/$target.dict")
    directory=$root
    [ "$target" = config ] && directory="$root/$work/config-cwd"
    echo "fuzz-$target: running for $seconds s (log: $work/$target.log)"
    status=0
    # Swift's own backtracer would race libFuzzer's crash handler; hashing is made deterministic
    # so that a saved input replays the same way.
    (cd "$directory" && SWIFT_BACKTRACE=enable=no SWIFT_DETERMINISTIC_HASHING=1 \
        "$bin/fuzz-$target" "${options[@]}" "$corpus" "$root/Fuzz/Corpus/$target") >"$log" 2>&1 || status=$?
    executions=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        summary+=("fuzz-$target: FAILED (exit $status) after ${executions:-?} executions")
        echo "---- fuzz-$target failed; the end of its log:"
        grep -v '^#[0-9]' "$log" | tail -60
        for artifact in $(grep -o "Test unit written to [^ ]*" "$log" | awk '{ print $5 }'); do
            echo "---- input saved as ${artifact#"$root/"}, in hex:"
            od -An -v -tx1 "$artifact" | tr -d ' \n' | fold -w 128
            echo
        done
    else
        summary+=("fuzz-$target: ${executions:-?} executions in $seconds s, no crash ($(ls "$corpus" | wc -l) inputs in $work/$target)")
    fi
done

printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]}" >&2
    exit 1
fi
