#!/usr/bin/env bash
# Compares mprelayd with nats-server on this machine, with the same mprelay-bench workloads.
#
# Builds mprelay in release mode, starts mprelayd (twice: the main instance, and one with a small
# receiver queue bound for the fan-in) and nats-server on loopback ports, runs the workloads,
# prints one table, and stops every server by its PID, also on Ctrl-C. Every step is bounded:
# each run has its own deadline inside mprelay-bench and a `timeout` around it. About 3 minutes
# on a 2-core machine once the build is done.
#
# Environment knobs (defaults in brackets):
#   REPEAT [3]      throughput runs per size and server; the table shows the median
#   PAIRS [4]  N [200000]  RTTS [20000]  IDLE [10000]  HANDSHAKE_SECONDS [5]  HANDSHAKE_THREADS [8]
#   FANIN_SENDERS [64]  FANIN_COUNT [5000]
#   BASE_PORT [17401]  SCRATCH [.build-bench]  KEEP [unset; set it to keep the logs and JSON]
#
# Needs: swift, python3, nats-server (apt-get install -y nats-server).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
REPEAT=${REPEAT:-3}
PAIRS=${PAIRS:-4}
N=${N:-200000}
RTTS=${RTTS:-20000}
IDLE=${IDLE:-10000}
HANDSHAKE_SECONDS=${HANDSHAKE_SECONDS:-5}
# Each handshake is five round trips: two blocking clients would measure their latency, not the
# daemon's capacity.
HANDSHAKE_THREADS=${HANDSHAKE_THREADS:-8}
FANIN_SENDERS=${FANIN_SENDERS:-64}
FANIN_COUNT=${FANIN_COUNT:-5000}
BASE_PORT=${BASE_PORT:-17401}
RELAY_PORT=$BASE_PORT
FANIN_PORT=$((BASE_PORT + 1))
NATS_PORT=$((BASE_PORT + 2))

command -v nats-server >/dev/null || { echo "compare.sh: nats-server not found: apt-get install -y nats-server" >&2; exit 1; }
command -v python3 >/dev/null || { echo "compare.sh: python3 not found" >&2; exit 1; }

RUN=$(mktemp -d -t mprelay-compare.XXXXXX)
RESULTS=$RUN/results.jsonl
SCRIPT=compare.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"

# 10,000 idle peers need 10,000 descriptors in the daemon and as many in the benchmark.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((IDLE + 200)) ]; then
    IDLE=$((hard - 200))
    note "the descriptor hard limit is $hard: measuring $IDLE idle peers instead"
fi
ulimit -n "$([ "$hard" = unlimited ] && echo $((IDLE + 200)) || echo "$hard")"

build_release mprelayd mprelay-bench
BENCH=$BIN/mprelay-bench

make_authkey

cat >"$RUN/relay.toml" <<EOF
[broker]
log_level = "warning"
max_connections = $((IDLE + 2000))

[[endpoint]]
address = "127.0.0.1:$RELAY_PORT"
authkey_file = "$RUN/authkey"
EOF
# The fan-in instance: the smallest queue bound per receiver (64 KiB, about 700 frames of 64 B),
# so 64 senders certainly reach it.
cat >"$RUN/fanin.toml" <<EOF
[broker]
log_level = "warning"
max_message_bytes = 4096
max_outbound_bytes = 65536

[[endpoint]]
address = "127.0.0.1:$FANIN_PORT"
authkey_file = "$RUN/authkey"
EOF
# No control socket: two daemons would contend for the default path. A daemon without the
# [control] table (older builds) is given the configurations without it.
for config in "$RUN/relay.toml" "$RUN/fanin.toml"; do
    cp "$config" "$config.plain"
    printf '\n[control]\nenabled = false\n' >>"$config"
    "$BIN/mprelayd" --check-config --config "$config" >/dev/null 2>&1 || mv "$config.plain" "$config"
done
printf 'listen: 127.0.0.1:%s\n' "$NATS_PORT" >"$RUN/nats.conf"

"$BIN/mprelayd" --config "$RUN/relay.toml" >"$RUN/mprelayd.log" 2>&1 &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
"$BIN/mprelayd" --config "$RUN/fanin.toml" >"$RUN/mprelayd-fanin.log" 2>&1 &
FANIN_PID=$!
PIDS+=("$FANIN_PID")
nats-server -c "$RUN/nats.conf" >"$RUN/nats.log" 2>&1 &
NATS_PID=$!
PIDS+=("$NATS_PID")
wait_port "$RELAY_PORT" "$RELAY_PID" || { cat "$RUN/mprelayd.log" >&2; exit 1; }
wait_port "$FANIN_PORT" "$FANIN_PID" || { cat "$RUN/mprelayd-fanin.log" >&2; exit 1; }
wait_port "$NATS_PORT" "$NATS_PID" || { cat "$RUN/nats.log" >&2; exit 1; }

relay=(--address "127.0.0.1:$RELAY_PORT" --pid "$RELAY_PID")
nats=(--protocol nats --address "127.0.0.1:$NATS_PORT" --pid "$NATS_PID")
# Idle peers first, on a fresh daemon: the heap that later runs grow stays mapped and would hide
# what each peer costs.
note "$IDLE idle peers"
bench "mprelay connections" 180 connections "${relay[@]}" --count "$IDLE"
note "handshakes for $HANDSHAKE_SECONDS s, $HANDSHAKE_THREADS clients at once"
bench "mprelay handshakes" 60 handshakes "${relay[@]}" --duration "$HANDSHAKE_SECONDS" --threads "$HANDSHAKE_THREADS"
for size in 64 4096; do
    for run in $(seq "$REPEAT"); do
        note "throughput ${size} B, run $run of $REPEAT"
        bench "mprelay throughput $size" 90 throughput "${relay[@]}" --pairs "$PAIRS" --count "$N" --size "$size"
        bench "nats throughput $size" 90 throughput "${nats[@]}" --pairs "$PAIRS" --count "$N" --size "$size"
    done
done
note "latency"
bench "mprelay latency" 90 latency "${relay[@]}" --count "$RTTS"
bench "nats latency" 90 latency "${nats[@]}" --count "$RTTS"
note "fan-in: $FANIN_SENDERS senders to one receiver, max_outbound_bytes 65536"
bench "mprelay fanin" 150 fanin --address "127.0.0.1:$FANIN_PORT" --pid "$FANIN_PID" --senders "$FANIN_SENDERS" --count "$FANIN_COUNT"

NATS_VERSION=$(nats-server --version 2>/dev/null | awk '{print $NF}')
python3 - "$RESULTS" "$PAIRS" "$IDLE" "$NATS_VERSION" <<'PY'
import json, statistics, sys

path, pairs, idle, nats_version = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
runs = {}
for line in open(path):
    entry = json.loads(line)
    runs.setdefault(entry["tag"], []).append(entry["result"])

def values(tag, key):
    return [r[key] for r in runs.get(tag, []) if r and r.get("status") == "ok" and key in r]

def failed(tag):
    return sum(1 for r in runs.get(tag, []) if not r or r.get("status") != "ok")

def rate(v):
    return f"{v / 1e6:.2f}M" if v >= 1e6 else f"{v / 1e3:.0f}k"

def median_cell(tag, key, fmt):
    vs = values(tag, key)
    if not vs:
        return "failed" if runs.get(tag) else "-"
    cell = fmt(statistics.median(vs))
    if len(vs) > 1:
        cell += f" ({fmt(min(vs))}–{fmt(max(vs))})"
    if failed(tag):
        cell += f", {failed(tag)} failed"
    return cell

def one(tag, key, fmt):
    vs = values(tag, key)
    return fmt(vs[0]) if vs else ("failed" if runs.get(tag) else "-")

def num(digits):
    return lambda v: f"{v:.{digits}f}"

rows = [
    (f"msgs/s @64 B, {pairs} pairs (median, min–max)", "throughput 64", "msgs_per_sec", rate),
    ("MB/s @64 B", "throughput 64", "mb_per_sec", num(1)),
    ("msgs/s @4 KiB", "throughput 4096", "msgs_per_sec", rate),
    ("MB/s @4 KiB", "throughput 4096", "mb_per_sec", num(0)),
    ("server CPU % @64 B", "throughput 64", "server_cpu_percent", num(0)),
    ("server CPU % @4 KiB", "throughput 4096", "server_cpu_percent", num(0)),
]
print(f"| metric | mprelayd | nats-server {nats_version} |")
print("|---|---:|---:|")
for label, workload, key, fmt in rows:
    print(f"| {label} | {median_cell('mprelay ' + workload, key, fmt)} | {median_cell('nats ' + workload, key, fmt)} |")
for label, key in [("RTT p50 µs (64 B ping-pong)", "p50_us"), ("RTT p99 µs", "p99_us"), ("RTT p99.9 µs", "p999_us")]:
    print(f"| {label} | {one('mprelay latency', key, num(1))} | {one('nats latency', key, num(1))} |")

def lossless(prefix):
    total = 0
    for tag, results in runs.items():
        if tag.startswith(prefix + " throughput"):
            for r in results:
                if r:
                    total += r.get("lost", 0) + r.get("missing", 0) + r.get("reordered", 0) + r.get("bad", 0)
    return f"{total}"
print(f"| lost+missing+reordered+bad, all throughput runs | {lossless('mprelay')} | {lossless('nats')} |")

c = (runs.get("mprelay connections") or [None])[0]
if c and c.get("status") == "ok" and "server_rss_open_mib" in c:
    cell = (f"{c['server_rss_open_mib']:.1f} MiB: {c['server_bytes_per_peer']:,} B per peer "
            f"over {c['server_rss_before_mib']:.1f} MiB at start")
else:
    cell = "failed"
print(f"| RSS with {idle:,} idle peers | {cell} | - |")
print(f"| handshakes/s (connect, auth, HELLO, GOODBYE; {one('mprelay handshakes', 'threads', num(0))} clients) | {one('mprelay handshakes', 'handshakes_per_sec', num(0))} | - |")
print(f"| handshake p50 / p99 µs | {one('mprelay handshakes', 'p50_us', num(0))} / {one('mprelay handshakes', 'p99_us', num(0))} | - |")
f = (runs.get("mprelay fanin") or [None])[0]
if f and "unique" in f:
    cell = (f"{f['status']}: {f['unique']:,}/{f['senders'] * f['count']:,} received, {f['lost']} lost, "
            f"{f['duplicates']} dup, {f['peer_busy']:,} peer-busy retried, {f['msgs_per_sec'] / 1e3:.0f}k msgs/s")
    if "server_rss_peak_mib" in f:
        cell += f", RSS peak {f['server_rss_peak_mib']:.1f} MiB"
else:
    cell = "failed"
print(f"| fan-in {f['senders'] if f else '?'}→1, max_outbound_bytes 64 KiB | {cell} | - |")
PY
