"""docs/PROTOCOL.md §3, Envelopes: what does not decode, and the order rules around HELLO."""

import struct

import pytest

import docwire as w
from labels import case

UNKNOWN_KINDS = [0x00, 0x0F, 0x7F, 0xFF]

# One well-formed example of every kind, as a client could send it.
WELL_FORMED = {
    w.HELLO: w.hello(b"again"),
    w.WELCOME: w.welcome(1 << 24),
    w.SEND: w.send(b"nobody", b"x", cid=1),
    w.DELIVER: w.send(b"nobody", b"x", cid=1, kind=w.DELIVER),
    w.ERROR: w.error(w.UNKNOWN_PEER, 1, b"nobody", b"text"),
    w.ACK: w.with_id(w.ACK, 1),
    w.PING: w.with_id(w.PING, 1),
    w.PONG: w.with_id(w.PONG, 1),
    w.GOODBYE: w.goodbye(w.LEAVING, b"bye"),
    w.LIST: w.with_id(w.LIST, 1),
    w.PEERS: w.peers(1, [b"a"]),
    w.WATCH: w.watch(1, 1),
    w.JOINED: w.presence(w.JOINED, b"a"),
    w.LEFT: w.presence(w.LEFT, b"a"),
}
NOT_HELLO = [k for k in sorted(WELL_FORMED) if k != w.HELLO]


def kind_id(kind):
    return w.KIND_NAMES.get(kind, "0x%02x" % kind)


# Undecodable envelopes after HELLO.

WRONG_LENGTHS = {
    "HELLO-name-past-end": bytes([w.HELLO, 1, 5]) + b"abc",
    "HELLO-trailing-byte": w.hello(b"abc") + b"x",
    "SEND-header-cut": w.send(b"b", cid=1)[:11],
    "SEND-name-past-end": struct.pack(">BBBQB", w.SEND, 0, 0, 1, 9) + b"abc",
    "PING-8": w.with_id(w.PING, 1)[:8],
    "PING-10": w.with_id(w.PING, 1) + b"\0",
    "PONG-10": w.with_id(w.PONG, 1) + b"\0",
    "LIST-8": w.with_id(w.LIST, 1)[:8],
    "LIST-10": w.with_id(w.LIST, 1) + b"\0",
    "WATCH-9": w.watch(1, 1)[:9],
    "WATCH-11": w.watch(1, 1) + b"\0",
    "GOODBYE-2": w.goodbye()[:2],
    "kind-only-SEND": bytes([w.SEND]),
}


def test_an_envelope_of_the_wrong_length_is_malformed(relay, connect):
    """§3: "An envelope must be exactly as long as its layout says" and "A broker that gets an
    envelope it cannot decode answers ERROR `malformed frame` (4) and closes the connection. That
    includes ... a length other than the layout's"."""
    for label, body in WRONG_LENGTHS.items():
        with case(label):
            client = connect(relay, label.encode())
            client.send(body)
            client.expect_error_and_close(w.MALFORMED_FRAME)


def test_an_empty_frame_body_is_malformed(relay, connect):
    """§3: "That includes an empty frame body"."""
    client = connect(relay, b"empty")
    client.send(b"")
    client.expect_error_and_close(w.MALFORMED_FRAME)


def test_an_unknown_kind_after_hello_is_malformed(relay, connect):
    """§3: "That includes ... a kind byte that is not in the table above (for example `0x00`,
    `0x0F`, `0x7F`, `0xFF`)"."""
    for kind in UNKNOWN_KINDS:
        with case(kind_id(kind)):
            client = connect(relay, b"unknown-kind-%d" % kind)
            client.send(bytes([kind]) + b"\0" * 8)
            client.expect_error_and_close(w.MALFORMED_FRAME)


def test_variable_parts_run_to_the_end_of_the_frame(relay, connect):
    """§3: "SEND, DELIVER, ERROR and GOODBYE end with a variable part that runs to the end of the
    frame": a SEND payload may be any length, empty included, and arrives whole."""
    a = connect(relay, b"var-a")
    b = connect(relay, b"var-b")
    for payload in (b"", b"\0", bytes(range(256)) * 3):
        a.send(w.send(b"var-b", payload, cid=len(payload)))
        b.expect(w.DELIVER, payload=payload, cid=len(payload))


# Order: HELLO first.

@pytest.mark.parametrize("kind", NOT_HELLO, ids=kind_id)
def test_before_hello_every_other_kind_is_unexpected(relay, connect, kind):
    """§3, order: "HELLO must be the first envelope. Before it the broker looks only at the kind
    byte of anything that is not a HELLO: any other kind of the table (SEND, LIST, WATCH, PING,
    PONG, GOODBYE, and the broker-only kinds) gets ERROR `unexpected envelope` (9) and a close,
    however the rest of the frame looks"."""
    shapes = {"well-formed": WELL_FORMED[kind], "kind-only": bytes([kind]), "garbled": bytes([kind]) + b"\xff" * 3}
    for shape, body in shapes.items():
        with case(shape):
            client = connect(relay)
            client.send(body)
            client.expect_error_and_close(w.UNEXPECTED_ENVELOPE)


def test_before_hello_an_unknown_kind_is_malformed(relay, connect):
    """§3, order: "an unknown kind gets ERROR `malformed frame` (4) and a close" (before HELLO)."""
    for kind in UNKNOWN_KINDS:
        with case(kind_id(kind)):
            client = connect(relay)
            client.send(bytes([kind]) + w.hello(b"x")[1:])
            client.expect_error_and_close(w.MALFORMED_FRAME)


def test_before_hello_an_empty_frame_is_malformed(relay, connect):
    """§3: an empty frame body is "an envelope it cannot decode": ERROR 4 and a close, before
    HELLO as after it (it has no kind byte to be a known kind)."""
    client = connect(relay)
    client.send(b"")
    client.expect_error_and_close(w.MALFORMED_FRAME)


def test_a_second_hello_is_unexpected(relay, connect):
    """§3, order: "After HELLO, a second HELLO ... gets ERROR 9 and a close" (for the same name
    or another)."""
    for name in (b"twice", b"other"):
        client = connect(relay, b"first-" + name)
        client.send(w.hello(name))
        client.expect_error_and_close(w.UNEXPECTED_ENVELOPE)


def test_after_hello_a_broker_only_kind_is_unexpected(relay, connect):
    """§3, order: "After HELLO, ... any kind that only the broker sends (WELCOME, DELIVER, ERROR,
    ACK, PEERS, JOINED, LEFT), gets ERROR 9 and a close"."""
    for kind in w.BROKER_ONLY_KINDS:
        with case(kind_id(kind)):
            client = connect(relay, b"client-" + kind_id(kind).encode())
            client.send(WELL_FORMED[kind])
            client.expect_error_and_close(w.UNEXPECTED_ENVELOPE)
