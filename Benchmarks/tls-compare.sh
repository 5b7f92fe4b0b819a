#!/usr/bin/env bash
# TLS against plain TCP, through mprelayd and through nats-server, on the same certificates.
#
# Builds mprelay in release mode, makes test certificates (Tests/fixtures/make-test-certificates.sh:
# ECDSA P-256, CN=localhost), starts one mprelayd with a plain and a TLS endpoint and two
# nats-servers (plain, and with a tls block on the same certificate), runs each workload on the
# four targets alternating, round after round, prints one table of medians, and stops every server
# by its PID, also on Ctrl-C.
#
# Environment knobs (defaults in brackets):
#   REPEAT [3]  PAIRS [1]  N [100000]  RTTS [10000]  HANDSHAKE_SECONDS [5]  HANDSHAKE_THREADS [8]
#   BASE_PORT [17451]  SCRATCH [.build-bench]  KEEP [unset; set it to keep the logs and JSON]
#
# Needs: swift, python3, openssl, nats-server (apt-get install -y nats-server openssl).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
REPEAT=${REPEAT:-3}
PAIRS=${PAIRS:-1}
N=${N:-100000}
RTTS=${RTTS:-10000}
HANDSHAKE_SECONDS=${HANDSHAKE_SECONDS:-5}
HANDSHAKE_THREADS=${HANDSHAKE_THREADS:-8}
BASE_PORT=${BASE_PORT:-17451}
PLAIN_PORT=$BASE_PORT
TLS_PORT=$((BASE_PORT + 1))
NATS_PORT=$((BASE_PORT + 2))
NATS_TLS_PORT=$((BASE_PORT + 3))

for tool in nats-server openssl python3; do
    command -v "$tool" >/dev/null || { echo "tls-compare.sh: $tool not found (apt-get install -y $tool)" >&2; exit 1; }
done

RUN=$(mktemp -d -t mprelay-tls-compare.XXXXXX)
RESULTS=$RUN/results.jsonl
SCRIPT=tls-compare.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"

build_release mprelayd mprelay-bench
BENCH=$BIN/mprelay-bench
make_authkey
"$ROOT/Tests/fixtures/make-test-certificates.sh" "$RUN/certs"
CA=$RUN/certs/ca.pem

cat >"$RUN/relay.toml" <<EOF
[broker]
log_level = "warning"

[control]
enabled = false

[[endpoint]]
address = "127.0.0.1:$PLAIN_PORT"
authkey_file = "$RUN/authkey"

[[endpoint]]
address = "127.0.0.1:$TLS_PORT"
authkey_file = "$RUN/authkey"
tls_cert_file = "$RUN/certs/server.pem"
tls_key_file = "$RUN/certs/server.key"
EOF
printf 'listen: 127.0.0.1:%s\n' "$NATS_PORT" >"$RUN/nats.conf"
cat >"$RUN/nats-tls.conf" <<EOF
listen: 127.0.0.1:$NATS_TLS_PORT
tls {
  cert_file: "$RUN/certs/server.pem"
  key_file: "$RUN/certs/server.key"
  ca_file: "$CA"
}
EOF

"$BIN/mprelayd" --config "$RUN/relay.toml" >"$RUN/mprelayd.log" 2>&1 &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
nats-server -c "$RUN/nats.conf" >"$RUN/nats.log" 2>&1 &
NATS_PID=$!
PIDS+=("$NATS_PID")
nats-server -c "$RUN/nats-tls.conf" >"$RUN/nats-tls.log" 2>&1 &
NATS_TLS_PID=$!
PIDS+=("$NATS_TLS_PID")
wait_port "$PLAIN_PORT" "$RELAY_PID" || { cat "$RUN/mprelayd.log" >&2; exit 1; }
wait_port "$TLS_PORT" "$RELAY_PID" || { cat "$RUN/mprelayd.log" >&2; exit 1; }
wait_port "$NATS_PORT" "$NATS_PID" || { cat "$RUN/nats.log" >&2; exit 1; }
wait_port "$NATS_TLS_PORT" "$NATS_TLS_PID" || { cat "$RUN/nats-tls.log" >&2; exit 1; }

tls=(--tls --tls-ca "$CA" --tls-server-name localhost)
declare -A target=(
    ["mprelay plain"]="--address 127.0.0.1:$PLAIN_PORT --pid $RELAY_PID"
    ["mprelay TLS"]="--address 127.0.0.1:$TLS_PORT --pid $RELAY_PID ${tls[*]}"
    ["nats plain"]="--protocol nats --address 127.0.0.1:$NATS_PORT --pid $NATS_PID"
    ["nats TLS"]="--protocol nats --address 127.0.0.1:$NATS_TLS_PORT --pid $NATS_TLS_PID ${tls[*]}"
)
order=("mprelay plain" "mprelay TLS" "nats plain" "nats TLS")

for run in $(seq "$REPEAT"); do
    for size in 64 4096; do
        note "throughput $size B, round $run of $REPEAT"
        for name in "${order[@]}"; do
            # shellcheck disable=SC2086 # the target's options are words
            bench "$name throughput $size" 90 throughput ${target[$name]} --pairs "$PAIRS" --count "$N" --size "$size"
        done
    done
    note "latency, round $run of $REPEAT"
    for name in "${order[@]}"; do
        # shellcheck disable=SC2086
        bench "$name latency" 90 latency ${target[$name]} --count "$RTTS"
    done
    note "handshakes for $HANDSHAKE_SECONDS s, $HANDSHAKE_THREADS clients, round $run of $REPEAT"
    for name in "mprelay plain" "mprelay TLS"; do
        # shellcheck disable=SC2086
        bench "$name handshakes" 60 handshakes ${target[$name]} --duration "$HANDSHAKE_SECONDS" --threads "$HANDSHAKE_THREADS"
    done
done

PYTHONPATH="$ROOT/Benchmarks" python3 - "$RESULTS" "$PAIRS" "$N" "$RTTS" <<'PY'
import sys
from functools import partial

import medians

path, pairs, count, rtts = sys.argv[1:5]
runs = medians.load_runs(path)
cell = partial(medians.cell, runs)

rows = [
    (f"64 B msgs/s, {pairs} pair x {count}", "throughput 64", "msgs_per_sec", lambda v: f"{v:,.0f}"),
    ("4 KiB MB/s", "throughput 4096", "mb_per_sec", lambda v: f"{v:.1f}"),
    ("server CPU % at 4 KiB", "throughput 4096", "server_cpu_percent", lambda v: f"{v:.0f}"),
    ("server CPU s per GB at 4 KiB", "throughput 4096", "server_cpu_s_per_gb", lambda v: f"{v:.2f}"),
    ("clients' CPU s per GB at 4 KiB", "throughput 4096", "client_cpu_s_per_gb", lambda v: f"{v:.2f}"),
    (f"RTT p50 us, {rtts} round trips", "latency", "p50_us", lambda v: f"{v:.1f}"),
    ("RTT p99 us", "latency", "p99_us", lambda v: f"{v:.1f}"),
    ("handshakes/s (connect to WELCOME)", "handshakes", "handshakes_per_sec", lambda v: f"{v:,.0f}"),
    ("server CPU us per handshake", "handshakes", "server_cpu_us_per_handshake", lambda v: f"{v:.0f}"),
]
# What the daemon spends on one handshake, whatever the clients beside it on the same cores cost;
# and what the server and the clients spend per GB of payload delivered: on two shared cores, the
# sum of the two is what bounds the rate.
for tag, results in runs.items():
    for r in results:
        if r and tag.endswith("throughput 4096") and r.get("delivered"):
            gigabytes = r["delivered"] * r["size"] / 1e9
            for side in ("server", "client"):
                if f"{side}_cpu_percent" in r:
                    r[f"{side}_cpu_s_per_gb"] = r[f"{side}_cpu_percent"] / 100 * r["seconds"] / gigabytes
        if r and tag.endswith("handshakes") and "server_cpu_percent" in r and r.get("connections"):
            r["server_cpu_us_per_handshake"] = r["server_cpu_percent"] / 100 * r["seconds"] / r["connections"] * 1e6
print("Medians of the rounds (min-max); TLS / plain is the ratio of the medians.")
print()
print("| workload | mprelayd plain | mprelayd TLS | TLS / plain | nats-server plain | nats-server TLS | mprelayd TLS / nats TLS |")
print("|---|---:|---:|---:|---:|---:|---:|")
for label, workload, key, fmt in rows:
    cells = {name: cell(f"{name} {workload}", key, fmt) for name in ("mprelay plain", "mprelay TLS", "nats plain", "nats TLS")}
    def ratio(a, b):
        x, y = cells[a][1], cells[b][1]
        return f"{x / y:.2f}x" if x and y else "-"
    print(f"| {label} | {cells['mprelay plain'][0]} | {cells['mprelay TLS'][0]} | {ratio('mprelay TLS', 'mprelay plain')} "
          f"| {cells['nats plain'][0]} | {cells['nats TLS'][0]} | {ratio('mprelay TLS', 'nats TLS')} |")
PY
