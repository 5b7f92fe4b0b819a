"""Two peers exchange many messages, pipelined, in both directions at once."""

import struct
import threading
import time

import relaywire as rw

COUNT = 10000


def payload(direction, i):
    # Sizes vary from 8 to ~1 KiB so frames straddle socket reads in many ways.
    return struct.pack(">4sI", direction, i) * (1 + (i * 7919) % 128)


def test_ten_thousand_messages_each_way_in_order(relay):
    a = rw.Peer(relay.by_kind("unix"), relay.authkey, "pump-a")
    b = rw.Peer(relay.by_kind("inet"), relay.authkey, "pump-b")
    errors = []

    def sender(peer, dest, direction):
        try:
            for i in range(COUNT):
                peer.send(dest, payload(direction, i), cid=i + 1, flags=i & 1)
        except BaseException as exc:
            errors.append(exc)

    def receiver(peer, source, direction, out):
        try:
            for i in range(COUNT):
                d = peer.recv(timeout=10.0)
                assert d.kind == rw.DELIVER, "message %d: %r" % (i, d)
                f = d.fields
                assert f["sender"] == source, f
                assert f["cid"] == i + 1, "message %d arrived with id %d (lost or reordered)" % (i, f["cid"])
                assert f["flags"] == i & 1 and f["options"] == 0, f
                assert f["payload"] == payload(direction, i), "payload of message %d differs" % i
            out.append(COUNT)
        except BaseException as exc:
            errors.append(exc)

    got_a, got_b = [], []
    threads = [
        threading.Thread(target=sender, args=(a, "pump-b", b"a->b")),
        threading.Thread(target=sender, args=(b, "pump-a", b"b->a")),
        threading.Thread(target=receiver, args=(b, "pump-a", b"a->b", got_b)),
        threading.Thread(target=receiver, args=(a, "pump-b", b"b->a", got_a)),
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    assert not errors, errors
    assert got_a == [COUNT] and got_b == [COUNT]
    # Nothing extra is pending on either side.
    assert not a.conn.poll(0.2) and not b.conn.poll(0.2)
    print("\n10,000 messages each way (20,000 total, pipelined): %.2f s, %.0f messages/s"
          % (elapsed, 2 * COUNT / elapsed))
    a.close()
    b.close()


def test_many_senders_one_receiver_ordered_per_sender(relay):
    per_sender = 2000
    names = ["fan-%d" % i for i in range(4)]
    sink = rw.Peer(relay.by_kind("unix"), relay.authkey, "sink")
    senders = [rw.Peer(relay.addresses[i % 3], relay.authkey, n) for i, n in enumerate(names)]
    errors = []

    def pump(peer):
        try:
            for i in range(per_sender):
                peer.send("sink", b"%s:%d" % (peer.name.encode(), i), cid=i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=pump, args=(p,)) for p in senders]
    for t in threads:
        t.start()
    next_id = dict.fromkeys(names, 0)
    for _ in range(per_sender * len(names)):
        d = sink.recv(timeout=10.0)
        assert d.kind == rw.DELIVER, d
        who, i = d.fields["sender"], d.fields["cid"]
        assert i == next_id[who], "from %s: got %d, expected %d" % (who, i, next_id[who])
        assert d.fields["payload"] == b"%s:%d" % (who.encode(), i)
        next_id[who] += 1
    for t in threads:
        t.join(10)
    assert not errors, errors
    assert not sink.conn.poll(0.2)
    for p in senders + [sink]:
        p.close()


def test_the_last_message_of_a_peer_that_sends_and_closes_is_delivered(relay):
    """A client that sends and closes at once, with deliveries unread, makes its kernel reset the
    connection: the relay's next write to it fails, and what it sent just before must still be
    read and delivered, not dropped with the connection. Another peer floods it all the while,
    so that a write to it is under way when it goes (before the fix, about a quarter of the
    rounds lost their message)."""
    receiver = rw.Peer(relay.by_kind("inet"), relay.authkey, "last-receiver")
    for round_ in range(30):
        leaver = rw.Peer(relay.by_kind("inet"), relay.authkey, "leaver-%d" % round_)
        flooder = rw.Peer(relay.by_kind("inet"), relay.authkey, "flooder-%d" % round_)
        stop = threading.Event()

        def flood():
            try:
                while not stop.is_set():
                    flooder.send("leaver-%d" % round_, b"x" * 1000)
            except OSError:
                pass

        thread = threading.Thread(target=flood)
        thread.start()
        try:
            time.sleep(0.02)
            leaver.send("last-receiver", b"last %d" % round_)
            leaver.close()
            delivered = receiver.recv(timeout=5.0)
            assert delivered.kind == rw.DELIVER, "round %d: %r" % (round_, delivered)
            assert delivered.fields["payload"] == b"last %d" % round_, "round %d: %r" % (round_, delivered)
        finally:
            stop.set()
            thread.join()
            flooder.close()
