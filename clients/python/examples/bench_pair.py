"""Messages per second from one Python sender to one Python receiver: through mprelayd, and over
a direct multiprocessing.connection link for comparison.

Both runs send COUNT payloads of SIZE bytes with ``send_bytes`` (no confirm, no pickling) from one
process to another over TCP on this machine. From the repository root::

    MPRELAY_AUTHKEY=secret make run
    MPRELAY_AUTHKEY=secret python3 clients/python/examples/bench_pair.py --count 200000

The rate is COUNT divided by the time from the sender's first send to the receiver's last
receive. Through the broker, messages the broker refuses because the receiver's queue is full
(``PeerBusy``) are counted as dropped and left out of the rate.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import Client, Listener
from typing import Any, Dict, List, Optional

try:
    import mprelay
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    import mprelay


def relay_receiver(address: Any, name: str, count: int, ready: Any, out: Any) -> None:
    with mprelay.connect(address, name=name, timeout=10) as peer:
        ready.set()
        got = 0
        last = time.monotonic()
        while got < count:
            try:
                peer.recv_bytes(timeout=3)
            except TimeoutError:  # the rest was dropped
                break
            got += 1
            last = time.monotonic()
        out.put(("received", got, last))


def relay_sender(address: Any, name: str, to: str, count: int, size: int, ready: Any,
                 out: Any) -> None:
    payload = b"x" * size
    with mprelay.connect(address, name=name, timeout=10) as peer:
        ready.wait(10)
        dropped = 0
        start = time.monotonic()
        for _ in range(count):
            try:
                peer.send_bytes(to, payload)
            except mprelay.PeerBusy:  # an earlier message was dropped; this one was not sent
                dropped += 1
                peer.send_bytes(to, payload)
        while peer.poll(0.2):  # collect errors still on their way
            try:
                peer.recv_bytes(timeout=0)
            except mprelay.PeerBusy:
                dropped += 1
        out.put(("sent", start, dropped))


def direct_receiver(authkey: bytes, count: int, out: Any) -> None:
    with Listener(("127.0.0.1", 0), authkey=authkey) as listener:
        out.put(("address", listener.address))
        with listener.accept() as conn:
            for _ in range(count):
                conn.recv_bytes()
            out.put(("received", count, time.monotonic()))


def direct_sender(address: Any, authkey: bytes, count: int, size: int, out: Any) -> None:
    payload = b"x" * size
    with Client(address, authkey=authkey) as conn:
        start = time.monotonic()
        for _ in range(count):
            conn.send_bytes(payload)
        out.put(("sent", start, 0))


def collect(out: Any, n: int) -> Dict[str, Any]:
    got: Dict[str, Any] = {}
    for _ in range(n):
        item = out.get(timeout=600)
        got[item[0]] = item[1:]
    return got


def bench_relay(address: Any, count: int, size: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    out, ready = ctx.Queue(), ctx.Event()
    rx, tx = "bench-rx-%d" % os.getpid(), "bench-tx-%d" % os.getpid()
    procs = [ctx.Process(target=relay_receiver, args=(address, rx, count, ready, out)),
             ctx.Process(target=relay_sender, args=(address, tx, rx, count, size, ready, out))]
    for p in procs:
        p.start()
    res = collect(out, 2)
    for p in procs:
        p.join(30)
    received, last = res["received"]
    start, dropped = res["sent"]
    rate: float = received / (last - start)
    print("through mprelayd:        %9.0f msg/s  (%d received, %d dropped, %.2f s)"
          % (rate, received, dropped, last - start))
    return rate


def bench_direct(count: int, size: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    authkey = os.urandom(16)
    rx = ctx.Process(target=direct_receiver, args=(authkey, count, out))
    rx.start()
    kind, address = out.get(timeout=30)
    tx = ctx.Process(target=direct_sender, args=(address, authkey, count, size, out))
    tx.start()
    res = collect(out, 2)
    for p in (rx, tx):
        p.join(30)
    received, last = res["received"]
    start, _ = res["sent"]
    rate: float = received / (last - start)
    print("direct Listener/Client: %9.0f msg/s  (%d received, %.2f s)" % (rate, received, last - start))
    return rate


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--address", default="127.0.0.1:6000",
                        help="the broker: host:port, [v6]:port, /path/to.sock or @name")
    parser.add_argument("--count", type=int, default=200000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--runs", type=int, default=1, help="repeat and report the best")
    args = parser.parse_args(argv)
    address = mprelay.parse_address(args.address)
    print("%d messages of %d bytes, Python %s" % (args.count, args.size, sys.version.split()[0]))
    relay = max(bench_relay(address, args.count, args.size) for _ in range(args.runs))
    direct = max(bench_direct(args.count, args.size) for _ in range(args.runs))
    print("relay / direct: %.2f" % (relay / direct))
    return 0


if __name__ == "__main__":
    sys.exit(main())
