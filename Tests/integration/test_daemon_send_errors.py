"""What a SEND can be answered: unknown peer, ACK, message too large, peer busy."""

import threading
import time

import relaywire as rw


def test_send_to_unknown_peer_keeps_connection_open(relay):
    a = rw.Peer(relay.by_kind("inet"), relay.authkey, "lonely")
    a.send("nobody-home", b"hello?", cid=0xDEADBEEF01)
    e = a.recv_kind(rw.ERROR)
    assert e.fields["code"] == rw.E_UNKNOWN_PEER, e
    assert e.fields["cid"] == 0xDEADBEEF01, e
    assert e.fields["peer"] == "nobody-home", e
    # Still open and usable.
    a.send_raw(rw.ping(41))
    assert a.recv_kind(rw.PONG).fields["cid"] == 41
    b = rw.Peer(relay.by_kind("unix"), relay.authkey, "nobody-home")
    a.send("nobody-home", b"now?", cid=2)
    d = b.recv_kind(rw.DELIVER)
    assert (d.fields["sender"], d.fields["cid"], d.fields["payload"]) == ("lonely", 2, b"now?")
    a.close()
    b.close()


def test_send_with_confirm_is_acked(relay):
    a = rw.Peer(relay.by_kind("inet"), relay.authkey, "confirmer")
    b = rw.Peer(relay.by_kind("abstract"), relay.authkey, "confirmee")
    a.send("confirmee", b"please ack", cid=2 ** 64 - 1, options=rw.OPT_CONFIRM, flags=0x01)
    assert a.recv_kind(rw.ACK).fields["cid"] == 2 ** 64 - 1
    d = b.recv_kind(rw.DELIVER)
    # The broker keeps only the reply option bit; flags pass through untouched.
    assert d.fields == {"options": 0, "flags": 0x01, "cid": 2 ** 64 - 1, "sender": "confirmer", "payload": b"please ack"}
    # Without confirm: no ACK.
    a.send("confirmee", b"no ack", cid=3)
    assert b.recv_kind(rw.DELIVER).fields["payload"] == b"no ack"
    assert not a.conn.poll(0.3), "an ACK came for a SEND without confirm: %r" % (a.recv(),)
    # confirm to an unknown peer: ERROR, not ACK.
    a.send("ghost", b"x", cid=4, options=rw.OPT_CONFIRM)
    e = a.recv_kind(rw.ERROR)
    assert (e.fields["code"], e.fields["cid"], e.fields["peer"]) == (rw.E_UNKNOWN_PEER, 4, "ghost")
    a.close()
    b.close()


def test_reply_option_is_forwarded(relay):
    req = rw.Peer(relay.by_kind("inet"), relay.authkey, "requester")
    srv = rw.Peer(relay.by_kind("unix"), relay.authkey, "server")
    req.send("server", b"question", cid=123)
    d = srv.recv_kind(rw.DELIVER)
    assert (d.fields["cid"], d.fields["options"]) == (123, 0)
    srv.send("requester", b"answer", cid=123, options=rw.OPT_REPLY | rw.OPT_CONFIRM)
    assert srv.recv_kind(rw.ACK).fields["cid"] == 123
    d = req.recv_kind(rw.DELIVER)
    assert d.fields == {"options": rw.OPT_REPLY, "flags": 0, "cid": 123, "sender": "server", "payload": b"answer"}
    req.close()
    srv.close()


def test_payload_over_max_message_bytes_within_frame_limit(start_relay):
    relay = start_relay(max_message_bytes=1024)
    a = rw.Peer(relay.by_kind("inet"), relay.authkey, "big-sender")
    b = rw.Peer(relay.by_kind("unix"), relay.authkey, "big-receiver")
    assert a.welcome.fields["max_message_bytes"] == 1024
    a.send("big-receiver", b"y" * 1024, cid=1)  # exactly the limit: relayed
    assert len(b.recv_kind(rw.DELIVER).fields["payload"]) == 1024
    a.send("big-receiver", b"z" * 1025, cid=2)  # one over, frame still within 1024 + 267
    e = a.recv_kind(rw.ERROR)
    assert (e.fields["code"], e.fields["cid"], e.fields["peer"]) == (rw.E_TOO_LARGE, 2, "big-receiver"), e
    a.send("big-receiver", b"x" * 1200, cid=3, options=rw.OPT_CONFIRM)
    e = a.recv_kind(rw.ERROR)
    assert (e.fields["code"], e.fields["cid"]) == (rw.E_TOO_LARGE, 3), e
    # The connection stays open and nothing oversize reached the receiver.
    a.send("big-receiver", b"small", cid=4)
    d = b.recv_kind(rw.DELIVER)
    assert (d.fields["cid"], d.fields["payload"]) == (4, b"small")
    assert not b.conn.poll(0.2)
    a.close()
    b.close()


def test_peer_busy_nothing_silently_dropped(start_relay):
    # max_outbound_bytes must hold one largest message (max_message_bytes + 279).
    relay = start_relay(max_outbound_bytes=65536, max_message_bytes=16384)
    address = relay.by_kind("unix")  # small kernel buffers: the broker's queue fills fast
    sleeper = rw.Peer(address, relay.authkey, "sleeper")  # does not read until the flood is over
    flooder = rw.Peer(address, relay.authkey, "flooder")
    sent = 3000
    busy, others = [], []
    done = threading.Event()

    def collect():
        try:
            while True:
                env = flooder.recv(timeout=20.0)
                if env.kind == rw.PONG and env.fields["cid"] == 0xF1F1:
                    break
                if env.kind == rw.ERROR and env.fields["code"] == rw.E_PEER_BUSY:
                    assert env.fields["peer"] == "sleeper", env
                    busy.append(env.fields["cid"])
                else:
                    others.append(env)
        except BaseException as exc:
            others.append(exc)
        finally:
            done.set()

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    chunk = b"\xab" * 1024
    for i in range(1, sent + 1):
        flooder.send("sleeper", chunk, cid=i)
    flooder.send_raw(rw.ping(0xF1F1))  # answered after every error for the flood
    assert done.wait(20), "no PONG after the flood"
    assert not others, others
    assert busy, "no ERROR peer busy after %d x 1 KiB to a receiver that does not read" % sent

    delivered = []
    deadline = time.monotonic() + 15
    while len(delivered) < sent - len(busy) and time.monotonic() < deadline:
        env = sleeper.recv(timeout=5.0)
        assert env.kind == rw.DELIVER and env.fields["sender"] == "flooder", env
        assert env.fields["payload"] == chunk
        delivered.append(env.fields["cid"])
    assert not sleeper.conn.poll(0.3), "more deliveries than expected"
    print("\npeer busy: %d sent, %d delivered, %d ERROR peer busy" % (sent, len(delivered), len(busy)))
    assert delivered == sorted(delivered), "deliveries out of order"
    assert not set(delivered) & set(busy), "a message was both delivered and reported busy"
    assert len(delivered) + len(busy) == sent, "delivered %d + busy %d != sent %d" % (len(delivered), len(busy), sent)
    assert sorted(delivered + busy) == list(range(1, sent + 1))
    # Once drained the receiver takes messages again.
    flooder.send("sleeper", b"after", cid=sent + 1, options=rw.OPT_CONFIRM)
    assert flooder.recv_kind(rw.ACK).fields["cid"] == sent + 1
    assert sleeper.recv_kind(rw.DELIVER).fields["payload"] == b"after"
    flooder.close()
    sleeper.close()


def test_sender_follows_a_name_to_its_new_connection(relay):
    """A sender keeps sending to a name while its owner leaves and a new connection takes it."""
    a = rw.Peer(relay.by_kind("inet"), relay.authkey, "steady-sender")
    for round_ in range(5):
        b = rw.Peer(relay.addresses[round_ % 3], relay.authkey, "moving")
        a.send("moving", b"round %d" % round_, cid=round_, options=rw.OPT_CONFIRM)
        assert a.recv_kind(rw.ACK).fields["cid"] == round_
        d = b.recv_kind(rw.DELIVER)
        assert d.fields["payload"] == b"round %d" % round_
        b.send_raw(rw.goodbye(0))
        b.expect_closed()
        b.close()
        # The broker closed b after releasing the name: a SEND to it now is unknown peer, not
        # an ACK for a message queued to a dead connection.
        a.send("moving", b"gone", cid=100 + round_, options=rw.OPT_CONFIRM)
        env = a.recv()
        assert env.kind == rw.ERROR, "SEND to a departed peer answered %r" % (env,)
        assert (env.fields["code"], env.fields["cid"], env.fields["peer"]) == (rw.E_UNKNOWN_PEER, 100 + round_, "moving")
    a.close()


def test_a_sender_that_reads_its_answers_late_is_slowed_not_dropped(start_relay):
    """20,000 SENDs to nobody, answered by 20,000 ERRORs (about 2 MB), read only after a pause: the
    broker stops reading from the sender while the answers it owes are at the outbound bound, so
    the sender's writes wait, and nothing is lost or cut off."""
    relay = start_relay(max_outbound_bytes=65536, max_message_bytes=16384)
    sender = rw.Peer(relay.by_kind("unix"), relay.authkey, "late-reader")
    count = 20000
    errors = []
    done = threading.Event()

    def collect():
        time.sleep(1.0)  # the answers pile up meanwhile
        try:
            while True:
                env = sender.recv(timeout=20.0)
                if env.kind == rw.PONG:
                    break
                assert env.kind == rw.ERROR and env.fields["code"] == rw.E_UNKNOWN_PEER, env
                errors.append(env.fields["cid"])
        finally:
            done.set()

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    started = time.monotonic()
    for i in range(1, count + 1):
        sender.send("nobody", b"x" * 16, cid=i)
    sender.send_raw(rw.ping(7))
    assert done.wait(30), "no PONG after the answers"
    print("\nlate reader: %d ERRORs for %d SENDs in %.2f s" % (len(errors), count, time.monotonic() - started))
    assert errors == list(range(1, count + 1))
    assert "does not read its replies" not in relay.log()
    sender.close()
