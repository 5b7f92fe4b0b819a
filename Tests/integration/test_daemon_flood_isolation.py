"""A flooding peer does not starve the others: while two pairs push 4 KiB messages through the
daemon as fast as their sockets take them, a third pair's ping-pong keeps going with round trips
far below a second. The bounds are generous on purpose (a starved pair waits seconds, a served
one milliseconds); the figures are printed (pytest -s) for a human to read.
"""

import errno
import socket
import threading
import time

import relaywire as rw
from relayharness import heavy_test_skip_reason
import pytest

_SKIP = heavy_test_skip_reason()
heavy = pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")

PAYLOAD = 4096
FRAMES_PER_WRITE = 64


class FloodPair:
    """A sender writing batches of SENDs to its sink as fast as its socket takes them, the sink
    reading and counting everything, and a thread emptying the sender's own socket so that the
    broker's answers (a busy receiver's ERRORs) never pile up."""

    def __init__(self, addr, authkey, index):
        self.source = rw.Peer(addr, authkey, "flood-source-%d" % index)
        self.sink = rw.Peer(addr, authkey, "flood-sink-%d" % index)
        body = rw.send(self.sink.name, b"x" * PAYLOAD)
        self._batch = (rw.frame_header(len(body)) + body) * FRAMES_PER_WRITE
        self._out = rw.raw_socket(self.source.conn)
        self._in = rw.raw_socket(self.sink.conn)
        self._answers = rw.raw_socket(self.source.conn)
        self.received = 0
        self.error = None
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._guard, args=(work,), daemon=True)
                         for work in (self._send, self._receive, self._discard_answers)]
        for thread in self._threads:
            thread.start()

    def _guard(self, work):
        try:
            work()
        except OSError as exc:
            if not self._stop.is_set():
                self.error = exc

    def _send(self):
        # A timeout on every socket: they share one open file, whose O_NONBLOCK a timeout sets.
        self._out.settimeout(10)
        while not self._stop.is_set():
            self._out.sendall(self._batch)

    def _receive(self):
        self._in.settimeout(0.5)
        while not self._stop.is_set():
            try:
                chunk = self._in.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                raise OSError("the broker closed the sink")
            self.received += len(chunk)

    def _discard_answers(self):
        self._answers.settimeout(0.5)
        while not self._stop.is_set():
            try:
                if not self._answers.recv(1 << 16):
                    return
            except socket.timeout:
                continue

    def stop(self):
        self._stop.set()
        for sock in (self._out, self._in, self._answers):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                # _out and _answers are one connection: after the first shutdown the broker may
                # close it before the second, which then finds it gone.
                if exc.errno != errno.ENOTCONN:
                    raise
        for thread in self._threads:
            thread.join(10)
        for sock in (self._out, self._in, self._answers):
            sock.close()
        self.source.close()
        self.sink.close()
        assert self.error is None, "flood pair failed: %r" % self.error


def round_trip(a, b, i):
    started = time.perf_counter()
    a.send(b.name, b"ping %d" % i, cid=i)
    d = b.recv_kind(rw.DELIVER, timeout=10)
    assert d.fields["cid"] == i, d.fields
    b.send(a.name, b"pong %d" % i, cid=i)
    d = a.recv_kind(rw.DELIVER, timeout=10)
    assert d.fields["cid"] == i, d.fields
    return time.perf_counter() - started


@heavy
def test_a_flood_does_not_starve_a_ping_pong_pair(start_relay):
    relay = start_relay(log_level="info")
    inet = relay.by_kind("inet")
    a = rw.Peer(inet, relay.authkey, "pingpong-a")
    b = rw.Peer(inet, relay.authkey, "pingpong-b")
    quiet = [round_trip(a, b, i + 1) for i in range(200)]
    floods = [FloodPair(inet, relay.authkey, index) for index in range(2)]
    try:
        deadline = time.monotonic() + 10
        while sum(f.received for f in floods) < 4 * PAYLOAD * FRAMES_PER_WRITE:
            assert time.monotonic() < deadline, "the flood did not get going"
            time.sleep(0.05)
        before = sum(f.received for f in floods)
        started = time.monotonic()
        loaded, i = [], 1000
        while time.monotonic() - started < 5.0:
            i += 1
            loaded.append(round_trip(a, b, i))
        flooded = sum(f.received for f in floods) - before
        elapsed = time.monotonic() - started
    finally:
        for flood in floods:
            flood.stop()
    a.close()
    b.close()
    loaded.sort()
    print("\nflood of 2 pairs x 4 KiB: %.1f MB/s delivered; ping-pong quiet p50 %.3f ms, under flood "
          "p50 %.3f ms, p99 %.3f ms, max %.3f ms, %d round trips in %.1f s"
          % (flooded / elapsed / 1e6, sorted(quiet)[len(quiet) // 2] * 1e3, loaded[len(loaded) // 2] * 1e3,
             loaded[int(len(loaded) * 0.99)] * 1e3, loaded[-1] * 1e3, len(loaded), elapsed))
    assert flooded > 10 * 1024 * 1024, "the flood delivered only %d bytes in %.1f s" % (flooded, elapsed)
    assert len(loaded) >= 100, "only %d round trips in %.1f s under the flood" % (len(loaded), elapsed)
    assert loaded[-1] < 1.0, "a round trip took %.3f s under the flood" % loaded[-1]
