#!/usr/bin/env bash
# Does a flood of monitoring requests disturb the relay? Measures mprelayd's ping-pong RTT p99
# (mprelay-bench latency) alone, then while wrk sends RATE requests/s to the [http] server for
# DURATION seconds (and, by default, while it sends them to a second mprelayd's: the control),
# REPEAT rounds, and prints the medians and their ratios.
#
# Builds mprelay in release mode (unless BIN names a folder with mprelayd and mprelay-bench),
# starts the mprelayds on loopback with [http] on, and stops them and wrk by PID on every exit.
# wrk has no rate option: a Lua delay() spaces each connection's requests so that CONNECTIONS
# connections together send about RATE per second; the table reports the rate wrk reached.
#
# Environment knobs (defaults in brackets):
#   REPEAT [5]  RATE [2000]  DURATION [10]  CONNECTIONS [8]  RTTS [20000]  HTTP_PATH [/metrics]
#   BASE_PORT [17501]  SCRATCH [.build-bench]  BIN [unset]  KEEP [unset; keeps the logs]
#   FLOOD [both]    `self` floods the measured mprelayd's monitoring server; `other` floods a
#                   second mprelayd's instead: the control experiment, for what sharing the cores
#                   with any server answering the flood costs the relay's latency; `both` runs
#                   the two floods in every round, so each ratio has its control beside it
#   WRK_CLASS [normal]  `idle` runs wrk in the idle scheduling class (chrt --idle 0), as if the
#                   requests came from another machine: the relay then shares its cores with the
#                   monitoring server and the kernel's work for the requests, not with wrk
#
# Needs: swift (unless BIN), python3, wrk (apt-get install -y wrk).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
REPEAT=${REPEAT:-5}
RATE=${RATE:-2000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
RTTS=${RTTS:-20000}
HTTP_PATH=${HTTP_PATH:-/metrics}
BASE_PORT=${BASE_PORT:-17501}
RELAY_PORT=$BASE_PORT
HTTP_PORT=$((BASE_PORT + 1))
FLOOD=${FLOOD:-both}
case "$FLOOD" in
    self) TARGETS=(self) ;;
    other) TARGETS=(other) ;;
    both) TARGETS=(self other) ;;
    *) echo "http-flood.sh: FLOOD must be self, other or both, not '$FLOOD'" >&2; exit 2 ;;
esac
WRK_CLASS=${WRK_CLASS:-normal}
case "$WRK_CLASS" in
    normal) WRK=(wrk) ;;
    idle) WRK=(chrt --idle 0 wrk) ;;
    *) echo "http-flood.sh: WRK_CLASS must be normal or idle, not '$WRK_CLASS'" >&2; exit 2 ;;
esac

command -v wrk >/dev/null || { echo "http-flood.sh: wrk not found: apt-get install -y wrk" >&2; exit 1; }
command -v python3 >/dev/null || { echo "http-flood.sh: python3 not found" >&2; exit 1; }

RUN=$(mktemp -d -t mprelay-http-flood.XXXXXX)
SCRIPT=http-flood.sh
# shellcheck source=Benchmarks/processes.sh
. "$ROOT/Benchmarks/processes.sh"

[ -n "${BIN:-}" ] || build_release mprelayd mprelay-bench

make_authkey

cat >"$RUN/relay.toml" <<TOML
[broker]
log_level = "warning"

[http]
listen = "127.0.0.1:$HTTP_PORT"

[[endpoint]]
address = "127.0.0.1:$RELAY_PORT"
authkey_file = "$RUN/authkey"
TOML
# Starts mprelayd with config $1, log $2, and waits for its HTTP port $3; sets STARTED_PID.
start_relay() {
    "$BIN/mprelayd" --config "$1" >"$2" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null && return 0
        kill -0 "$STARTED_PID" 2>/dev/null || { cat "$2" >&2; exit 1; }
        sleep 0.1
    done
}
start_relay "$RUN/relay.toml" "$RUN/mprelayd.log" "$HTTP_PORT"
RELAY_PID=$STARTED_PID
declare -A FLOOD_PORT=([self]=$HTTP_PORT [other]=$((BASE_PORT + 3)))
if [ "$FLOOD" != self ]; then
    sed -e "s/127.0.0.1:$HTTP_PORT/127.0.0.1:${FLOOD_PORT[other]}/" -e "s/127.0.0.1:$RELAY_PORT/127.0.0.1:$((BASE_PORT + 2))/" \
        "$RUN/relay.toml" >"$RUN/other.toml"
    start_relay "$RUN/other.toml" "$RUN/other.log" "${FLOOD_PORT[other]}"
fi

# Each connection waits CONNECTIONS/RATE seconds between requests, less 10% for the time the
# request itself takes, so that the rate reached is RATE or a little above.
cat >"$RUN/pace.lua" <<LUA
function delay()
    return $(python3 -c "print(1000 * $CONNECTIONS / ($RATE * 1.1))")
end
LUA

latency() {
    timeout 120 "$BIN/mprelay-bench" latency --address "127.0.0.1:$RELAY_PORT" --count "$RTTS" --pid "$RELAY_PID" --json --quiet
}

for round in $(seq "$REPEAT"); do
    note "round $round/$REPEAT: alone"
    latency >>"$RUN/alone.jsonl"
    for target in "${TARGETS[@]}"; do
        note "round $round/$REPEAT: with $RATE requests/s to $target $HTTP_PATH"
        "${WRK[@]}" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$RUN/pace.lua" \
            "http://127.0.0.1:${FLOOD_PORT[$target]}$HTTP_PATH" >"$RUN/wrk-$target-$round.txt" 2>&1 &
        WRK_PID=$!
        PIDS+=("$WRK_PID")
        sleep 1
        latency >>"$RUN/$target.jsonl"
        wait "$WRK_PID"
    done
done

python3 - "$RUN" "$REPEAT" "$RATE" "$DURATION" "$HTTP_PATH" "$WRK_CLASS" "${TARGETS[@]}" <<'PY'
import json, re, statistics, sys
run, repeat, rate, duration, path, wrk_class = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
targets = sys.argv[7:]
names = {"self": "its own", "other": "another mprelayd's (control)"}
def load(name):
    return [json.loads(line) for line in open("%s/%s.jsonl" % (run, name)) if line.strip()]
def median(runs, key):
    return statistics.median(r[key] for r in runs)
alone = load("alone")
flooded = {target: load(target) for target in targets}
print("| RTT (µs), wrk in the %s class | alone | %s |" % (wrk_class, " | ".join(
    "with %s req/s to %s %s for %s s" % (rate, names[t], path, duration) for t in targets)))
print("|---|---:|%s" % ("---:|" * len(targets)))
for key, label in (("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")):
    print("| %s | %.0f | %s |" % (label, median(alone, key), " | ".join("%.0f" % median(flooded[t], key) for t in targets)))
print()
print("p99 runs alone: %s" % ", ".join("%.0f" % r["p99_us"] for r in alone))
p99_alone = median(alone, "p99_us")
for target in targets:
    rates, errors = [], 0
    for i in range(1, repeat + 1):
        text = open("%s/wrk-%s-%d.txt" % (run, target, i)).read()
        rates.append(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        errors += int(bad.group(1)) if bad else 0
    print("p99 runs, flood to %s: %s" % (target, ", ".join("%.0f" % r["p99_us"] for r in flooded[target])))
    print("  wrk requests/s reached: %s (median %.0f); non-2xx answers: %d" % (
        ", ".join("%.0f" % r for r in rates), statistics.median(rates), errors))
    print("  median p99 with the flood to %s / alone: %.3f" % (target, median(flooded[target], "p99_us") / p99_alone))
if len(targets) == 2:
    print("median p99, flood to its own server / flood to the control's: %.3f" % (
        median(flooded["self"], "p99_us") / median(flooded["other"], "p99_us")))
PY
