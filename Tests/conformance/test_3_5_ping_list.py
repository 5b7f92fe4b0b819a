"""docs/PROTOCOL.md §3.5 (ACK, PING, PONG, LIST) and §3.6 (PEERS)."""

import time

import docwire as w


def test_ping_is_answered_by_pong_with_the_same_id(relay, connect):
    """§3.5: "Each is 9 bytes: kind ... then an 8-byte correlation id" and PING "may be sent by
    either side at any time after HELLO ...; the other side answers PONG with the same id"."""
    client = connect(relay, b"pinger")
    for cid in (0, 1, 0xDEADBEEF, (1 << 64) - 1):
        client.send(w.with_id(w.PING, cid))
        assert client.recv_frame() == bytes([0x08]) + cid.to_bytes(8, "big")


def test_ack_is_nine_bytes(relay, connect):
    """§3.5: ACK is 9 bytes, kind `0x06` then the 8-byte id; "ACK answers a SEND with `confirm`,
    and a WATCH"."""
    client = connect(relay, b"acked")
    client.send(w.send(b"acked", b"", cid=0x0A0B, options=w.CONFIRM))
    client.expect(w.DELIVER)
    assert client.recv_frame() == bytes([0x06]) + (0x0A0B).to_bytes(8, "big")
    client.send(w.watch(0x0C0D))
    assert client.recv_frame() == bytes([0x06]) + (0x0C0D).to_bytes(8, "big")


def test_an_unasked_pong_is_ignored(relay, connect):
    """§3.5: "A PONG the broker did not ask for is ignored": no answer, and the connection stays."""
    client = connect(relay, b"ponger")
    client.send(w.with_id(w.PONG, 3))
    client.expect_silence()
    client.send(w.with_id(w.PING, 4))
    client.expect(w.PONG, cid=4)


def test_the_broker_pings_an_idle_peer_and_an_answer_keeps_it(daemon, connect):
    """§3.5: "The broker pings a peer it has heard nothing from for `idle_timeout` seconds";
    answering PONG with the PING's id keeps the connection."""
    relay = daemon(idle_timeout=0.5)
    client = connect(relay, b"idle")
    started = time.monotonic()
    for _ in range(3):
        ping = client.expect(w.PING)
        client.send(w.with_id(w.PONG, ping.fields["cid"]))
    assert time.monotonic() - started >= 1.2
    client.send(w.with_id(w.PING, 8))
    client.expect(w.PONG, cid=8)


def test_a_peer_silent_after_the_ping_is_closed_with_idle_timeout(daemon, connect):
    """§3.5: the broker "closes the connection (ERROR `idle timeout`) if no frame at all arrives
    within another `idle_timeout`"."""
    relay = daemon(idle_timeout=0.5)
    client = connect(relay, b"silent")
    client.expect(w.PING)
    started = time.monotonic()
    client.expect_error_and_close(w.IDLE_TIMEOUT)
    assert 0.3 < time.monotonic() - started < 2.0


def test_any_frame_after_the_ping_counts(daemon, connect):
    """§3.5: "if no frame at all arrives": a frame other than the PONG (here a PING of the
    client's own) is enough to stay."""
    relay = daemon(idle_timeout=0.5)
    client = connect(relay, b"chatty")
    client.expect(w.PING)
    client.send(w.with_id(w.PING, 77))
    client.expect(w.PONG, cid=77)
    client.expect(w.PING)


def test_no_ping_before_welcome(daemon, connect):
    """§3.5: "the broker never pings before its WELCOME": an authenticated client that sends no
    HELLO for longer than idle_timeout gets no PING, only the ERROR 9 of §2's time limit."""
    relay = daemon(idle_timeout=0.2, handshake_timeout=1.0)
    client = connect(relay)
    client.expect_error_and_close(w.UNEXPECTED_ENVELOPE)


def test_list_is_answered_by_peers(relay, connect):
    """§3.5: "LIST asks for the registered names; the answer is PEERS"; §3.6: PEERS is "kind
    `0x0B`", "correlation id of the LIST", "count `N`", "`N` names, each a length byte and the
    bytes, sorted bytewise"."""
    names = [b"zeta", b"Alpha", b"alpha", "émile".encode(), b"a", b"a-1", b"_"]
    for name in names:
        connect(relay, name)
    lister = connect(relay, b"lister")
    lister.send(w.with_id(w.LIST, 0x1234))
    expected = sorted(names + [b"lister"])
    assert lister.recv_frame() == (bytes([0x0B]) + (0x1234).to_bytes(8, "big") + len(expected).to_bytes(4, "big")
                                   + b"".join(bytes([len(n)]) + n for n in expected))
