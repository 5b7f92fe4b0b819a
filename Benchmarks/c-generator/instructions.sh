#!/usr/bin/env bash
# Counts the user-space instructions mprelayd spends per relayed message, to compare builds on a
# machine whose load moves wall-clock figures by more than the difference being looked for: the
# instruction count of the same work moves by about 0.2% from run to run, whatever else runs.
# Each binary runs under callgrind (this machine's virtual CPU exposes no hardware counters to
# `perf stat`), fed by the broker comparison's C load generator (as in compare-c.sh): a warm-up,
# the counters zeroed, one measured run, the counters dumped. Kernel work (the socket calls) is
# not counted: read it beside the wall-clock runs, not instead of them.
#
#   Benchmarks/c-generator/instructions.sh GENERATOR_SOURCE_DIR MPRELAYD [MPRELAYD...]
#
# For each release binary in turn, REPEAT times: one pair x 64 B (N messages) and one pair x
# 4 KiB (N_4K messages). Prints the median instructions per message of each binary.
#
# Environment knobs (defaults in brackets): REPEAT [3]  N [200000]  N_4K [50000]
# BASE_PORT [17431]  KEEP [unset; set it to keep the logs and callgrind files]
# Needs: valgrind, gcc, make, libssl-dev (the generator's handshake uses libcrypto).
set -euo pipefail

SOURCE=${1:?usage: $0 GENERATOR_SOURCE_DIR MPRELAYD [MPRELAYD...]}
shift
[ $# -gt 0 ] || { echo "usage: $0 GENERATOR_SOURCE_DIR MPRELAYD [MPRELAYD...]" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REPEAT=${REPEAT:-3}
N=${N:-200000}
N_4K=${N_4K:-50000}
BASE_PORT=${BASE_PORT:-17431}
AUTHKEY=bench

RUN=$(mktemp -d -t mprelay-instructions.XXXXXX)
SCRIPT=instructions.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"
# shellcheck source=Benchmarks/c-generator/generator.sh
. "$ROOT/Benchmarks/c-generator/generator.sh"

for tool in valgrind callgrind_control strip; do
    command -v "$tool" >/dev/null || { echo "$SCRIPT: $tool is missing (apt-get install valgrind binutils)" >&2; exit 1; }
done
binaries=()
for binary in "$@"; do
    [ -x "$binary" ] || { echo "$SCRIPT: $binary is not an executable" >&2; exit 1; }
    binaries+=("$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")")
done
build_generator "$SOURCE"

# Runs binary $1 (index $2) under callgrind for one workload of $4 messages of $3 bytes and
# appends "INDEX SIZE INSTRUCTIONS_PER_MESSAGE" to the results.
measure() {
    local binary=$1 index=$2 size=$3 count=$4 port=$((BASE_PORT + $2)) pid dump
    # valgrind 3.19 cannot read the DWARF 5 of Swift's toolchain: count on a copy without it.
    strip --strip-debug -o "$RUN/mprelayd-$index" "$binary"
    printf '[broker]\nlog_level = "warning"\n\n[[endpoint]]\naddress = "127.0.0.1:%s"\nauthkey = "%s"\n\n[control]\nenabled = false\n' \
        "$port" "$AUTHKEY" >"$RUN/$index.toml"
    rm -f "$RUN/callgrind.$index".*
    valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$RUN/callgrind.$index.%p" \
        "$RUN/mprelayd-$index" --config "$RUN/$index.toml" 2>"$RUN/valgrind-$index.log" &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    ./bench -a mprelay -p "$port" -k "$AUTHKEY" -P 1 -n 20000 -s "$size" -D 300 -I 60 >/dev/null 2>&1 \
        || { tail -5 "$RUN/valgrind-$index.log" >&2; exit 1; }
    callgrind_control -z "$pid" >/dev/null 2>&1
    ./bench -a mprelay -p "$port" -k "$AUTHKEY" -P 1 -n "$count" -s "$size" -D 600 -I 60 2>/dev/null | grep -q 'status=ok' \
        || { echo "$SCRIPT: the measured run on $binary failed" >&2; exit 1; }
    callgrind_control -d "$pid" >/dev/null 2>&1
    for _ in $(seq 100); do dump=$(ls "$RUN/callgrind.$index".*.[0-9]* 2>/dev/null | head -1); [ -n "$dump" ] && break; sleep 0.1; done
    echo "$index $size $(awk -v n="$count" '/^summary:/ { printf "%.0f", $2 / n }' "$dump")" >>"$RUN/results"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    PIDS=()
}

: >"$RUN/results"
for run in $(seq "$REPEAT"); do
    for index in "${!binaries[@]}"; do
        note "run $run of $REPEAT: ${binaries[$index]}"
        measure "${binaries[$index]}" "$index" 64 "$N"
        measure "${binaries[$index]}" "$index" 4096 "$N_4K"
    done
done

python3 - "$RUN/results" "${binaries[@]}" <<'PY'
import statistics
import sys

runs = {}
for line in open(sys.argv[1]):
    index, size, count = line.split()
    runs.setdefault((int(index), int(size)), []).append(int(count))
print("| mprelayd (median) | instructions per message @64 B | @4 KiB |")
print("|---|---:|---:|")
for index, binary in enumerate(sys.argv[2:]):
    cells = [f"{statistics.median(runs[(index, size)]):,.0f}" for size in (64, 4096)]
    print(f"| {binary} | {cells[0]} | {cells[1]} |")
PY
