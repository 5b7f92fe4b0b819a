"""docs/PROTOCOL.md §3.3, SEND and DELIVER: the layout, options, errors, sending to oneself and
request/reply."""

import docwire as w
from labels import case

LIMIT = 1024


def pair(relay, connect):
    return connect(relay, b"alice"), connect(relay, b"bob")


def test_send_becomes_deliver(relay, connect):
    """§3.3: "the broker turns a SEND into a DELIVER by changing the kind, replacing the
    destination's name with the sender's registered name, and keeping only the `reply` option
    bit"; flags are "passed through untouched"; the correlation id is the sender's."""
    alice, bob = pair(relay, connect)
    payload = bytes(range(256))
    for options in (0, w.CONFIRM, w.REPLY, w.CONFIRM | w.REPLY):
        for flags in (0x00, 0x01, 0x5A, 0xFF):
            alice.send(w.send(b"bob", payload, cid=0x0102030405060708, options=options, flags=flags))
            body = bob.recv_frame()
            assert body == w.send(b"alice", payload, cid=0x0102030405060708, options=options & w.REPLY,
                                  flags=flags, kind=w.DELIVER), "options %d, flags %d" % (options, flags)
            if options & w.CONFIRM:
                alice.expect(w.ACK, cid=0x0102030405060708)


def test_the_correlation_id_is_the_senders_and_zero_means_none(relay, connect):
    """§3.3: "correlation id, chosen by the sender; `0` means none": every 8-byte value, 0
    included, arrives as sent, and ACK carries it."""
    alice, bob = pair(relay, connect)
    for cid in (0, 1, 1 << 63, (1 << 64) - 1):
        alice.send(w.send(b"bob", b"id", cid=cid, options=w.CONFIRM))
        alice.expect(w.ACK, cid=cid)
        bob.expect(w.DELIVER, cid=cid)


def test_an_unlisted_option_bit_is_malformed(relay, connect):
    """§3.3: "Options bits (other bits set: `malformed frame`)", and §3: "an option bit not
    listed in §3.3" is an envelope the broker cannot decode: ERROR 4 and a close."""
    connect(relay, b"bob")
    for bit in (0x04, 0x08, 0x10, 0x20, 0x40, 0x80):
        with case("0x%02x" % bit):
            client = connect(relay, b"bits-%d" % bit)
            client.send(w.send(b"bob", b"x", cid=5, options=bit | w.CONFIRM))
            client.expect_error_and_close(w.MALFORMED_FRAME)


def test_confirm_is_answered_by_ack_once_queued(relay, connect):
    """§3.3, `confirm`: "SEND only: the broker answers ACK with this correlation id once the
    message is queued for the receiver, or ERROR if it is not"."""
    alice, bob = pair(relay, connect)
    alice.send(w.send(b"bob", b"queued", cid=11, options=w.CONFIRM))
    alice.expect(w.ACK, cid=11)
    alice.send(w.send(b"carol", b"not queued", cid=12, options=w.CONFIRM))
    alice.expect(w.ERROR, code=w.UNKNOWN_PEER, cid=12, name=b"carol")
    bob.expect(w.DELIVER, payload=b"queued")
    bob.expect_silence()


def test_without_confirm_errors_come_and_acks_do_not(relay, connect):
    """§3.3: "Without `confirm` the broker still sends these errors; it sends no ACK on success."""
    alice, bob = pair(relay, connect)
    alice.send(w.send(b"bob", b"quiet", cid=21))
    bob.expect(w.DELIVER, cid=21)
    alice.send(w.send(b"carol", b"lost", cid=22))
    alice.expect(w.ERROR, code=w.UNKNOWN_PEER, cid=22, name=b"carol")
    alice.expect_silence()


def test_the_largest_header_and_payload_fit(daemon, connect):
    """§3.3: "The largest envelope header is 12 + 255 = 267 bytes, which is why a frame body may
    be `max_message_bytes + 267` bytes long", and the payload is "opaque bytes, at most
    `max_message_bytes`": a full payload to a 255-byte name is delivered."""
    relay = daemon(max_message_bytes=LIMIT)
    long_name = b"L" * 255
    receiver = connect(relay, long_name)
    sender = connect(relay, b"s")
    payload = bytes(range(256)) * (LIMIT // 256)
    sender.send(w.send(long_name, payload, cid=1, options=w.CONFIRM))
    sender.expect(w.ACK, cid=1)
    receiver.expect(w.DELIVER, name=b"s", payload=payload)


def test_a_payload_over_the_limit_in_a_frame_that_fits(daemon, connect):
    """§3.3: "`message too large` (3; the frame was within the frame limit but the payload is
    over `max_message_bytes`)", with the SEND's id and destination; the connection stays open."""
    relay = daemon(max_message_bytes=LIMIT)
    alice, bob = pair(relay, connect)
    alice.send(w.send(b"bob", b"x" * (LIMIT + 1), cid=31))
    alice.expect(w.ERROR, code=w.MESSAGE_TOO_LARGE, cid=31, name=b"bob")
    alice.send(w.send(b"bob", b"x" * LIMIT, cid=32))
    bob.expect(w.DELIVER, cid=32)


def test_a_peer_may_send_to_itself_and_reads_deliver_before_ack(relay, connect):
    """§3.3: "A peer may SEND to its own name: the message is delivered to it like any other.
    With `confirm`, the DELIVER is queued before the ACK, so the peer reads the DELIVER first.\""""
    me = connect(relay, b"me")
    me.send(w.send(b"me", b"note to self", cid=41, options=w.CONFIRM, flags=1))
    me.expect(w.DELIVER, name=b"me", cid=41, flags=1, payload=b"note to self")
    me.expect(w.ACK, cid=41)
    me.send(w.send(b"me", b"again", cid=42))
    me.expect(w.DELIVER, cid=42, payload=b"again")


def test_request_and_reply(relay, connect):
    """§3.3, request/reply: "The receiver gets DELIVER carrying `c`; to answer it sends SEND to the
    requester with option `reply` and correlation id `c`; the requester gets DELIVER with `reply`
    set and id `c`." Two requests answered out of order."""
    requester, server = connect(relay, b"requester"), connect(relay, b"server")
    for c in (100, 101):
        requester.send(w.send(b"server", b"q%d" % c, cid=c))
    got = [server.expect(w.DELIVER, name=b"requester", options=0) for _ in range(2)]
    assert [env.fields["cid"] for env in got] == [100, 101]
    for c in (101, 100):
        server.send(w.send(b"requester", b"a%d" % c, cid=c, options=w.REPLY))
    for c in (101, 100):
        requester.expect(w.DELIVER, name=b"server", options=w.REPLY, cid=c, payload=b"a%d" % c)


def test_a_request_to_nobody_fails_at_once_and_an_unanswered_one_stays_silent(relay, connect):
    """§3.3: "If the destination is not registered, the requester gets ERROR `unknown peer` with
    id `c` at once; if it is registered but never answers, nothing comes"."""
    requester, _ = connect(relay, b"requester"), connect(relay, b"mute")
    requester.send(w.send(b"absent", b"q", cid=7))
    requester.expect(w.ERROR, code=w.UNKNOWN_PEER, cid=7, name=b"absent")
    requester.send(w.send(b"mute", b"q", cid=8))
    requester.expect_silence(0.5)


def test_errors_about_a_reply_carry_the_requesters_id(relay, connect):
    """§3.3: "an ERROR or ACK about the reply carries an id from the requester's space, which may
    equal one of the replier's own outstanding ids; a replier that needs to tell them apart also
    compares the ERROR's peer name with the requester's"."""
    requester, server = connect(relay, b"requester"), connect(relay, b"server")
    requester.send(w.send(b"server", b"q", cid=5))
    server.expect(w.DELIVER, cid=5)
    server.send(w.send(b"requester", b"a", cid=5, options=w.REPLY | w.CONFIRM))
    server.expect(w.ACK, cid=5)
    requester.expect(w.DELIVER, cid=5, options=w.REPLY)
    requester.send(w.goodbye())
    requester.expect_closed()
    server.send(w.send(b"requester", b"late", cid=5, options=w.REPLY))
    server.expect(w.ERROR, code=w.UNKNOWN_PEER, cid=5, name=b"requester")
