"""The frame layer without a socket: whole frames out of any split of a stream, batches of SENDs."""

from __future__ import annotations

import random
from typing import List

import pytest

from mprelay import protocol as P
from mprelay.errors import ProtocolError
from mprelay.framing import FrameBuffer, Parsed, SendHeader, parse_frames, send_frames

COUNT = 10000


def stream_of(count: int, seed: int = 15) -> "tuple[bytes, List[Parsed]]":
    """``count`` frames of every kind the broker sends, mostly DELIVERs of varied sizes, and what
    the parser must make of each."""
    rng = random.Random(seed)
    senders = ["a", "worker-7", "\u00e9t\u00e9", "x" * 255]
    out = bytearray()
    expected: List[Parsed] = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.9:
            sender = senders[i % len(senders)]
            payload = bytes(rng.getrandbits(8) for _ in range(rng.choice((0, 1, 7, 33, 90))))
            options = P.OPT_REPLY if i % 13 == 0 else 0
            body = P.encode(P.Deliver(sender, payload, options, i % 256, i * 7919))
            expected.append((sender, payload, i % 256, i * 7919, options))
        elif roll < 0.95:
            body = P.encode(P.Ping(i))
            expected.append(body)
        else:
            body = P.encode(P.Error(6, i, "bob", "peer busy"))
            expected.append(body)
        out += P.frame(body)
    return bytes(out), expected


@pytest.fixture(scope="module")
def stream() -> "tuple[bytes, List[Parsed]]":
    return stream_of(COUNT)


def test_every_byte_boundary(stream: "tuple[bytes, List[Parsed]]") -> None:
    # One byte per read: every position of the stream is a read boundary, inside length
    # prefixes, headers, names and payloads alike.
    data, expected = stream
    frames = FrameBuffer()
    got: List[Parsed] = []
    for i in range(len(data)):
        got += frames.feed(data[i : i + 1])
    assert got == expected


@pytest.mark.parametrize("chunk", [2, 3, 5, 16, 17, 255, 4096, 65537, 10**7])
def test_reads_of_other_sizes(stream: "tuple[bytes, List[Parsed]]", chunk: int) -> None:
    data, expected = stream
    frames = FrameBuffer(size=64 * 1024)
    got: List[Parsed] = []
    for i in range(0, len(data), chunk):
        got += frames.feed(data[i : i + chunk])
    assert got == expected


def test_a_frame_larger_than_the_buffer_grows_it_and_gives_it_back() -> None:
    big = b"\xab" * 300_000
    data = P.frame(P.encode(P.Deliver("a", big))) + P.frame(P.encode(P.Deliver("b", b"small")))
    frames = FrameBuffer(size=4096)
    got: List[Parsed] = []
    for i in range(0, len(data), 1000):
        got += frames.feed(data[i : i + 1000])
        assert frames.capacity in (4096, 4 + 12 + 1 + len(big))
    assert got == [("a", big, 0, 0, 0), ("b", b"small", 0, 0, 0)]
    assert frames.capacity == 4096


def test_long_length_form() -> None:
    # Bodies over 2 GiB use ff ff ff ff and an 8-byte length; the parser reads that form at any size.
    body = P.encode(P.Deliver("a", b"long form"))
    data = b"\xff\xff\xff\xff" + len(body).to_bytes(8, "big") + body
    out: List[Parsed] = []
    assert parse_frames(data, {}, out) == (len(data), 0)
    assert out == [("a", b"long form", 0, 0, 0)]


@pytest.mark.parametrize(
    "body, why",
    [
        (b"", "empty envelope"),
        (b"\x04\x00\x00" + bytes(8) + b"\x05ab", "name runs past the end"),
        (b"\x04\x00\x00" + bytes(8) + b"\x00", "empty name"),
        (b"\x04\x80\x00" + bytes(8) + b"\x01a", "unknown option bits"),
        (b"\x04\x00\x00" + bytes(8) + b"\x01\xff", "sender is not UTF-8"),
    ],
)
def test_malformed_frames_end_the_parse(body: bytes, why: str) -> None:
    good = P.frame(P.encode(P.Deliver("a", b"before")))
    out: List[Parsed] = []
    parse_frames(good + P.frame(body) + good, {}, out)
    assert out[0] == ("a", b"before", 0, 0, 0) and len(out) == 2
    assert isinstance(out[1], ProtocolError) and why in str(out[1])


def test_negative_length() -> None:
    out: List[Parsed] = []
    parse_frames(b"\xff\xff\xff\xfe" + bytes(20), {}, out)
    assert len(out) == 1 and isinstance(out[0], ProtocolError) and "-2" in str(out[0])


def test_send_frames_are_the_codec_s_sends() -> None:
    header = SendHeader(P.validate_name("bob"))
    payloads = [b"", b"x", bytearray(b"yz"), memoryview(b"w" * 1000)]
    data = send_frames(header, payloads, 0x80, [5, 6, 7, 8])
    single = header.frame(b"x", 1, 0x80, P.OPT_CONFIRM, 9)
    out: List[Parsed] = []
    assert parse_frames(data + single, {}, out) == (len(data) + len(single), 0)
    assert [P.decode(body) for body in out if isinstance(body, bytes)] == [
        P.Send("bob", bytes(p), 0, 0x80, cid) for p, cid in zip(payloads, [5, 6, 7, 8])
    ] + [P.Send("bob", b"x", P.OPT_CONFIRM, 0x80, 9)]
