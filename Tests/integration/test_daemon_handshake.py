"""Authentication: the stock multiprocessing Client against mprelayd, over every address family."""

import os
import re
import socket
import sys
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, answer_challenge

import pytest

import relaywire as rw

MODERN = sys.version_info >= (3, 12)
DIGEST = "sha256" if MODERN else "legacy md5"


@pytest.mark.parametrize("kind", ["inet", "unix", "abstract"])
def test_stock_client_authenticates_and_registers(relay, kind):
    address = relay.by_kind(kind)
    peer = rw.Peer(address, relay.authkey)
    welcome = peer.register("hs-%s" % kind)
    assert welcome.fields == {"version": 1, "max_message_bytes": 16777216}
    relay.wait_for_log(r"\] registered as hs-%s from " % kind)
    # The authentication line for this connection names the digest this interpreter uses.
    printed = relay.printed[relay.addresses.index(address)]
    line = relay.wait_for_log(r"^\[INFO/Connection-\d+\] authenticated from .* on %s \((.+)\)$" % re.escape(printed))
    assert line.group(1) == DIGEST, line.group(0)
    peer.close()


def test_welcome_reports_configured_max_message_bytes(start_relay):
    relay = start_relay(max_message_bytes=4096)
    peer = rw.Peer(relay.addr, relay.authkey, "small")
    assert peer.welcome.fields == {"version": 1, "max_message_bytes": 4096}
    peer.close()


@pytest.mark.parametrize("kind", ["inet", "unix"])
def test_wrong_key_is_refused_and_logged_without_the_key(relay, kind):
    address = relay.by_kind(kind)
    with pytest.raises(AuthenticationError):
        Client(address, authkey=b"not-the-key")

    # The same handshake by hand, to learn the client's own address for the log line.
    family = socket.AF_INET if kind == "inet" else socket.AF_UNIX
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.connect(address)
    local = sock.getsockname()
    conn = Connection(sock.detach())
    with pytest.raises(AuthenticationError):
        answer_challenge(conn, b"another-wrong-key")
    conn.close()

    if kind == "inet":
        remote = r"%s:%d" % (re.escape(local[0]), local[1])
    else:
        remote = r"pid %d\b" % os.getpid()
    relay.wait_for_log(r"^\[(WARNING|DEBUG)/Connection-\d+\] authentication failed from %s" % remote)
    failures = relay.wait_for_lines(r"^\[(?:WARNING|DEBUG)/Connection-\d+\] authentication failed from ", 2)
    assert len(failures) == 2, failures
    # The first failure from an address is a WARNING; more within auth_failure_window are not.
    assert len(re.findall(r"^\[WARNING/Connection-\d+\] authentication failed from .*$", relay.log(), re.M)) == 1
    # A right key still works afterwards.
    rw.Peer(address, relay.authkey, "after-failure").close()
    text = relay.log()
    for secret in (relay.authkey, b"not-the-key", b"another-wrong-key"):
        assert secret.decode() not in text


@pytest.mark.skipif(MODERN, reason="Python %d.%d speaks sha256; the legacy md5 refusal runs on 3.8-3.11" % sys.version_info[:2])
def test_legacy_client_refused_when_md5_not_allowed(start_relay):
    relay = start_relay(allow_legacy_md5=False)
    for kind in ("inet", "unix", "abstract"):
        with pytest.raises((AuthenticationError, EOFError, ConnectionError)) as caught:
            Client(relay.by_kind(kind), authkey=relay.authkey)
        assert caught.type is AuthenticationError, "expected AuthenticationError, got %r" % caught.value
    line = relay.wait_for_log(r"^\[WARNING/Connection-\d+\] authentication failed from .*$")
    assert re.search(r"md5|legacy", line.group(0), re.I), "the log does not say why: %s" % line.group(0)
    assert "authenticated from" not in relay.log()


@pytest.mark.skipif(not MODERN, reason="Python %d.%d is a legacy md5 client; the sha256 half runs on 3.12+" % sys.version_info[:2])
def test_modern_client_accepted_when_md5_not_allowed(start_relay):
    relay = start_relay(allow_legacy_md5=False)
    for kind in ("inet", "unix", "abstract"):
        peer = rw.Peer(relay.by_kind(kind), relay.authkey, "modern-%s" % kind)
        assert peer.welcome.fields["version"] == 1
        peer.close()
    assert len(relay.wait_for_lines(r"authenticated from .* \(sha256\)$", 3)) == 3


def test_silent_client_dropped_after_handshake_timeout(start_relay):
    relay = start_relay(handshake_timeout=1.0)
    silent = socket.create_connection(relay.by_kind("inet"))
    started = time.monotonic()
    # Another client is served normally while the silent one hangs.
    busy = rw.Bystander(relay.by_kind("unix"), relay.authkey)
    silent.settimeout(5.0)
    received = b""
    while True:
        chunk = silent.recv(4096)  # the challenge, then EOF when the broker gives up
        if not chunk:
            break
        received += chunk
    elapsed = time.monotonic() - started
    rounds = busy.stop()
    silent.close()
    assert received[4:15] == b"#CHALLENGE#", received
    assert 0.8 <= elapsed <= 3.0, "dropped after %.2f s with handshake_timeout 1.0" % elapsed
    assert rounds >= 10, "bystander pair did only %d round trips while the silent client waited" % rounds
    relay.wait_for_log(r"^\[WARNING/Connection-\d+\] authentication failed from .*did not finish the handshake")
