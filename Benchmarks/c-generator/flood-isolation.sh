#!/usr/bin/env bash
# Measures isolation under a flood: a 64 B ping-pong pair's latency alone, then while two other
# pairs flood 4 KiB messages through the same relay, for mprelayd, the single-threaded C epoll
# relay of the broker comparison (relay_limit) and nats-server, with the comparison's loopback C
# load generator, which is not part of mprelay: pass the folder that holds its sources.
#
#   Benchmarks/c-generator/flood-isolation.sh GENERATOR_SOURCE_DIR
#
# Each of REPEAT rounds runs, on every relay in turn: `bench -w latency -r RTTS` alone, then
# `bench -w throughput -P 2 -n FLOOD_N -s 4096` with the same latency run started beside it once
# the flood is under way. Prints the medians of the latency percentiles, quiet and under flood,
# the flood's own throughput, and mprelayd's p99 under flood against the C relay's.
#
# Environment knobs (defaults in brackets): REPEAT [3]  RTTS [20000]  FLOOD_N [3000000]
# BASE_PORT [17421]  SCRATCH [.build-bench]  KEEP [unset; set it to keep the logs]
# MPRELAYD [unset: build it; or a release mprelayd to measure as is]
# BASELINE_MPRELAYD [unset; another mprelayd binary to measure in the same rounds, e.g. an
# earlier commit's].
# Needs: gcc, make, libssl-dev, nats-server, swift (unless MPRELAYD is given).
set -euo pipefail

SOURCE=${1:?usage: $0 GENERATOR_SOURCE_DIR (the folder with bench.c, relay_limit.c, Makefile)}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/Benchmarks/c-generator
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
REPEAT=${REPEAT:-3}
RTTS=${RTTS:-20000}
FLOOD_N=${FLOOD_N:-3000000}
BASE_PORT=${BASE_PORT:-17421}
AUTHKEY=bench

command -v nats-server >/dev/null || { echo "flood-isolation.sh: nats-server is not installed" >&2; exit 1; }
RUN=$(mktemp -d -t mprelay-flood.XXXXXX)
SCRIPT=flood-isolation.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"
# shellcheck source=Benchmarks/c-generator/generator.sh
. "$HERE/generator.sh"

build_generator "$SOURCE"
[ -n "${MPRELAYD:-}" ] || build_mprelayd "$SCRATCH"

# label:port:adapter:pid for every relay measured.
TARGETS=()
start_mprelayd "$MPRELAYD" "$BASE_PORT" "$AUTHKEY" mprelayd
TARGETS+=("mprelayd:$BASE_PORT:mprelay:${PIDS[-1]}")
./relay_limit -a 127.0.0.1 -p $((BASE_PORT + 1)) -k "$AUTHKEY" -L 3600 2>"$RUN/relay_limit.log" &
PIDS+=("$!")
TARGETS+=("c:$((BASE_PORT + 1)):relay:$!")
printf 'listen: 127.0.0.1:%s\n' $((BASE_PORT + 2)) >"$RUN/nats.conf"
nats-server -c "$RUN/nats.conf" >"$RUN/nats.log" 2>&1 &
PIDS+=("$!")
TARGETS+=("nats:$((BASE_PORT + 2)):nats:$!")
if [ -n "${BASELINE_MPRELAYD:-}" ]; then
    start_mprelayd "$BASELINE_MPRELAYD" $((BASE_PORT + 3)) "$AUTHKEY" baseline
    TARGETS+=("baseline:$((BASE_PORT + 3)):mprelay:${PIDS[-1]}")
fi
sleep 1
for pid in "${PIDS[@]}"; do
    kill -0 "$pid" || { tail -n 20 "$RUN"/*.log >&2; exit 1; }
done

# Runs the generator with the words given, against $port with $adapter, and prints its RESULT
# line (or a failed one).
bench_result() {
    local line
    line=$(timeout 300 ./bench -a "$adapter" -p "$port" -k "$AUTHKEY" -S "$pid" "$@" 2>>"$RUN/bench.log" | grep '^RESULT' || true)
    echo "${line:-RESULT status=failed}"
}

: >"$RUN/results"
for round in $(seq "$REPEAT"); do
    for target in "${TARGETS[@]}"; do
        IFS=: read -r label port adapter pid <<<"$target"
        note "round $round of $REPEAT: $label"
        echo "$label quiet $(bench_result -w latency -r "$RTTS")" >>"$RUN/results"
        bench_result -w throughput -P 2 -n "$FLOOD_N" -s 4096 -D 120 >"$RUN/flood.out" &
        flood=$!
        sleep 1
        echo "$label flooded $(bench_result -w latency -r "$RTTS")" >>"$RUN/results"
        wait "$flood" || true
        echo "$label flood $(cat "$RUN/flood.out")" >>"$RUN/results"
    done
done

python3 - "$RUN/results" "$HERE" <<'PY'
import sys

sys.path.insert(0, sys.argv[2])
from results import cell, damaged, load, median

runs = load(sys.argv[1])
names = {"mprelayd": "mprelayd", "baseline": "mprelayd (BASELINE_MPRELAYD)",
         "c": "C epoll relay (relay_limit)", "nats": "nats-server"}
print("| relay (median) | p50 quiet µs | p99 quiet µs | p50 under flood µs | p99 under flood µs | flood msgs/s | flood MB/s |")
print("|---|---:|---:|---:|---:|---:|---:|")
for label in [l for l in names if any(key[0] == l for key in runs)]:
    print(f"| {names[label]} | {cell(median(runs, label, 'quiet', 'p50_us'))} | {cell(median(runs, label, 'quiet', 'p99_us'))}"
          f" | {cell(median(runs, label, 'flooded', 'p50_us'))} | {cell(median(runs, label, 'flooded', 'p99_us'))}"
          f" | {cell(median(runs, label, 'flood', 'msgs_s'), 0)} | {cell(median(runs, label, 'flood', 'MB_s'), 0)} |")
ours, theirs = median(runs, "mprelayd", "flooded", "p99_us"), median(runs, "c", "flooded", "p99_us")
if ours and theirs:
    print(f"\nmprelayd's p99 under flood / the C relay's: {ours / theirs:.2f}x")
failed = sum(r.get("status") != "ok" for results in runs.values() for r in results)
print(f"lost+missing+reordered+bad, all runs: {damaged(runs)}; runs that failed: {failed}")
PY
