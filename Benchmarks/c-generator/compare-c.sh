#!/usr/bin/env bash
# Measures mprelayd against a minimal single-threaded C epoll relay with the loopback C load
# generator of the broker comparison (bench.c, relay_limit.c and their adapters), which is not
# part of mprelay: pass the folder that holds its sources.
#
#   Benchmarks/c-generator/compare-c.sh GENERATOR_SOURCE_DIR
#
# Copies the sources into a scratch folder, adds adapter_mprelay.c (mprelay's envelope protocol
# v1: HELLO, SEND, DELIVER) to the generator, builds it with make, builds mprelayd in release
# mode, starts both relays on loopback ports and runs, alternating between them, REPEAT times:
# 4 pairs x 64 B, 4 pairs x 4 KiB (ordered and loss-checked, 1 MiB window per pair) and a 64 B
# ping-pong. Prints the medians and mprelayd's ratio to the C relay.
#
# Environment knobs (defaults in brackets): REPEAT [3]  N [200000]  N_4K [100000]  RTTS [20000]
# BASE_PORT [17411]  SCRATCH [.build-bench]  KEEP [unset; set it to keep the logs]
# MPRELAYD [unset: build it; or a release mprelayd to measure as is]
# BASELINE_MPRELAYD [unset; another mprelayd binary measured in the same rounds, e.g. an earlier
# commit's, for a before/after within one run].
# Needs: gcc, make, libssl-dev (the generator's handshake uses libcrypto), swift (unless MPRELAYD
# is given).
set -euo pipefail

SOURCE=${1:?usage: $0 GENERATOR_SOURCE_DIR (the folder with bench.c, relay_limit.c, Makefile)}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/Benchmarks/c-generator
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
REPEAT=${REPEAT:-3}
N=${N:-200000}
N_4K=${N_4K:-100000}
RTTS=${RTTS:-20000}
BASE_PORT=${BASE_PORT:-17411}
C_PORT=$BASE_PORT
RELAY_PORT=$((BASE_PORT + 1))
AUTHKEY=bench

RUN=$(mktemp -d -t mprelay-compare-c.XXXXXX)
SCRIPT=compare-c.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"
# shellcheck source=Benchmarks/c-generator/generator.sh
. "$HERE/generator.sh"

build_generator "$SOURCE"
[ -n "${MPRELAYD:-}" ] || build_mprelayd "$SCRATCH"

./relay_limit -a 127.0.0.1 -p "$C_PORT" -k "$AUTHKEY" -L 1800 2>"$RUN/relay_limit.log" &
C_PID=$!
PIDS+=("$C_PID")
start_mprelayd "$MPRELAYD" "$RELAY_PORT" "$AUTHKEY" mprelayd
RELAY_PID=${PIDS[-1]}
TARGETS=("c:$C_PORT:relay:$C_PID" "mprelay:$RELAY_PORT:mprelay:$RELAY_PID")
if [ -n "${BASELINE_MPRELAYD:-}" ]; then
    start_mprelayd "$BASELINE_MPRELAYD" $((BASE_PORT + 2)) "$AUTHKEY" baseline
    TARGETS+=("baseline:$((BASE_PORT + 2)):mprelay:${PIDS[-1]}")
fi
sleep 1
kill -0 "$C_PID" || { cat "$RUN/relay_limit.log" >&2; exit 1; }
for pid in "${PIDS[@]}"; do
    kill -0 "$pid" || { tail -n 20 "$RUN"/*.log >&2; exit 1; }
done

: >"$RUN/results"
for run in $(seq "$REPEAT"); do
    for workload in "t64:-w throughput -s 64 -n $N" "t4k:-w throughput -s 4096 -n $N_4K" "lat:-w latency -r $RTTS"; do
        name=${workload%%:*}
        for target in "${TARGETS[@]}"; do
            IFS=: read -r label port adapter pid <<<"$target"
            note "run $run of $REPEAT: $name on $label"
            # shellcheck disable=SC2086 # the workload's options are words
            line=$(timeout 120 ./bench -a "$adapter" -p "$port" -k "$AUTHKEY" -S "$pid" ${workload#*:} 2>/dev/null | grep '^RESULT' || true)
            echo "$label $name ${line:-RESULT status=failed}" >>"$RUN/results"
        done
    done
done

python3 - "$RUN/results" "$HERE" <<'PY'
import sys

sys.path.insert(0, sys.argv[2])
from results import cell, damaged, load, median

runs = load(sys.argv[1])

rows = [
    ("msgs/s @64 B, 4 pairs", "t64", "msgs_s", 0, "higher"),
    ("MB/s @4 KiB, 4 pairs", "t4k", "MB_s", 0, "higher"),
    ("RTT p50 µs (64 B ping-pong)", "lat", "p50_us", 1, "lower"),
    ("RTT p99 µs", "lat", "p99_us", 1, "lower"),
    ("server CPU % @64 B", "t64", "srv_cpu_pct", 0, None),
    ("server CPU % @4 KiB", "t4k", "srv_cpu_pct", 0, None),
]
baseline = any(key[0] == "baseline" for key in runs)


def ratio(ours, theirs, better):
    return f"{ours / theirs:.2f}x" if better and ours and theirs else ""


extra = " BASELINE_MPRELAYD | baseline / C |" if baseline else ""
print(f"| metric (median) | mprelayd | C epoll relay | mprelayd / C |{extra}")
print("|---|---:|---:|---:|" + ("---:|---:|" if baseline else ""))
for label, workload, key, digits, better in rows:
    ours, theirs = median(runs, "mprelay", workload, key), median(runs, "c", workload, key)
    row = f"| {label} | {cell(ours, digits)} | {cell(theirs, digits)} | {ratio(ours, theirs, better)} |"
    if baseline:
        before = median(runs, "baseline", workload, key)
        row += f" {cell(before, digits)} | {ratio(before, theirs, better)} |"
    print(row)
print(f"| lost+missing+reordered+bad, all runs | {damaged(runs)} | | |" + (" | |" if baseline else ""))
PY
