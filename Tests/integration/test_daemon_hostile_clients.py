"""Misbehaving clients are answered (ERROR and/or close) without harm to anyone else.

Every test runs a bystander pair that exchanges messages before, during and after the abuse.
"""

import socket
import struct
from multiprocessing.connection import Client

import pytest

import relaywire as rw
from relaywire import read_until_closed

RSS_JUMP_KIB = 32 * 1024  # a body buffer for any oversize header would be far above this


@pytest.fixture
def guarded(relay):
    """The relay, with a bystander pair exchanging before, during and after the test."""
    rw.exchange_check(relay.by_kind("unix"), relay.authkey, "before-a", "before-b")
    steady = rw.Bystander(relay.by_kind("abstract"), relay.authkey)
    yield relay
    rounds = steady.stop()
    assert rounds > 0, "the bystander pair exchanged nothing during the test"
    rw.exchange_check(relay.by_kind("inet"), relay.authkey, "after-a", "after-b")


def registered_socket(relay, name, kind="inet"):
    """A registered stock Client, and a raw socket on its descriptor for writing raw bytes."""
    peer = rw.Peer(relay.by_kind(kind), relay.authkey, name)
    return peer, rw.raw_socket(peer.conn)



def split_frames(data):
    frames = []
    while data:
        (n,) = struct.unpack(">i", data[:4])
        assert 0 <= n <= len(data) - 4, "broker wrote a bad frame: %r" % data
        frames.append(rw.decode(data[4:4 + n]))
        data = data[4 + n:]
    return frames


def assert_error_then_closed(envelopes, code, peer="", allow_silent_close=False):
    if allow_silent_close and not envelopes:
        return
    assert [e.kind for e in envelopes] == [rw.ERROR], "expected one ERROR %d then close, got %r" % (code, envelopes)
    f = envelopes[0].fields
    assert f["code"] == code, "expected ERROR %d, got %r" % (code, f)
    assert f["peer"] == peer, f


OVERSIZE_HEADERS = {
    "0x7fffffff": struct.pack(">i", 0x7FFFFFFF),
    "-1 then 2**62": struct.pack(">iQ", -1, 2 ** 62),
    "-1 then limit+1": struct.pack(">iQ", -1, 16777216 + 267 + 1),
    "just over the frame limit": struct.pack(">i", 16777216 + 267 + 1),
    "negative -2": struct.pack(">i", -2),
    "negative 0x80000000": struct.pack(">I", 0x80000000),
}


@pytest.mark.parametrize("header", sorted(OVERSIZE_HEADERS))
@pytest.mark.parametrize("registered", [True, False], ids=["after-hello", "before-hello"])
def test_oversize_length_prefix_closes_without_reading_body(guarded, header, registered):
    relay = guarded
    rss_before = relay.rss_kib()
    if registered:
        peer, sock = registered_socket(relay, "big")
    else:
        peer = None
        conn = Client(relay.by_kind("inet"), authkey=relay.authkey)
        sock = rw.raw_socket(conn)
    sock.sendall(OVERSIZE_HEADERS[header] + b"x" * 64)  # a little of the "body", never all of it
    frames = split_frames(read_until_closed(sock, timeout=3.0))
    rss_after = relay.rss_kib()
    sock.close()
    if peer:
        peer.close()
    else:
        conn.close()
    # ERROR malformed frame (4) per the framing section, or message too large (3) per the error
    # table ("a frame header over the frame limit"); a bare close is also acceptable.
    assert len(frames) <= 1, frames
    if frames:
        assert frames[0].kind == rw.ERROR and frames[0].fields["code"] in (rw.E_MALFORMED, rw.E_TOO_LARGE), frames
    assert rss_after - rss_before < RSS_JUMP_KIB, "daemon RSS grew from %d to %d KiB" % (rss_before, rss_after)
    relay.wait_for_log(r"protocol error from .*closing|disconnected")


def test_oversize_headers_repeated_do_not_grow_rss(guarded):
    relay = guarded
    rss_before = relay.rss_kib()
    for i in range(20):
        peer, sock = registered_socket(relay, "big-%d" % i, kind="unix")
        sock.sendall(struct.pack(">iQ", -1, 2 ** 62 - i))
        read_until_closed(sock, timeout=3.0)
        sock.close()
        peer.close()
    rss_after = relay.rss_kib()
    print("\ndaemon VmRSS around 20 oversize headers: %d -> %d KiB" % (rss_before, rss_after))
    assert rss_after - rss_before < RSS_JUMP_KIB


def test_unframed_garbage_after_handshake(guarded):
    peer, sock = registered_socket(guarded, "garbler")
    sock.sendall(b"GET / HTTP/1.1\r\nHost: mprelay\r\n\r\n")  # header 0x47455420: far over the limit
    frames = split_frames(read_until_closed(sock))
    assert len(frames) <= 1 and all(f.kind == rw.ERROR for f in frames), frames
    sock.close()
    peer.close()


def test_garbage_envelopes_after_handshake(guarded):
    relay = guarded
    for i, body in enumerate([b"\xfe\xfe\xfe\xfe", b"\x00", b"", b"\x01", b"\x03\x00\x00"]):
        peer = rw.Peer(relay.by_kind("inet"), relay.authkey, "garbage-%d" % i)
        peer.send_raw(body)
        assert_error_then_closed(peer.drain(), rw.E_MALFORMED)
        peer.close()


def test_garbage_before_handshake(guarded):
    relay = guarded
    # Unframed bytes as the first thing said, without reading the challenge.
    sock = socket.create_connection(relay.by_kind("inet"))
    sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 200)  # a TLS ClientHello
    read_until_closed(sock)
    sock.close()
    # A well-framed but wrong reply to the challenge.
    sock = socket.create_connection(relay.by_kind("inet"))
    sock.sendall(struct.pack(">i", 16) + b"\x00" * 16)
    data = read_until_closed(sock)
    assert b"#WELCOME#" not in data, data
    sock.close()
    # A reply longer than the 256-byte handshake limit.
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(relay.by_kind("unix"))
    sock.sendall(struct.pack(">i", 100000) + b"\x00" * 1000)
    read_until_closed(sock)
    sock.close()
    relay.wait_for_log(r"^\[WARNING/Connection-\d+\] authentication failed from .*invalid handshake frame")


@pytest.mark.parametrize("body", [
    rw.send("anyone", b"x", cid=5),
    rw.list_peers(1),
    rw.watch(2),
    rw.ping(3),
    rw.send("anyone", b"forged", cid=6, kind=rw.DELIVER),
], ids=["send", "list", "watch", "ping", "deliver"])
def test_envelope_before_hello_is_unexpected(guarded, body):
    conn = Client(guarded.by_kind("inet"), authkey=guarded.authkey)
    peer = rw.Peer.wrap(conn)
    conn.send_bytes(body)
    assert_error_then_closed(peer.drain(), rw.E_UNEXPECTED)
    conn.close()


def test_hello_twice(guarded):
    peer = rw.Peer(guarded.by_kind("inet"), guarded.authkey, "twice")
    peer.send_raw(rw.hello("twice-again"))
    assert_error_then_closed(peer.drain(), rw.E_UNEXPECTED)
    # The name is free again once that connection is gone.
    rw.Peer(guarded.by_kind("unix"), guarded.authkey, "twice").close()


def test_unknown_envelope_kind(guarded):
    peer = rw.Peer(guarded.by_kind("inet"), guarded.authkey, "unknown-kind")
    peer.send_raw(b"\x42" + b"\x00" * 8)
    assert_error_then_closed(peer.drain(), rw.E_MALFORMED)


def test_hello_with_taken_name(guarded):
    owner = rw.Peer(guarded.by_kind("inet"), guarded.authkey, "owner")
    thief = rw.Peer(guarded.by_kind("unix"), guarded.authkey)
    thief.send_raw(rw.hello("owner"))
    assert_error_then_closed(thief.drain(), rw.E_NAME_TAKEN, peer="owner")
    # The owner keeps its name and its messages.
    other = rw.Peer(guarded.by_kind("abstract"), guarded.authkey, "other")
    other.send("owner", b"still yours", cid=9)
    d = owner.recv_kind(rw.DELIVER)
    assert (d.fields["sender"], d.fields["payload"]) == ("other", b"still yours")
    owner.close()
    other.close()


INVALID_NAMES = [b"has space", b"star*", b"q?", b"[x]", b"tab\t", b"nul\x00", b"\xff\xfe", b"nbsp\xc2\xa0", b"em\xe2\x80\x83space"]


def test_hello_with_invalid_name_gets_invalid_name(guarded):
    """docs/PROTOCOL.md 3.2 and 3.4: a HELLO name that breaks 3.1 is answered ERROR 7 (invalid
    name) about that name, then closed."""
    wrong = []
    for name in INVALID_NAMES:
        peer = rw.Peer(guarded.by_kind("inet"), guarded.authkey)
        peer.send_raw(struct.pack(">BBB", rw.HELLO, 1, len(name)) + name)
        envs = peer.drain()
        peer.close()
        codes = [(e.kind, e.fields.get("code")) for e in envs]
        if codes != [(rw.ERROR, rw.E_INVALID_NAME)]:
            wrong.append("%r -> %r" % (name, [(e.fields.get("code"), e.fields.get("text")) for e in envs]))
    assert not wrong, "HELLO with an invalid name not answered ERROR 7 (invalid name):\n" + "\n".join(wrong)


def test_hello_with_empty_name_or_bad_version(guarded):
    peer = rw.Peer(guarded.by_kind("inet"), guarded.authkey)
    peer.send_raw(struct.pack(">BBB", rw.HELLO, 1, 0))
    envs = peer.drain()
    assert [e.kind for e in envs] == [rw.ERROR] and envs[0].fields["code"] in (rw.E_INVALID_NAME, rw.E_MALFORMED), envs
    peer = rw.Peer(guarded.by_kind("inet"), guarded.authkey)
    peer.send_raw(rw.hello("v2", version=2))
    assert_error_then_closed(peer.drain(), rw.E_UNSUPPORTED_VERSION, peer="v2")


@pytest.mark.parametrize("kind", [rw.DELIVER, rw.WELCOME, rw.ERROR, rw.ACK, rw.PEERS, rw.JOINED, rw.LEFT])
def test_client_cannot_send_broker_only_kinds(guarded, kind):
    victim = rw.Peer(guarded.by_kind("unix"), guarded.authkey, "victim")
    forger = rw.Peer(guarded.by_kind("inet"), guarded.authkey, "forger")
    if kind == rw.DELIVER:
        # A DELIVER that claims to come from the victim's friend, addressed to the victim.
        body = rw.send("victim", b"trust me", cid=77, kind=rw.DELIVER)
    elif kind == rw.WELCOME:
        body = struct.pack(">BBQ", kind, 1, 100)
    elif kind == rw.ERROR:
        body = struct.pack(">BHQB", kind, 1, 0, 0)
    elif kind == rw.ACK:
        body = struct.pack(">BQ", kind, 1)
    elif kind == rw.PEERS:
        body = struct.pack(">BQI", kind, 1, 0)
    else:
        body = struct.pack(">BB", kind, 6) + b"victim"
    forger.send_raw(body)
    assert_error_then_closed(forger.drain(), rw.E_UNEXPECTED)
    assert not victim.conn.poll(0.3), "the victim received something: %r" % victim.recv()
    victim.close()


@pytest.mark.parametrize("body", [
    rw.send("victim", b"x", cid=1, options=0x04),
    rw.send("victim", b"x", cid=1, options=0x80),
    rw.send("victim", b"", cid=1)[:11],  # no name length
    struct.pack(">BBBQB", rw.SEND, 0, 0, 1, 10) + b"short",  # name runs past the end
    rw.ping(1)[:5],
    rw.ping(1) + b"extra",
    rw.watch(1)[:-1],
    struct.pack(">BQB", rw.WATCH, 1, 2),
    rw.goodbye()[:2],
], ids=["option-0x04", "option-0x80", "no-name-length", "name-past-end", "short-ping",
        "long-ping", "short-watch", "watch-2", "short-goodbye"])
def test_malformed_envelopes_after_hello(guarded, body):
    victim = rw.Peer(guarded.by_kind("unix"), guarded.authkey, "victim")
    peer = rw.Peer(guarded.by_kind("inet"), guarded.authkey, "sloppy")
    peer.send_raw(body)
    assert_error_then_closed(peer.drain(), rw.E_MALFORMED)
    assert not victim.conn.poll(0.2), "the victim received %r" % (victim.recv(),)
    victim.close()


@pytest.mark.parametrize("payload", [b"", b"payload"])
def test_empty_destination_is_an_unknown_peer(guarded, payload):
    """docs/PROTOCOL.md 3.3: a destination that is not a valid name, the empty one included,
    gets `unknown peer` with the SEND's id, and the connection stays open."""
    peer = rw.Peer(guarded.by_kind("inet"), guarded.authkey, "no-destination")
    peer.send_raw(struct.pack(">BBBQB", rw.SEND, rw.OPT_CONFIRM, 0, 41, 0) + payload)
    env = peer.recv_kind(rw.ERROR)
    assert (env.fields["code"], env.fields["cid"], env.fields["peer"]) == (rw.E_UNKNOWN_PEER, 41, ""), env.fields
    assert peer.request(rw.ping(42), rw.PONG).fields["cid"] == 42
    peer.close()


def test_long_length_form_accepted_for_small_frames(relay):
    """docs/PROTOCOL.md 1: the broker accepts the -1 + 8-byte header for any length."""
    conn = Client(relay.by_kind("inet"), authkey=relay.authkey)
    sock = rw.raw_socket(conn)
    body = rw.hello("long-form")
    sock.sendall(struct.pack(">iQ", -1, len(body)) + body)
    peer = rw.Peer.wrap(conn)
    assert peer.recv_kind(rw.WELCOME).fields["version"] == 1
    other = rw.Peer(relay.by_kind("unix"), relay.authkey, "long-form-peer")
    body = rw.send("long-form-peer", b"via long header", cid=3)
    sock.sendall(struct.pack(">iQ", -1, len(body)) + body)
    d = other.recv_kind(rw.DELIVER)
    assert (d.fields["sender"], d.fields["payload"]) == ("long-form", b"via long header")
    sock.close()
    conn.close()
    other.close()


def test_long_length_form_during_handshake(relay):
    import hmac
    sock = socket.create_connection(relay.by_kind("inet"))
    sock.settimeout(5)
    header = sock.recv(4)
    (n,) = struct.unpack(">i", header)
    challenge = b""
    while len(challenge) < n:
        challenge += sock.recv(n - len(challenge))
    reply = b"{sha256}" + hmac.new(relay.authkey, challenge[11:], "sha256").digest()
    sock.sendall(struct.pack(">iQ", -1, len(reply)) + reply)
    verdict = sock.recv(4 + 9)
    assert verdict == struct.pack(">i", 9) + b"#WELCOME#", verdict
    sock.close()


def test_frame_exactly_at_the_limit(start_relay):
    relay = start_relay(max_message_bytes=1024)
    long_name = "n" * 255
    receiver = rw.Peer(relay.by_kind("unix"), relay.authkey, long_name)
    sender = rw.Peer(relay.by_kind("unix"), relay.authkey, "s" * 255)
    body = rw.send(long_name, b"p" * 1024, cid=1)
    assert len(body) == 1024 + 267
    sender.send_raw(body)
    d = receiver.recv_kind(rw.DELIVER)
    assert d.fields["sender"] == "s" * 255 and len(d.fields["payload"]) == 1024
    sender.send_raw(body + b"!")  # one byte over the frame limit: closed, not read
    envs = sender.drain()
    assert len(envs) <= 1 and all(e.kind == rw.ERROR and e.fields["code"] in (rw.E_MALFORMED, rw.E_TOO_LARGE) for e in envs), envs
    assert not receiver.conn.poll(0.2)
    receiver.close()
