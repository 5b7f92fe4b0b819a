"""Slow and oversized HTTP clients are cut off by the monitoring server without disturbing the
relay: a pair of peers keeps exchanging messages throughout."""

import socket
import time

from relaywire import Bystander, exchange_check

from conftest import AUTHKEY


def connect(relay):
    host, _, port = relay.hostport.rpartition(":")
    return socket.create_connection((host.strip("[]"), int(port)), timeout=30)


def closed_after(sock, deadline):
    """Seconds until the server closes `sock` (EOF or reset), reading whatever it answers."""
    started = time.monotonic()
    received = b""
    while time.monotonic() - started < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started, received
        except socket.timeout:
            continue
        if not chunk:
            return time.monotonic() - started, received
        received += chunk
    raise AssertionError("still open after %.0f s; received %r" % (deadline, received[:200]))


def test_a_slow_client_is_timed_out_and_the_relay_goes_on(http_relay):
    relay = http_relay()
    bystander = Bystander(relay.relay.addr, AUTHKEY, prefix="slow")
    sock = connect(relay)
    sock.settimeout(1)
    started = time.monotonic()
    # A header one byte a second, never finished: the server's idle timeout (10 s) ends it.
    request = b"GET /status HTTP/1.1\r\nHost: relay\r\nX-Slow: " + b"a" * 60
    closed = None
    for byte in request:
        try:
            sock.send(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = time.monotonic() - started
            break
        try:
            if sock.recv(65536) == b"":
                closed = time.monotonic() - started
                break
        except socket.timeout:
            pass
    sock.close()
    assert closed is not None and closed < 15, "the slow client was not cut off (%r)" % closed
    assert relay.get("/healthz").status == 200
    exchange_check(relay.relay.addr, AUTHKEY)
    assert bystander.stop() > 10


def test_a_10_mib_header_is_refused_cheaply(http_relay):
    relay = http_relay()
    bystander = Bystander(relay.relay.addr, AUTHKEY, prefix="big")
    rss_before = relay.relay.rss_kib()
    sock = connect(relay)
    # The server stops reading after 16 KiB and answers 400: the rest fills the kernel's socket
    # buffers, then a send blocks for a second and the client gives up sending.
    sock.settimeout(1)
    started = time.monotonic()
    sent = 0
    chunk = b"b" * 65536
    try:
        sock.sendall(b"GET /status HTTP/1.1\r\nHost: relay\r\nX-Big: ")
        while sent < 10 * 1024 * 1024:
            sock.sendall(chunk)
            sent += len(chunk)
        sock.sendall(b"\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    _, answer = closed_after(sock, 5)
    elapsed = time.monotonic() - started
    sock.close()
    assert sent < 10 * 1024 * 1024, "the server read the whole 10 MiB header"
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert elapsed < 5, elapsed
    assert relay.relay.rss_kib() - rss_before < 8 * 1024
    assert relay.get("/healthz").status == 200
    exchange_check(relay.relay.addr, AUTHKEY)
    assert bystander.stop() > 0
