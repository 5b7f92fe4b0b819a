"""Connections that end: broker shutdown, restart and reconnect, back-pressure, idle peers."""

from __future__ import annotations

import threading
import time
from typing import Any, List

import pytest

import mprelay


def test_broker_closing_on_sigterm(make_broker: Any) -> None:
    br = make_broker({"drain_timeout": 2.0})
    a = br.connect("a")
    b = br.connect("b")
    a.send("b", "queued before shutdown", confirm=True)
    br.stop()  # SIGTERM
    # The deliveries queued before the GOODBYE come first, then BrokerClosing, for good.
    assert b.recv(timeout=5).payload == "queued before shutdown"
    with pytest.raises(mprelay.BrokerClosing):
        b.recv(timeout=5)
    with pytest.raises(mprelay.BrokerClosing):
        b.recv(timeout=5)
    with pytest.raises(mprelay.Disconnected):
        a.send("b", "too late")
    assert a.closed and b.closed
    a.close()
    b.close()


def test_reconnect_after_broker_restart(make_broker: Any) -> None:
    br = make_broker({"drain_timeout": 1.0}, endpoints=["127.0.0.1:0"])
    a = br.connect("a", reconnect=True)
    b = br.connect("b", reconnect=True)
    try:
        b.watch()
        a.send("b", 1)
        assert b.recv(timeout=5).payload == 1

        received: List[Any] = []

        def receive() -> None:
            # Blocked in recv() through the restart: no BrokerClosing, the peer reconnects.
            while True:
                item = b.recv(timeout=20)
                received.append(item)
                if getattr(item, "payload", None) == "after restart":
                    return

        t = threading.Thread(target=receive)
        t.start()
        br.restart()
        # a reconnects on its next call; its first send may wait for the broker to come back.
        deadline = time.monotonic() + 20
        while True:
            try:
                a.send("b", "after restart", confirm=True)
                break
            except mprelay.UnknownPeer:
                # b has not re-registered yet.
                assert time.monotonic() < deadline
                time.sleep(0.1)
        t.join(20)
        assert not t.is_alive()
        assert received[-1].payload == "after restart"
        assert mprelay.PeerJoined("a") in received  # b watches again after reconnecting
        assert a.connected and b.connected and sorted(a.peers()) == ["a", "b"]
    finally:
        a.close()
        b.close()


def test_reconnect_waits_out_an_absent_broker(make_broker: Any) -> None:
    br = make_broker({"drain_timeout": 1.0}, endpoints=["127.0.0.1:0"])
    a = br.connect("a", reconnect=True, timeout=0.5)
    try:
        address = br.address
        br.stop()
        # Down for good: the send times out waiting for a connection instead of hanging.
        with pytest.raises(mprelay.Disconnected):
            a.send("a", "nobody home")
        with pytest.raises(TimeoutError):
            a.recv(timeout=0.3)
        assert not a.connected and not a.closed
        br.restart()
        assert br.address == address
        a.send("a", "to myself", timeout=10)
        assert a.recv(timeout=5).payload == "to myself"
    finally:
        a.close()


def test_an_address_list_fails_over_to_the_next_broker(make_broker: Any) -> None:
    first = make_broker(endpoints=["127.0.0.1:0"])
    second = make_broker(endpoints=["127.0.0.1:0"])
    # The first address answers: the peer registers there.
    a = mprelay.connect([first.address, second.address], first.authkey, name="a", reconnect=True, timeout=5.0)
    b = second.connect("b")
    try:
        assert a.address == first.address
        first.kill()
        # The next call finds the first broker gone and registers the name at the second.
        deadline = time.monotonic() + 20
        while "a" not in b.peers():
            assert time.monotonic() < deadline, "a never re-registered at the second broker"
            with pytest.raises((TimeoutError, mprelay.Disconnected)):
                a.recv(timeout=0.2)
        assert a.address == second.address
        b.send("a", "found you", confirm=True)
        assert a.recv(timeout=5).payload == "found you"
    finally:
        a.close()
        b.close()


def test_an_address_list_is_tried_in_order(make_broker: Any) -> None:
    live = make_broker(endpoints=["127.0.0.1:0"])
    dead = make_broker(endpoints=["127.0.0.1:0"])
    nowhere = dead.address
    dead.stop()
    with mprelay.connect([nowhere, live.address], live.authkey, name="a", timeout=5.0) as a:
        assert a.address == live.address
        assert a.peers() == ["a"]
    with pytest.raises(ValueError, match="empty"):
        mprelay.connect([], live.authkey, name="a")


def test_peer_busy(make_broker: Any) -> None:
    br = make_broker({"max_message_bytes": 32768, "max_outbound_bytes": 65536})
    # The sink never reads: once the kernel's socket buffers are full, its queue at the broker
    # fills up to max_outbound_bytes, and then the broker refuses further messages.
    with br.connect("sender") as s, br.connect("sink"):
        chunk = bytes(32768)
        with pytest.raises(mprelay.PeerBusy) as info:
            for _ in range(2000):
                s.send_bytes("sink", chunk, confirm=True)
        err = info.value
        assert err.code == 6 and err.peer == "sink" and err.correlation_id
        # Without confirm the error is not lost either: it comes with the next call.
        with pytest.raises(mprelay.PeerBusy):
            for _ in range(2000):
                s.send_bytes("sink", chunk)
            s.recv(timeout=2)
        s.ping()  # and the connection is still fine


def test_broker_ping_is_answered(make_broker: Any) -> None:
    br = make_broker({"idle_timeout": 0.3})
    with br.connect("a", keepalive=None) as a:
        # Idle for several idle_timeouts, but reading: the broker's PINGs get PONGs.
        with pytest.raises(TimeoutError):
            a.recv(timeout=1.5)
        a.ping()


def test_idle_timeout_without_reading(make_broker: Any) -> None:
    br = make_broker({"idle_timeout": 0.3})
    with br.connect("a", keepalive=None) as a:
        time.sleep(1.5)  # nobody reads, nobody answers the broker's PING
        with pytest.raises(mprelay.IdleTimeout):
            a.recv(timeout=2)
        assert a.closed


def test_keepalive_keeps_a_busy_peer_registered(make_broker: Any) -> None:
    br = make_broker({"idle_timeout": 0.5})
    with br.connect("a", keepalive=0.1) as a:
        time.sleep(2)  # busy elsewhere; the keepalive thread pings
        assert a.ping() < 1
        assert a.peers() == ["a"]


def test_kicked_by_a_reload(make_broker: Any) -> None:
    br = make_broker()
    a = br.connect("a", reconnect=True)
    try:
        br.authkey = b"a different key"  # the key a proved is no longer configured
        assert "applied" in br.reload(endpoints=[dict(e, authkey=br.authkey.decode()) for e in br.endpoints])
        with pytest.raises(mprelay.Kicked) as info:
            a.recv(timeout=5)
        assert info.value.code == 11 and isinstance(info.value, mprelay.Disconnected)
        assert a.closed  # a kicked peer does not come back by itself, even with reconnect
        with pytest.raises(mprelay.Kicked):
            a.send("a", 1)
        with br.connect("b") as b:  # the new key gets in
            b.ping()
    finally:
        a.close()
