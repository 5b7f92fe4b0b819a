"""The Python client's speed through mprelayd, beside a direct multiprocessing.connection link.

Each row runs one sender process and one receiver process on this machine, through the broker
and (for a reference in the same run) over a direct ``Listener``/``Client`` link over TCP:

- ``pair 64 B`` and ``pair 4 KiB``: ``send_bytes``/``recv_bytes``, one call per message;
- ``batch 64 B``: ``send_many``/``recv_many`` through the broker, against the direct link's
  one-call-per-message rate at 64 B;
- ``pickled``: ``send``/``recv`` of a small object (pickled by both), against ``Connection.send``
  and ``Connection.recv``;
- ``ping-pong 64 B``: the median round trip of ``request_bytes``/``reply_bytes``, against
  ``send_bytes`` and ``recv_bytes`` echoed over the direct link;
- ``ping-pong stdlib 64 B``: the same round trip through the broker by two stdlib
  ``multiprocessing.connection.Client`` objects that speak the envelopes by hand (no mprelay
  client at all: what the relay itself costs), against the direct link;
- ``asyncio 64 B``: ``mprelay.aio`` sending and receiving, against the blocking client's pair row.

Each row also gives the CPU time (user and system) per message, or per round trip, of the
sending and the receiving process, through the broker and for the reference; with
``--broker-pid`` (mprelayd on this machine), the broker's too: where a message's cost goes.

``--memory N`` instead receives N messages of 64 bytes with ``recv_bytes`` in a loop and prints the
receiving process's resident set size (Linux ``/proc/self/statm``) every tenth of the way.

A rate is COUNT divided by the time from the sender's first send to the receiver's last receive;
each figure is the median of ``--runs`` runs, the relay and the reference alternating. The
ping-pong rows' CPU per round trip (``time.process_time``) is the client's own cost apart from
the wait. From the repository root::

    MPRELAY_AUTHKEY=secret make run
    MPRELAY_AUTHKEY=secret python3 clients/python/examples/bench_pair.py --count 200000 --runs 3

The relay sender confirms every 1,000th message (``confirm=True``), so it has at most 1,000
messages in flight, as a direct link's sender is held back by its socket buffer; a message the
broker refuses because the receiver's queue is full (``PeerBusyError``) is sent again. Messages
that never arrive are reported as dropped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
from typing import Any, Dict, List, Optional, Tuple

try:
    import mprelay
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    import mprelay
from bench_pair_peers import (PINGPONG, direct_receiver, direct_sender, memory_receiver, memory_sender,
                              relay_receiver, relay_sender)


def collect(out: Any, n: int) -> Dict[str, Any]:
    got: Dict[str, Any] = {}
    for _ in range(n):
        item = out.get(timeout=600)
        got[item[0]] = item[1:]
    return got


#: What one run gives: (figure, received, dropped, CPU in us per message or round trip of the
#: sender, of the receiver, and of the broker: 0 when its PID was not given).
Result = Tuple[float, int, int, float, float, float]


def result(res: Dict[str, Any], mode: str, count: int, broker_cpu: float = 0.0) -> Result:
    """A run's :data:`Result`: messages per second, or the median round trip in us."""
    received, last, rx_cpu = res["received"]
    start, tx_cpu, rtt = res["sent"]
    cpu = (tx_cpu * 1e6, rx_cpu * 1e6, broker_cpu * 1e6 / max(received, 1))
    if mode in PINGPONG:
        return (rtt * 1e6, received, 0) + cpu
    return (received / (last - start), received, count - received) + cpu


def process_cpu(pid: Optional[int]) -> float:
    """The CPU time (user and system, in seconds) process ``pid`` has used (Linux), or 0."""
    if not pid:
        return 0.0
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_relay(address: Any, mode: str, count: int, size: int, broker_pid: Optional[int] = None) -> Result:
    ctx = multiprocessing.get_context("spawn")
    out, ready = ctx.Queue(), ctx.Event()
    rx, tx = "bench-rx-%d" % os.getpid(), "bench-tx-%d" % os.getpid()
    procs = [ctx.Process(target=relay_receiver, args=(address, rx, mode, count, ready, out)),
             ctx.Process(target=relay_sender, args=(address, tx, rx, mode, count, size, ready, out))]
    broker_cpu = process_cpu(broker_pid)
    for p in procs:
        p.start()
    res = collect(out, 2)
    broker_cpu = process_cpu(broker_pid) - broker_cpu
    for p in procs:
        p.join(30)
    return result(res, mode, count, broker_cpu)


def run_direct(mode: str, count: int, size: int) -> Result:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    authkey = os.urandom(16)
    rx = ctx.Process(target=direct_receiver, args=(authkey, mode, count, out))
    rx.start()
    _, address = out.get(timeout=30)
    tx = ctx.Process(target=direct_sender, args=(address, authkey, mode, count, size, out))
    tx.start()
    res = collect(out, 2)
    for p in (rx, tx):
        p.join(30)
    return result(res, mode, count)


#: (row, relay mode, reference: "direct" or "relay", reference mode, size, count divisor, better)
ROWS: List[Tuple[str, str, str, str, int, int, str]] = [
    ("pair 64 B", "bytes", "direct", "bytes", 64, 1, "higher"),
    ("pair 4 KiB", "bytes", "direct", "bytes", 4096, 1, "higher"),
    ("batch 64 B", "batch", "direct", "bytes", 64, 1, "higher"),
    ("pickled", "pickle", "direct", "pickle", 64, 1, "higher"),
    ("ping-pong 64 B", "pingpong", "direct", "pingpong", 64, 20, "lower"),
    ("ping-pong stdlib 64 B", "stdlib", "direct", "pingpong", 64, 20, "lower"),
    ("asyncio 64 B", "aio", "relay", "bytes", 64, 1, "higher"),
]


def run_memory(address: Any, count: int) -> List[Tuple[int, int]]:
    ctx = multiprocessing.get_context("spawn")
    out, ready = ctx.Queue(), ctx.Event()
    rx, tx = "bench-mem-rx-%d" % os.getpid(), "bench-mem-tx-%d" % os.getpid()
    procs = [ctx.Process(target=memory_receiver, args=(address, rx, count, ready, out)),
             ctx.Process(target=memory_sender, args=(address, tx, rx, count, ready, out))]
    for p in procs:
        p.start()
    res = collect(out, 2)
    for p in procs:
        p.join(30)
    samples: List[Tuple[int, int]] = res["received"][0]
    return samples




def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--address", default="127.0.0.1:6000",
                        help="the broker: host:port, [v6]:port, /path/to.sock or @name")
    parser.add_argument("--count", type=int, default=200000, help="messages per run and row")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown")
    parser.add_argument("--rows", default=",".join(r[0] for r in ROWS),
                        help="comma-separated rows to run (default: all)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--memory", type=int, metavar="N",
                        help="instead: the receiver's RSS while it receives N messages")
    parser.add_argument("--broker-pid", type=int, metavar="PID",
                        help="mprelayd's PID on this machine: also show its CPU per message")
    args = parser.parse_args(argv)
    address = mprelay.parse_address(args.address)
    if args.memory:
        samples = run_memory(address, args.memory)
        if args.json:
            print(json.dumps({"python": sys.version.split()[0], "rss_kib": samples}))
        else:
            print("receiver RSS while receiving %d messages of 64 bytes, Python %s"
                  % (args.memory, sys.version.split()[0]))
            for received, kib in samples:
                print("%9d received  %7d KiB" % (received, kib))
        return 0
    wanted = [w.strip() for w in args.rows.split(",")]
    rows = []
    if not args.json:
        print("%d messages per run, median of %d runs, Python %s"
              % (args.count, args.runs, sys.version.split()[0]))
        print("%-21s %15s %15s %7s" % ("row", "mprelay", "reference", "ratio"))
    for name, mode, ref_kind, ref_mode, size, divisor, better in ROWS:
        if name not in wanted:
            continue
        count = max(1, args.count // divisor)
        relay_runs: List[Result] = []
        ref_runs: List[Result] = []
        for _ in range(args.runs):  # alternate, so a burst of load hits both alike
            relay_runs.append(run_relay(address, mode, count, size, args.broker_pid))
            if ref_kind == "direct":
                ref_runs.append(run_direct(ref_mode, count, size))
            else:
                ref_runs.append(run_relay(address, ref_mode, count, size, args.broker_pid))
        relay = statistics.median(r[0] for r in relay_runs)
        ref = statistics.median(r[0] for r in ref_runs)
        dropped = sum(r[2] for r in relay_runs)
        ratio = relay / ref if better == "higher" else ref / relay
        unit = "us p50" if mode in PINGPONG else "msg/s"
        row = {"row": name, "unit": unit, "mprelay": relay, "reference": ref,
               "reference_kind": ref_kind, "ratio": ratio, "runs": [r[0] for r in relay_runs],
               "reference_runs": [r[0] for r in ref_runs], "dropped": dropped, "count": count}
        for key, index in (("sender", 3), ("receiver", 4), ("broker", 5)):
            row["%s_cpu_us" % key] = statistics.median(r[index] for r in relay_runs)
            row["reference_%s_cpu_us" % key] = statistics.median(r[index] for r in ref_runs)
        per = "round trip" if mode in PINGPONG else "message"
        cpu = "  (CPU per %s, us: sender %.1f / %.1f, receiver %.1f / %.1f" % (
            per, row["sender_cpu_us"], row["reference_sender_cpu_us"], row["receiver_cpu_us"],
            row["reference_receiver_cpu_us"])
        cpu += ", broker %.1f)" % row["broker_cpu_us"] if args.broker_pid else ")"
        rows.append(row)
        if not args.json:
            print("%-21s %9.0f %-5s %9.0f %-5s %6.2fx%s%s"
                  % (name, relay, unit.split()[0], ref, unit.split()[0], ratio, cpu,
                     "  (%d dropped)" % dropped if dropped else ""))
    if args.json:
        print(json.dumps({"python": sys.version.split()[0], "count": args.count, "runs": args.runs,
                          "rows": rows}, indent=2))
    else:
        print("ratio: mprelay / reference for rates, reference / mprelay for round trips; "
              "the asyncio row's reference is the blocking client's pair 64 B; the stdlib "
              "row's 'mprelay' is stdlib clients through the broker, without the mprelay client")
    return 0


if __name__ == "__main__":
    sys.exit(main())
