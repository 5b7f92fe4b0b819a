#!/usr/bin/env bash
# A subject per mprelay node against a subject per peer, measured on plain NATS (the engine's
# side; mprelay's own code is the same either way) through three nats-servers clustered on
# 127.0.0.1, sender on the first server and receiver on the second, as across two nodes.
#
# Per node, a receiving connection holds 1 subscription and every message goes to that subject.
# Per peer, it holds one per peer registered on its node (1,000 and 10,000) and a sender spreads
# its messages over K of them round-robin (K: 1, 100, 10,000), as to K peers of that node:
# nats-server caches subject matches in caches of bounded size, so many distinct subjects may
# cost. First, on the fresh servers, what 1,000 and 10,000 subscriptions cost each of them
# (counts and memory, from the monitoring port). Then each layout's throughput (64 B and 4 KiB)
# and ping-pong latency, the layouts alternating round after round, and how long a fresh
# subscription takes to be routable from another server (what a subject per peer would add to
# a cross-node registration) against on one server. Prints tables (medians of the rounds) and
# stops every server by its PID, also on Ctrl-C.
#
# Environment knobs (defaults in brackets):
#   REPEAT [3]  N [200000]  RTTS [10000]  FRESH [1000]  BASE_PORT [17651]
#   SCRATCH [.build-bench]  KEEP [unset; set it to keep the logs and JSON]
#
# Needs: swift, python3, nats-server (apt-get install -y nats-server).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
REPEAT=${REPEAT:-3}
N=${N:-200000}
RTTS=${RTTS:-10000}
FRESH=${FRESH:-1000}
BASE_PORT=${BASE_PORT:-17651}
NATS_CLIENT=$BASE_PORT
NATS_ROUTE=$((BASE_PORT + 10))
NATS_MONITOR=$((BASE_PORT + 20))

command -v nats-server >/dev/null || { echo "nats-subjects.sh: nats-server not found (apt-get install -y nats-server)" >&2; exit 1; }

RUN=$(mktemp -d -t mprelay-nats-subjects.XXXXXX)
RESULTS=$RUN/results.jsonl
SCRIPT=nats-subjects.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"

build_release mprelay-bench
BENCH=$BIN/mprelay-bench
start_nats_cluster "$NATS_CLIENT" "$NATS_ROUTE" "$NATS_MONITOR"

SENDER=127.0.0.1:$NATS_CLIENT
RECEIVER=127.0.0.1:$((NATS_CLIENT + 1))
# Subscriptions held by the receiving connection, then subjects a sender spreads over.
layouts=("1 1" "1000 1" "1000 100" "10000 1" "10000 100" "10000 10000")

note "1,000 and 10,000 subscriptions on the receiver's server"
python3 "$ROOT/Benchmarks/nats_subsz.py" $((NATS_CLIENT + 1)) "$((NATS_MONITOR + 1)),$NATS_MONITOR,$((NATS_MONITOR + 2))" 1000 10000 >"$RUN/subsz.md"

for run in $(seq "$REPEAT"); do
    for size in 64 4096; do
        note "$size B, round $run of $REPEAT"
        for layout in "${layouts[@]}"; do
            read -r subs subjects <<<"$layout"
            bench "throughput $size $subs $subjects" 120 throughput --protocol nats --address "$SENDER" --receiver-address "$RECEIVER" \
                --pairs 1 --count "$N" --size "$size" --subscriptions "$subs" --subjects "$subjects"
            bench "latency $size $subs $subjects" 90 latency --protocol nats --address "$SENDER" --receiver-address "$RECEIVER" \
                --count "$RTTS" --size "$size" --subscriptions "$subs" --subjects "$subjects"
        done
    done
    note "$FRESH fresh subscriptions, round $run of $REPEAT"
    bench "interest across" 120 interest --address "$SENDER" --receiver-address "$RECEIVER" --count "$FRESH"
    bench "interest local" 120 interest --address "$RECEIVER" --count "$FRESH"
done

PYTHONPATH="$ROOT/Benchmarks" python3 - "$RESULTS" "$N" "$RTTS" "$FRESH" "${layouts[@]}" <<'PY'
import sys
from functools import partial

import medians

path, count, rtts, fresh = sys.argv[1:5]
layouts = [tuple(layout.split()) for layout in sys.argv[5:]]
runs = medians.load_runs(path)
cell = partial(medians.cell, runs)
rate = lambda v: f"{v:,.0f}"
micros = lambda v: f"{v:.1f}"

print(f"Medians of the rounds (min-max); throughput: 1 pair x {count} messages; latency: {rtts} round trips.")
print()
print("| subscriptions held | subjects sent to | 64 B msgs/s | vs per node | 4 KiB msgs/s | vs per node | RTT p50 us, 64 B | p99 | RTT p50 us, 4 KiB | p99 |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
base = {size: cell(f"throughput {size} 1 1", "msgs_per_sec", rate)[1] for size in (64, 4096)}
for subs, subjects in layouts:
    row = [f"{int(subs):,}", f"{int(subjects):,}"]
    for size in (64, 4096):
        text, value = cell(f"throughput {size} {subs} {subjects}", "msgs_per_sec", rate)
        row += [text, f"{value / base[size]:.2f}x" if value and base[size] else "-"]
    for size in (64, 4096):
        row += [cell(f"latency {size} {subs} {subjects}", key, micros)[0] for key in ("p50_us", "p99_us")]
    print("| " + " | ".join(row) + " |")
print()
print(f"| {fresh} fresh subscriptions, SUB to first delivery | p50 us | p90 us | p99 us | publishes per subject | publisher round trip p50 us |")
print("|---|---:|---:|---:|---:|---:|")
for tag, label in (("interest local", "publisher on the same server"), ("interest across", "publisher on another server")):
    keys = ("p50_us", "p90_us", "p99_us", "publishes_per_subject", "publisher_rtt_p50_us")
    print(f"| {label} | " + " | ".join(cell(tag, key, micros)[0] for key in keys) + " |")
PY

echo
cat "$RUN/subsz.md"
