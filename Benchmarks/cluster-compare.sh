#!/usr/bin/env bash
# Cross-node against same-node, and against plain NATS pub/sub through the same NATS cluster.
#
# Builds mprelay in release mode, starts three nats-servers with JetStream clustered on
# 127.0.0.1 and two mprelayd nodes of one mprelay cluster (node a on the first NATS server,
# node b on the second), then runs each workload on the three targets alternating, round after
# round: same-node (sender and receiver on node a), cross-node (sender on a, receiver on b),
# and plain NATS (publisher on the first server, subscriber on the second). Then the name
# registration cost: connect-to-WELCOME on node a against a single-node mprelayd. Prints one table
# of medians, then where the CPU went in the 4 KiB runs (seconds of each server process, user and
# system, per GB of payload delivered), and stops every server by its PID, also on Ctrl-C.
#
# Environment knobs (defaults in brackets):
#   REPEAT [3]  PAIRS [1]  N [200000]  RTTS [10000]  HANDSHAKE_SECONDS [5]  HANDSHAKE_THREADS [1]
#   BASE_PORT [17551]  SCRATCH [.build-bench]  KEEP [unset; set it to keep the logs and JSON]
#
# Needs: swift, python3, nats-server (apt-get install -y nats-server).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
REPEAT=${REPEAT:-3}
PAIRS=${PAIRS:-1}
N=${N:-200000}
RTTS=${RTTS:-10000}
HANDSHAKE_SECONDS=${HANDSHAKE_SECONDS:-5}
HANDSHAKE_THREADS=${HANDSHAKE_THREADS:-1}
BASE_PORT=${BASE_PORT:-17551}
NODE_A=$BASE_PORT
NODE_B=$((BASE_PORT + 1))
SINGLE=$((BASE_PORT + 2))
NATS_CLIENT=$((BASE_PORT + 10))
NATS_ROUTE=$((BASE_PORT + 20))

command -v nats-server >/dev/null || { echo "cluster-compare.sh: nats-server not found (apt-get install -y nats-server)" >&2; exit 1; }

RUN=$(mktemp -d -t mprelay-cluster-compare.XXXXXX)
RESULTS=$RUN/results.jsonl
SCRIPT=cluster-compare.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"

build_release mprelayd mprelay-bench
BENCH=$BIN/mprelay-bench
make_authkey

start_nats_cluster "$NATS_CLIENT" "$NATS_ROUTE"

# Node a lists the first NATS server first, node b the second: each node publishes through its own.
node_config() {
    local node=$1 port=$2 first=${3:-} second=${4:-}
    cat <<EOF
[broker]
log_level = "warning"

[control]
enabled = false

[[endpoint]]
address = "127.0.0.1:$port"
authkey_file = "$RUN/authkey"
EOF
    if [ -n "$node" ]; then
        cat <<EOF

[cluster]
node = "$node"
name = "bench"
nats = ["nats://127.0.0.1:$first", "nats://127.0.0.1:$second", "nats://127.0.0.1:$((NATS_CLIENT + 2))"]
EOF
    fi
}
node_config a "$NODE_A" "$NATS_CLIENT" $((NATS_CLIENT + 1)) >"$RUN/a.toml"
node_config b "$NODE_B" $((NATS_CLIENT + 1)) "$NATS_CLIENT" >"$RUN/b.toml"
node_config "" "$SINGLE" >"$RUN/single.toml"
declare -A pid
for node in a b single; do
    "$BIN/mprelayd" --config "$RUN/$node.toml" >"$RUN/$node.log" 2>&1 &
    pid[$node]=$!
    PIDS+=("$!")
done
# A node listens once it has joined the cluster; JetStream may take seconds to elect its leaders.
for node in a b; do
    port=$NODE_A
    [ "$node" = b ] && port=$NODE_B
    for _ in $(seq 30); do wait_port "$port" "${pid[$node]}" && break; done
    wait_port "$port" "${pid[$node]}" || { cat "$RUN/$node.log" >&2; exit 1; }
done
wait_port "$SINGLE" "${pid[single]}" || { cat "$RUN/single.log" >&2; exit 1; }
declare -A CPU_PIDS=([nats-0]=${NATS_PIDS[0]} [nats-1]=${NATS_PIDS[1]} [nats-2]=${NATS_PIDS[2]} [node-a]=${pid[a]} [node-b]=${pid[b]})

declare -A target=(
    ["same-node"]="--address 127.0.0.1:$NODE_A"
    ["cross-node"]="--address 127.0.0.1:$NODE_A --receiver-address 127.0.0.1:$NODE_B"
    ["nats"]="--protocol nats --address 127.0.0.1:$NATS_CLIENT --receiver-address 127.0.0.1:$((NATS_CLIENT + 1))"
)
order=("same-node" "cross-node" "nats")

for run in $(seq "$REPEAT"); do
    for size in 64 4096; do
        note "throughput $size B, round $run of $REPEAT"
        for name in "${order[@]}"; do
            # shellcheck disable=SC2086 # the target's options are words
            bench_with_cpu "$name throughput $size" 120 throughput ${target[$name]} --pairs "$PAIRS" --count "$N" --size "$size"
        done
    done
    note "latency, round $run of $REPEAT"
    for name in "${order[@]}"; do
        # shellcheck disable=SC2086
        bench "$name latency" 90 latency ${target[$name]} --count "$RTTS"
    done
    note "registrations for $HANDSHAKE_SECONDS s, $HANDSHAKE_THREADS client(s), round $run of $REPEAT"
    bench "cluster handshakes" 60 handshakes --address "127.0.0.1:$NODE_A" --duration "$HANDSHAKE_SECONDS" --threads "$HANDSHAKE_THREADS"
    bench "single handshakes" 60 handshakes --address "127.0.0.1:$SINGLE" --duration "$HANDSHAKE_SECONDS" --threads "$HANDSHAKE_THREADS"
done

PYTHONPATH="$ROOT/Benchmarks" python3 - "$RESULTS" "$PAIRS" "$N" "$RTTS" <<'PY'
import statistics
import sys
from functools import partial

import medians

path, pairs, count, rtts = sys.argv[1:5]
runs = medians.load_runs(path)
cell = partial(medians.cell, runs)

rows = [
    (f"64 B msgs/s, {pairs} pair x {count}", "throughput 64", "msgs_per_sec", lambda v: f"{v:,.0f}"),
    ("64 B MB/s", "throughput 64", "mb_per_sec", lambda v: f"{v:.1f}"),
    ("4 KiB msgs/s", "throughput 4096", "msgs_per_sec", lambda v: f"{v:,.0f}"),
    ("4 KiB MB/s", "throughput 4096", "mb_per_sec", lambda v: f"{v:.1f}"),
    (f"RTT p50 us, {rtts} round trips of 64 B", "latency", "p50_us", lambda v: f"{v:.1f}"),
    ("RTT p99 us", "latency", "p99_us", lambda v: f"{v:.1f}"),
]
print("Medians of the rounds (min-max); the last column is cross-node / plain NATS (for RTT: the difference).")
print()
print("| workload | same-node | cross-node | plain NATS | cross-node vs NATS |")
print("|---|---:|---:|---:|---:|")
for label, workload, key, fmt in rows:
    cells = {name: cell(f"{name} {workload}", key, fmt) for name in ("same-node", "cross-node", "nats")}
    x, y = cells["cross-node"][1], cells["nats"][1]
    versus = "-" if not (x and y) else (f"+{x - y:.1f} us" if key.endswith("_us") else f"{x / y:.2f}x")
    print(f"| {label} | {cells['same-node'][0]} | {cells['cross-node'][0]} | {cells['nats'][0]} | {versus} |")
print()
print("| registration (connect to WELCOME) | single node | cluster node |")
print("|---|---:|---:|")
for label, key in (("p50 us", "p50_us"), ("p99 us", "p99_us"), ("per second", "handshakes_per_sec")):
    fmt = (lambda v: f"{v:,.0f}") if key == "handshakes_per_sec" else (lambda v: f"{v:.0f}")
    print(f"| {label} | {cell('single handshakes', key, fmt)[0]} | {cell('cluster handshakes', key, fmt)[0]} |")
print()
print("CPU seconds per GB of 4 KiB payload delivered, user + system (medians of the rounds; the bench's")
print("clients from their own count):")
print()
print("| process | cross-node | plain NATS |")
print("|---|---:|---:|")
def per_gb(name, process):
    values = []
    for usage, result in zip(runs.get(f"{name} throughput 4096 cpu", []), runs.get(f"{name} throughput 4096", [])):
        if not (result and result.get("status") == "ok"):
            continue
        gigabytes = result["delivered"] * result["size"] / 1e9
        if process == "bench clients":
            values.append((result["client_cpu_percent"] * result["seconds"] / 100 / gigabytes, 0.0))
        else:
            spent = usage["processes"][process]
            values.append((spent["user"] / gigabytes, spent["system"] / gigabytes))
    if not values:
        return "-", 0.0
    user, system = statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)
    return (f"{user + system:.2f} ({user:.2f} + {system:.2f})" if process != "bench clients" else f"{user:.2f}"), user + system
totals = {"cross-node": 0.0, "nats": 0.0}
for process in ("nats-0", "nats-1", "nats-2", "node-a", "node-b", "bench clients"):
    cells = {}
    for name in totals:
        cells[name], value = per_gb(name, process)
        totals[name] += value
    print(f"| {process} | {cells['cross-node']} | {cells['nats']} |")
print(f"| total | {totals['cross-node']:.2f} | {totals['nats']:.2f} |")
PY
