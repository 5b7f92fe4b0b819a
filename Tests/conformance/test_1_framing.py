"""docs/PROTOCOL.md §1, Framing: both header forms, the limits, negative lengths."""

import struct
import time

import pytest

import docwire as w
import dochandshake as hs
from docclient import DocClient
from labels import case


def test_every_message_is_a_length_header_then_the_body(relay):
    """§1: "Every message in both phases is a *frame*: a length header, then that many body
    bytes." The broker's challenge (message 1) is 4 header bytes, then exactly that body."""
    client = DocClient(relay.addr)
    (n,) = struct.unpack(">i", client.recv_exact(4))
    body = client.recv_exact(n)
    assert body.startswith(hs.CHALLENGE) and n == len(body) == 11 + 8 + 40
    client.expect_silence()
    client.close()


def test_the_broker_writes_the_four_byte_form(relay, connect):
    """§1: "The broker ... writes the 4-byte form whenever the length fits." Handshake frames and
    envelopes alike arrive with a 4-byte header equal to the body's length."""
    client = DocClient(relay.addr)
    challenge_header = client.recv_exact(4)
    assert challenge_header == struct.pack(">i", 59)
    m = hs.strip_challenge(client.recv_exact(59))
    client.send_frame(hs.reply(relay.authkey, m, "sha256"))
    assert client.recv_exact(4 + 9) == struct.pack(">i", 9) + hs.WELCOME
    client.close()
    registered = connect(relay)
    registered.send(w.hello(b"four"))
    assert registered.recv_exact(4) == struct.pack(">i", 10)


@pytest.mark.parametrize("phase", ["handshake", "envelopes"])
def test_the_long_form_is_accepted_for_any_length(relay, phase):
    """§1: "4 bytes `ff ff ff ff` (-1), then 8 bytes unsigned `n`: body of `n` bytes follows" and
    "The broker accepts either form for any length": short frames in the long form are read in
    the handshake (the reply, message 2) and after it (HELLO)."""
    client = DocClient(relay.addr)
    m = hs.strip_challenge(client.recv_frame())
    client.send_frame(hs.reply(relay.authkey, m, "sha256"), long_form=(phase == "handshake"))
    assert client.recv_frame() == hs.WELCOME
    ours = hs.challenge_body("sha256")
    client.send_frame(ours, long_form=(phase == "handshake"))
    assert hs.is_valid_reply(relay.authkey, hs.strip_challenge(ours), client.recv_frame())
    client.send_frame(hs.WELCOME, long_form=(phase == "handshake"))
    client.send_frame(w.hello(b"long"), long_form=(phase == "envelopes"))
    client.expect(w.WELCOME)
    client.send_frame(w.with_id(w.PING, 5), long_form=True)
    client.expect(w.PONG, cid=5)
    client.close()


def test_a_negative_length_other_than_minus_one_is_malformed(relay, connect):
    """§1: "Any other negative 4-byte value is a protocol error: the broker closes the
    connection" and "a negative length other than -1 gets ERROR `malformed frame` (code 4) and a
    close"."""
    for header in (-2, -1000, -0x80000000):
        with case("header %d" % header):
            client = connect(relay, b"negative%d" % header)
            client.send_raw(struct.pack(">i", header))
            client.expect_error_and_close(w.MALFORMED_FRAME)


def test_a_negative_length_in_the_handshake_closes_without_an_envelope(relay):
    """§1: "Any other negative 4-byte value is a protocol error: the broker closes the
    connection." In the handshake, the client has proved no key, so it gets nothing but the
    close (§2: "it has proved no key, so it gets no envelope")."""
    client = DocClient(relay.addr)
    client.recv_frame()
    client.send_raw(struct.pack(">i", -2))
    client.expect_closed()


def test_a_handshake_frame_of_256_bytes_is_read_and_257_is_not(relay):
    """§1: "During the handshake a frame body may be at most 256 bytes (CPython's
    `recv_bytes(256)`)." A 256-byte reply is read and judged (#FAILURE#); a header announcing
    257 bytes is refused with a close and no answer."""
    judged = DocClient(relay.addr)
    judged.recv_frame()
    judged.send_frame(b"{sha256}" + b"x" * (w.HANDSHAKE_FRAME_LIMIT - 8))
    assert judged.recv_frame() == hs.FAILURE
    judged.expect_closed()
    refused = DocClient(relay.addr)
    refused.recv_frame()
    refused.send_raw(struct.pack(">i", w.HANDSHAKE_FRAME_LIMIT + 1))
    refused.expect_closed()


LIMIT = 1024


def test_a_frame_at_the_limit_is_read(daemon, connect):
    """§1: "After it, a frame body may be at most `max_message_bytes + 267` bytes (the payload
    limit plus the largest envelope header, see §3.3)." A SEND with a 255-byte destination and a
    payload of max_message_bytes is read, and answered (nobody holds that name)."""
    relay = daemon(max_message_bytes=LIMIT)
    client = connect(relay, b"at-limit")
    dest = b"d" * 255
    body = w.send(dest, b"p" * LIMIT, cid=3)
    assert len(body) == LIMIT + w.LARGEST_ENVELOPE_HEADER
    client.send(body)
    client.expect(w.ERROR, code=w.UNKNOWN_PEER, cid=3, name=dest)
    client.send(w.with_id(w.PING, 4))
    client.expect(w.PONG, cid=4)


@pytest.mark.parametrize("form", ["short", "long"])
def test_a_header_over_the_limit_is_refused_without_the_body(daemon, connect, form):
    """§1: "A header announcing more is answered with an ERROR `message too large` (code 3) and
    the connection is closed **without reading or allocating the body**." The header alone is
    sent (one byte over the limit, or 2**62 bytes in the long form): the answer comes at once."""
    relay = daemon(max_message_bytes=LIMIT)
    client = connect(relay, b"over-limit")
    if form == "short":
        client.send_raw(struct.pack(">i", LIMIT + w.LARGEST_ENVELOPE_HEADER + 1))
    else:
        client.send_raw(w.LONG_FORM_MARKER + struct.pack(">Q", 1 << 62))
    started = time.monotonic()
    client.expect_error_and_close(w.MESSAGE_TOO_LARGE)
    assert time.monotonic() - started < 2.0
    assert relay.proc.poll() is None


def test_a_client_accepts_answers_longer_than_the_frame_limit(daemon, connect):
    """§1: "A client must accept any length from the broker: a PEERS answer with many names can
    be longer than `max_message_bytes + 267`." With max_message_bytes = 1 (frame limit 268
    bytes), five 200-byte names make a PEERS of over 1000 bytes, and the broker sends it."""
    relay = daemon(max_message_bytes=1)
    names = [bytes([ord("a") + i]) * 200 for i in range(5)]
    for name in names:
        connect(relay, name)
    client = connect(relay, b"lister")
    client.send(w.with_id(w.LIST, 9))
    body = client.recv_frame()
    assert len(body) > 1 + w.LARGEST_ENVELOPE_HEADER
    assert w.decode(body).fields == {"cid": 9, "names": sorted(names + [b"lister"])}
