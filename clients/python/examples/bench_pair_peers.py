"""The sending and receiving processes of bench_pair.py, each started by it with the
``spawn`` method: through the broker (the ``mprelay`` client, ``mprelay.aio``, or a stdlib
``Client`` that speaks the envelopes by hand) and over a direct ``Listener``/``Client`` link.

Each puts what it measured on the ``out`` queue: ``("received", count, last_time, cpu)`` from a
receiver, ``("sent", start_time, cpu, median_round_trip)`` from a sender, where ``cpu`` is the
process's CPU time (user and system, ``time.process_time``) per message or round trip.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import struct
import time
from multiprocessing.connection import Client, Listener
from typing import Any

import mprelay  # bench_pair.py finds it in a source checkout; spawned processes inherit its sys.path
import mprelay.aio
from mprelay.address import resolve_authkey


OBJECT = {"job": 1, "args": (1.5, "x"), "tags": ["a", "b"]}
BATCH = 1000
WINDOW = 1000
PINGPONG = ("pingpong", "stdlib")


def stdlib_client(address: Any, name: str) -> Any:
    """A stdlib ``Client`` registered with the broker by hand: HELLO, then WELCOME (or ERROR)."""
    conn = Client(address, authkey=resolve_authkey(None))
    raw = name.encode()
    conn.send_bytes(b"\x01\x01" + bytes((len(raw),)) + raw)
    answer = conn.recv_bytes()
    if answer[0] != 0x02:
        raise RuntimeError("the broker refused %r: %r" % (name, answer))
    return conn


def stdlib_echo(address: Any, name: str, count: int, ready: Any, out: Any) -> None:
    """Answer ``count`` DELIVERs with a SEND of the same payload, the reply option set."""
    conn = stdlib_client(address, name)
    ready.set()
    got = 0
    cpu = time.process_time()
    while got < count:
        body = conn.recv_bytes()
        if body[0] != 0x04:  # a PING or an ERROR: not part of the round trips
            continue
        end = 12 + body[11]
        # SEND: kind, options (reply), the DELIVER's flags and id, its sender, its payload.
        conn.send_bytes(b"\x03\x02" + body[2:11] + body[11:end] + body[end:])
        got += 1
    out.put(("received", got, time.monotonic(), (time.process_time() - cpu) / max(got, 1)))
    conn.close()


def stdlib_pinger(address: Any, name: str, to: str, count: int, size: int, ready: Any,
                  out: Any) -> None:
    """``count`` SENDs to ``to``, each followed by the wait for its reply."""
    conn = stdlib_client(address, name)
    ready.wait(10)
    raw = to.encode()
    tail = bytes((len(raw),)) + raw + b"x" * size
    rtts = []
    start, cpu = time.monotonic(), time.process_time()
    for i in range(1, count + 1):
        t0 = time.perf_counter()
        conn.send_bytes(b"\x03\x00\x00" + struct.pack("!Q", i) + tail)
        while conn.recv_bytes()[0] != 0x04:
            pass
        rtts.append(time.perf_counter() - t0)
    out.put(("sent", start, (time.process_time() - cpu) / count, statistics.median(rtts)))
    conn.close()


def relay_receiver(address: Any, name: str, mode: str, count: int, ready: Any, out: Any) -> None:
    if mode == "stdlib":
        stdlib_echo(address, name, count, ready, out)
        return
    if mode == "aio":
        asyncio.run(aio_receiver(address, name, count, ready, out))
        return
    with mprelay.connect(address, name=name, timeout=10) as peer:
        ready.set()
        got = 0
        last = time.monotonic()
        cpu = time.process_time()
        try:
            if mode == "batch":
                while got < count:
                    got += len(peer.recv_many(timeout=3))
                    last = time.monotonic()
            elif mode == "pickle":
                while got < count:
                    peer.recv(timeout=3).payload  # type: ignore[union-attr]
                    got += 1
                    last = time.monotonic()
            elif mode == "pingpong":
                while got < count:
                    msg = peer.recv(timeout=3)
                    msg.reply_bytes(msg.data)  # type: ignore[union-attr]
                    got += 1
            else:
                while got < count:
                    peer.recv_bytes(timeout=3)
                    got += 1
                    last = time.monotonic()
        except TimeoutError:  # the rest was dropped
            pass
        out.put(("received", got, last, (time.process_time() - cpu) / max(got, 1)))


async def aio_receiver(address: Any, name: str, count: int, ready: Any, out: Any) -> None:
    async with mprelay.aio.connect(address, name=name, timeout=10) as peer:
        ready.set()
        got = 0
        last = time.monotonic()
        cpu = time.process_time()
        try:
            while got < count:
                got += len(await peer.recv_many(timeout=3))
                last = time.monotonic()
        except TimeoutError:
            pass
        out.put(("received", got, last, (time.process_time() - cpu) / max(got, 1)))


def rss_kib() -> int:
    """This process's resident set size in KiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def memory_receiver(address: Any, name: str, count: int, ready: Any, out: Any) -> None:
    with mprelay.connect(address, name=name, timeout=10) as peer:
        ready.set()
        samples = [(0, rss_kib())]
        step = max(1, count // 10)
        for i in range(1, count + 1):
            peer.recv_bytes(timeout=10)
            if i % step == 0:
                samples.append((i, rss_kib()))
        out.put(("received", samples))


def memory_sender(address: Any, name: str, to: str, count: int, ready: Any, out: Any) -> None:
    batch = [b"x" * 64] * BATCH
    with mprelay.connect(address, name=name, timeout=10) as peer:
        ready.wait(10)
        for _ in range(count // BATCH):
            peer.send_many(to, batch)
        peer.send_many(to, batch[: count % BATCH])
        out.put(("sent",))



def relay_sender(address: Any, name: str, to: str, mode: str, count: int, size: int, ready: Any,
                 out: Any) -> None:
    if mode == "stdlib":
        stdlib_pinger(address, name, to, count, size, ready, out)
        return
    if mode == "aio":
        asyncio.run(aio_sender(address, name, to, count, size, ready, out))
        return
    payload = b"x" * size
    with mprelay.connect(address, name=name, timeout=10) as peer:
        ready.wait(10)
        start = time.monotonic()
        if mode == "pingpong":
            rtts = []
            cpu = time.process_time()
            for _ in range(count):
                t0 = time.perf_counter()
                peer.request_bytes(to, payload, timeout=10)
                rtts.append(time.perf_counter() - t0)
            out.put(("sent", start, (time.process_time() - cpu) / count, statistics.median(rtts)))
            return
        cpu = time.process_time()
        if mode == "batch":
            batch = [payload] * BATCH
            for _ in range(count // BATCH):
                peer.send_many(to, batch)
        for i in range(count if mode != "batch" else count % BATCH):
            # Every WINDOW-th message is confirmed: the sender has at most WINDOW messages in
            # flight, as a direct link's sender is held back by its socket buffer.
            confirm = i % WINDOW == WINDOW - 1
            while True:
                try:
                    if mode == "pickle":
                        peer.send(to, OBJECT, confirm=confirm)
                    else:
                        peer.send_bytes(to, payload, confirm=confirm)
                    break
                except mprelay.PeerBusyError:  # this one was not sent (or not queued): again
                    time.sleep(0.001)
        cpu = (time.process_time() - cpu) / count
        while peer.poll(0.2):  # collect errors still on their way
            try:
                peer.recv_bytes(timeout=0)
            except mprelay.PeerBusyError:
                pass
        out.put(("sent", start, cpu, 0.0))


async def aio_sender(address: Any, name: str, to: str, count: int, size: int, ready: Any,
                     out: Any) -> None:
    payload = b"x" * size
    async with mprelay.aio.connect(address, name=name, timeout=10) as peer:
        ready.wait(10)
        start, cpu = time.monotonic(), time.process_time()
        for _ in range(count):
            await peer.send_bytes(to, payload)
        out.put(("sent", start, (time.process_time() - cpu) / count, 0.0))


def direct_receiver(authkey: bytes, mode: str, count: int, out: Any) -> None:
    with Listener(("127.0.0.1", 0), authkey=authkey) as listener:
        out.put(("address", listener.address))
        with listener.accept() as conn:
            cpu = time.process_time()
            if mode == "pickle":
                for _ in range(count):
                    conn.recv()
            elif mode == "pingpong":
                for _ in range(count):
                    conn.send_bytes(conn.recv_bytes())
            else:
                for _ in range(count):
                    conn.recv_bytes()
            out.put(("received", count, time.monotonic(), (time.process_time() - cpu) / count))


def direct_sender(address: Any, authkey: bytes, mode: str, count: int, size: int, out: Any) -> None:
    payload = b"x" * size
    with Client(address, authkey=authkey) as conn:
        start = time.monotonic()
        if mode == "pingpong":
            rtts = []
            cpu = time.process_time()
            for _ in range(count):
                t0 = time.perf_counter()
                conn.send_bytes(payload)
                conn.recv_bytes()
                rtts.append(time.perf_counter() - t0)
            out.put(("sent", start, (time.process_time() - cpu) / count, statistics.median(rtts)))
            return
        cpu = time.process_time()
        for _ in range(count):
            if mode == "pickle":
                conn.send(OBJECT)
            else:
                conn.send_bytes(payload)
        out.put(("sent", start, (time.process_time() - cpu) / count, 0.0))
