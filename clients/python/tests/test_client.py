"""The blocking client against a real mprelayd: messages, errors, timeouts, presence, addresses."""

from __future__ import annotations

import pickle
import socket
import time
from multiprocessing.connection import wait
from typing import Any

import pytest

import mprelay
from mprelay import protocol as P
from conftest import AUTHKEY, Broker

MiB = 1024 * 1024


def test_pickled_and_raw_round_trip(broker: Broker, names: Any) -> None:
    a_name, b_name = names("alice"), names("bob")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        obj = {"job": 1, "data": [1.5, None, ("x", b"\x00\xff")], "set": {1, 2}}
        cid1 = a.send(b_name, obj)
        cid2 = a.send_bytes(b_name, b"raw bytes")
        cid3 = a.send_bytes(b_name, bytearray(b""))
        assert len({cid1, cid2, cid3}) == 3 and cid2 == cid1 + 1  # fresh ids, one counter

        m = b.recv(timeout=5)
        assert isinstance(m, mprelay.Message)
        assert (m.sender, m.payload, m.flags, m.correlation_id) == (a_name, obj, P.FLAG_PICKLE, cid1)
        assert m.pickled and not m.is_reply

        m = b.recv(timeout=5)
        assert (m.payload, m.data, m.flags, m.correlation_id) == (b"raw bytes", b"raw bytes", 0, cid2)

        assert b.recv_bytes(timeout=5) == b""

        a.send(b_name, [1, 2, 3])
        raw = b.recv_bytes(timeout=5)  # the pickle itself, flag or not
        assert pickle.loads(raw) == [1, 2, 3]

        a.send_bytes(b_name, memoryview(b"flagged"), flags=0x80)
        m = b.recv(timeout=5)
        assert (m.data, m.flags) == (b"flagged", 0x80)


def test_order_is_kept_per_pair(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        for i in range(500):
            a.send(b_name, i)
        assert [b.recv(timeout=5).payload for _ in range(500)] == list(range(500))


def test_confirm(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        cid = a.send(b_name, "hello", confirm=True)
        assert b.recv(timeout=5).correlation_id == cid
        with pytest.raises(mprelay.UnknownPeer) as info:
            a.send(names("nobody"), "hello", confirm=True)
        err = info.value
        assert err.code == 1 and err.peer and err.peer.startswith("nobody-")
        assert err.correlation_id == cid + 1
        assert a.send_bytes(b_name, b"still fine", confirm=True) == cid + 2


def test_unconfirmed_error_surfaces_in_recv(broker: Broker, names: Any) -> None:
    a_name, b_name, ghost = names("a"), names("b"), names("ghost")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        cid = a.send(ghost, "lost?")
        b.send(a_name, "after")  # arrives after the error: the error comes first
        time.sleep(0.2)
        with pytest.raises(mprelay.UnknownPeer) as info:
            a.recv(timeout=5)
        assert (info.value.correlation_id, info.value.peer) == (cid, ghost)
        assert a.recv(timeout=5).payload == "after"


def test_unconfirmed_error_surfaces_in_poll_and_send(broker: Broker, names: Any) -> None:
    a_name, b_name, ghost = names("a"), names("b"), names("ghost")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        cid = a.send_bytes(ghost, b"1")
        with pytest.raises(mprelay.UnknownPeer) as info:
            a.poll(2.0)
        assert info.value.correlation_id == cid
        assert a.poll(0.05) is False

        cid = a.send_bytes(ghost, b"2")
        time.sleep(0.2)  # the ERROR arrives; the next send sees it before sending
        with pytest.raises(mprelay.UnknownPeer) as info:
            a.send_bytes(b_name, b"not sent")
        assert (info.value.correlation_id, info.value.peer) == (cid, ghost)
        a.send_bytes(b_name, b"sent")
        assert b.recv_bytes(timeout=5) == b"sent"  # the interrupted send did not go out
        assert not b.poll(0.2)


def test_request_reply(broker: Broker, names: Any) -> None:
    a_name, b_name = names("client"), names("server")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        import threading

        def serve() -> None:
            for _ in range(3):
                msg = b.recv(timeout=5)
                assert isinstance(msg, mprelay.Message)
                if isinstance(msg.payload, bytes):
                    msg.reply_bytes(msg.payload.upper())
                else:
                    msg.reply(msg.payload * 2)

        t = threading.Thread(target=serve)
        t.start()
        assert a.request(b_name, 21, timeout=5) == 42
        assert a.request(b_name, "ab", timeout=5) == "abab"
        reply = a.request_bytes(b_name, b"raw", timeout=5)
        assert reply.data == b"RAW" and reply.is_reply and reply.sender == b_name
        t.join()

        with pytest.raises(mprelay.UnknownPeer):
            t0 = time.monotonic()
            a.request(names("nobody"), 1, timeout=5)
        assert time.monotonic() - t0 < 2  # at once, not after the timeout

        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            a.request(b_name, "never answered", timeout=0.3)
        assert 0.25 < time.monotonic() - t0 < 2

        # A late answer is not lost: it arrives as an ordinary message marked as a reply.
        m = b.recv(timeout=5)
        m.reply("late")
        late = a.recv(timeout=5)
        assert late.is_reply and late.payload == "late" and late.correlation_id == m.correlation_id


def test_reply_needs_a_correlation_id(broker: Broker, names: Any) -> None:
    a_name = names("a")
    with broker.connect(a_name) as a:
        with pytest.raises(ValueError):
            mprelay.Message(a_name, b"", correlation_id=0, peer=a).reply(1)


def test_recv_timeout(broker: Broker, names: Any) -> None:
    with broker.connect(names("a")) as a:
        for timeout in (0, 0.2):
            t0 = time.monotonic()
            with pytest.raises(TimeoutError):
                a.recv(timeout=timeout)
            assert timeout <= time.monotonic() - t0 < timeout + 1
        assert a.poll() is False
        assert a.poll(0.1) is False


def test_peers_ping(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name):
        listed = a.peers()
        assert a_name in listed and b_name in listed
        assert listed == sorted(listed, key=lambda n: n.encode())
        rtt = a.ping()
        assert isinstance(rtt, float) and 0 < rtt < 1
    with broker.connect(names("c")) as c:
        assert b_name not in c.peers()


def test_presence(broker: Broker, names: Any) -> None:
    w_name, j_name = names("watcher"), names("joiner")
    with broker.connect(w_name) as w:
        w.watch()
        assert w.watching
        j = broker.connect(j_name)
        j.send(w_name, "first")
        j.send(w_name, "second")
        j.close()
        got = [w.recv(timeout=5) for _ in range(4)]
        assert got[0] == mprelay.PeerJoined(j_name)
        assert [m.payload for m in got[1:3]] == ["first", "second"]
        assert got[3] == mprelay.PeerLeft(j_name) and got[3].name == j_name
        # Other peers of the shared broker may come and go: ignore theirs.
        w.unwatch()
        assert not w.watching
        k = broker.connect(names("quiet"))
        k.close()
        with pytest.raises(TimeoutError):
            while True:
                item = w.recv(timeout=0.3)
                assert not isinstance(item, mprelay.PresenceEvent) or "quiet" not in item.name


def test_recv_bytes_leaves_presence_events(broker: Broker, names: Any) -> None:
    w_name = names("w")
    with broker.connect(w_name) as w:
        w.watch()
        broker.connect(names("x")).close()
        assert w.poll(5)
        with pytest.raises(RuntimeError, match="PeerJoined"):
            w.recv_bytes(timeout=1)
        assert isinstance(w.recv(timeout=1), mprelay.PeerJoined)


def test_name_taken_and_invalid(broker: Broker, names: Any) -> None:
    name = names("unique")
    with broker.connect(name):
        with pytest.raises(mprelay.NameTaken) as info:
            broker.connect(name)
        assert info.value.code == 2
    with broker.connect(name):  # free again after close
        pass
    with pytest.raises(mprelay.InvalidName):
        broker.connect("two words")
    with broker.connect(names("a")) as a:
        with pytest.raises(mprelay.InvalidName):
            a.send("bad*name", 1)
        a.ping()  # the connection is unaffected: nothing was sent


def test_invalid_name_in_hello_is_refused_by_the_broker(broker: Broker) -> None:
    # The client refuses bad names itself; here the HELLO goes out anyway, to check the broker
    # answers ERROR 7 (invalid name) naming it, as PROTOCOL.md section 3.2 says.
    from mprelay.link import handshake

    with pytest.raises(mprelay.InvalidName) as info:
        handshake(broker.address, AUTHKEY, b"a b", 5)
    assert info.value.code == 7 and info.value.peer == "a b"


def test_wrong_key(broker: Broker, names: Any) -> None:
    with pytest.raises(mprelay.AuthenticationError):
        broker.connect(names("a"), authkey=b"not the key")
    import multiprocessing

    assert mprelay.AuthenticationError is multiprocessing.AuthenticationError


def test_authkey_from_environment(broker: Broker, names: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPRELAY_AUTHKEY", AUTHKEY.decode())
    with mprelay.connect(broker.address, name=names("env"), timeout=5) as p:
        p.ping()
    monkeypatch.setenv("MPRELAY_AUTHKEY", "wrong")
    with pytest.raises(mprelay.AuthenticationError):
        mprelay.connect(broker.address, name=names("env"), timeout=5)


def test_message_too_large_locally(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        assert a.max_message_bytes == 16 * MiB
        with pytest.raises(mprelay.MessageTooLarge) as info:
            a.send_bytes(b_name, bytes(16 * MiB + 1))
        assert info.value.peer == b_name and info.value.code == 3
        a.send_bytes(b_name, bytes(16 * MiB))  # exactly the limit is fine
        assert len(b.recv_bytes(timeout=10)) == 16 * MiB


def test_message_too_large_at_the_broker(make_broker: Any) -> None:
    # Bypass the client's own check to see the broker's verdict: ERROR 3, connection kept.
    br = make_broker({"max_message_bytes": 1000, "max_outbound_bytes": 65536})
    with br.connect("a") as a, br.connect("b"):
        a._max_message_bytes = 10 ** 6
        with pytest.raises(mprelay.MessageTooLarge) as info:
            a.send_bytes("b", bytes(1001), confirm=True)
        assert info.value.peer == "b" and info.value.code == 3 and "1000" in info.value.text
        a.send_bytes("b", bytes(1000), confirm=True)


def test_32_mib_payload(make_broker: Any) -> None:
    br = make_broker({"max_message_bytes": 32 * MiB, "max_outbound_bytes": 64 * MiB})
    with br.connect("a") as a, br.connect("b") as b:
        assert a.max_message_bytes == 32 * MiB
        payload = bytes(range(256)) * (32 * MiB // 256)
        a.send_bytes("b", payload, confirm=True, timeout=20)
        got = b.recv(timeout=20)
        assert got.data == payload and got.sender == "a"
        with pytest.raises(mprelay.MessageTooLarge):
            a.send_bytes("b", payload + b"!")


def test_protocol_error_from_the_broker(broker: Broker, names: Any) -> None:
    with broker.connect(names("a")) as a:
        # A SEND with an option bit the protocol does not define: the broker answers ERROR 4
        # (malformed frame) and closes the connection.
        link = a._link
        assert link is not None
        link.write(P.frame(P.encode_send("x", b"", options=0x80, correlation_id=1)))
        with pytest.raises(mprelay.ProtocolError) as info:
            a.recv(timeout=5)
        assert info.value.code == 4
        with pytest.raises(mprelay.ProtocolError):
            a.ping()
        assert a.closed


def test_unexpected_envelope_from_the_client(broker: Broker, names: Any) -> None:
    with broker.connect(names("a")) as a:
        link = a._link
        assert link is not None
        link.write(P.frame(P.encode_hello("again")))  # a second HELLO
        with pytest.raises(mprelay.UnexpectedEnvelope) as info:
            a.recv(timeout=5)
        assert info.value.code == 9 and isinstance(info.value, mprelay.ProtocolError)


@pytest.mark.parametrize("kind", ["inet", "abstract", "unix"])
def test_address_forms(broker: Broker, names: Any, kind: str) -> None:
    address = broker.by_kind(kind)
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name, address=address) as a, broker.connect(b_name, address=broker.address) as b:
        a.send(b_name, kind)
        assert b.recv(timeout=5).payload == kind
        b.send(a_name, kind.upper())
        assert a.recv(timeout=5).payload == kind.upper()


def test_stdlib_client_gets_in(broker: Broker) -> None:
    # The handshake is multiprocessing's: the stdlib Client itself connects and can speak v1.
    from multiprocessing.connection import Client

    for address in (broker.by_kind("inet"), broker.by_kind("abstract"), broker.by_kind("unix")):
        with Client(address, authkey=AUTHKEY) as conn:
            conn.send_bytes(P.encode_hello("stdlib-%d" % id(address)))
            assert isinstance(P.decode(conn.recv_bytes()), P.Welcome)


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6(make_broker: Any) -> None:
    br = make_broker(endpoints=["[::1]:0"])
    address = br.by_kind("inet6")
    assert address[0] == "::1"
    with br.connect("a", address=address) as a, br.connect("b", address=address) as b:
        a.send("b", "over IPv6")
        assert b.recv(timeout=5).payload == "over IPv6"


def test_connection_refused(tmp_path: Any) -> None:
    with pytest.raises(OSError):
        mprelay.connect(str(tmp_path / "nothing.sock"), authkey=b"k", name="a", timeout=1)


def test_multiprocessing_wait(broker: Broker, names: Any) -> None:
    a_name, b_name, c_name = names("a"), names("b"), names("c")
    with broker.connect(a_name) as a, broker.connect(b_name) as b, broker.connect(c_name) as c:
        assert wait([b, c], timeout=0.1) == []
        a.send(c_name, "to c")
        ready = wait([b, c], timeout=5)
        assert ready == [c]
        assert c.poll() and c.recv().payload == "to c"
        # Items already buffered in the peer make it ready although its socket is not.
        a.send(b_name, 1)
        a.send(b_name, 2)
        assert b.recv(timeout=5).payload == 1
        while not b.poll():
            time.sleep(0.01)
        assert wait([b], timeout=1) == [b]
        assert b.recv(timeout=1).payload == 2


def test_closed_peer(broker: Broker, names: Any) -> None:
    a = broker.connect(names("a"))
    a.close()
    a.close()  # twice is fine
    assert a.closed and not a.connected
    for call in (lambda: a.recv(timeout=1), lambda: a.send("x", 1), a.ping, a.peers, a.fileno):
        with pytest.raises(mprelay.Disconnected):
            call()


def test_close_wakes_a_blocked_recv(broker: Broker, names: Any) -> None:
    import threading

    a = broker.connect(names("a"))
    errors = []

    def blocked() -> None:
        try:
            a.recv()
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=blocked)
    t.start()
    time.sleep(0.2)
    a.close()
    t.join(5)
    assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], mprelay.Disconnected)
