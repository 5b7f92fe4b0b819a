"""docs/PROTOCOL.md §4, Delivery semantics: order, bounded queues, backpressure that waits, slow
consumers, stamping, opaque payloads."""

import os
import re
import threading
import time

import pytest

import docwire as w
from backpressure import fill_queue_of, never_reading_client, ping_burst, write_until_closed

SMALL = dict(max_outbound_bytes=65536, max_message_bytes=16384)
PINGS = 20000


def wait_until_gone(client, name, timeout=5.0):
    """Polls LIST until `name` is no longer registered."""
    deadline = time.monotonic() + timeout
    while name in client.list_names():
        assert time.monotonic() < deadline, "%r still registered after %.1f s" % (name, timeout)
        time.sleep(0.02)


def test_at_most_once_nothing_survives_a_restart(daemon, connect):
    """§4: "At most once. A message is delivered once or not at all. The broker keeps nothing
    across a restart, and a message queued for a peer that disconnects is discarded." A peer
    that reconnects under the same name, to the same or a restarted broker, gets nothing of what
    was sent to its earlier connection."""
    relay = daemon()
    sender, receiver = connect(relay, b"sender"), connect(relay, b"receiver")
    for i in range(10):
        sender.send(w.send(b"receiver", b"old %d" % i, cid=i, options=w.CONFIRM))
        sender.expect(w.ACK, cid=i)
    receiver.close()
    wait_until_gone(sender, b"receiver")
    again = connect(relay, b"receiver")
    again.expect_silence()
    relay.stop()
    restarted = daemon()
    fresh = connect(restarted, b"receiver")
    fresh.send(w.with_id(w.LIST, 1))
    fresh.expect(w.PEERS, names=[b"receiver"])
    fresh.expect_silence()


def test_in_order_per_sender_receiver_pair(relay, connect):
    """§4: "Messages from one sender to one receiver arrive in the order they were sent." Three
    senders interleave 300 messages each to one receiver; each sender's are in order."""
    receiver = connect(relay, b"receiver")
    senders = [connect(relay, b"s%d" % i) for i in range(3)]
    count = 300

    def blast(client):
        for i in range(count):
            client.send(w.send(b"receiver", i.to_bytes(4, "big")))

    threads = [threading.Thread(target=blast, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    seen = {b"s%d" % i: [] for i in range(3)}
    for _ in range(3 * count):
        env = receiver.expect(w.DELIVER)
        seen[env.fields["name"]].append(int.from_bytes(env.fields["payload"], "big"))
    for t in threads:
        t.join()
    assert all(ids == list(range(count)) for ids in seen.values()), {k: v[:5] for k, v in seen.items()}


def test_a_send_over_the_bound_gets_peer_busy_and_nothing_is_lost(daemon, connect):
    """§4: "Never silently dropped while both are connected. ... A SEND that would go over it is
    not queued, and the sender gets ERROR `peer busy` with the message's correlation id and the
    destination." The receiver then reads exactly the ACKed messages."""
    relay = daemon(**SMALL)
    receiver = connect(relay, b"deaf", family="unix")
    sender = connect(relay, b"sender")
    acked, env = fill_queue_of(sender, b"deaf", 16384)
    assert env.fields["name"] == b"deaf" and acked > 0
    sender.send(w.with_id(w.PING, 1))
    sender.expect(w.PONG, cid=1)
    for cid in range(1, acked + 1):
        receiver.expect(w.DELIVER, cid=cid)
    receiver.expect_silence()


def write_then_read_every_pong(client, writes):
    """Writes the PING bursts `writes` from a thread while reading nothing for a second, then
    reads a PONG for each PING, ids 1..PINGS in order; the writes must all complete."""
    failures = []

    def write():
        try:
            for data in writes:
                client.send_raw(data)
        except OSError as exc:
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(1.0)
    client.sock.settimeout(20.0)
    for cid in range(1, PINGS + 1):
        client.expect(w.PONG, cid=cid)
    writer.join(20.0)
    assert not writer.is_alive() and not failures, failures


@pytest.mark.parametrize("bound", [SMALL, {}], ids=["smallest-bound", "default-bound"])
def test_a_burst_written_at_once_waits_instead_of_closing(daemon, connect, bound):
    """§4: "A client that sends faster than it reads its answers therefore sees its writes wait in
    TCP, whatever its write pattern (one large write or many small ones), not its connection
    closed." 20,000 PINGs (260 KB) in one write, nothing read for a second, then every PONG. §6:
    "a client that writes faster than it reads its answers is slowed, never closed for it"."""
    client = connect(daemon(**bound), b"burst")
    write_then_read_every_pong(client, [ping_burst(PINGS)])
    client.send(w.with_id(w.PING, 0))
    client.expect(w.PONG, cid=0)


def test_many_small_writes_wait_too(daemon, connect):
    """§4: "whatever its write pattern (one large write or many small ones)": the same burst in
    100-PING writes, at the smallest bound."""
    client = connect(daemon(**SMALL), b"chunks")
    write_then_read_every_pong(client, [ping_burst(100, first) for first in range(1, PINGS + 1, 100)])


def test_the_broker_stops_reading_while_answers_wait_and_goes_on_after(daemon, connect):
    """§4: "While a connection's own outbound queue ... is at `max_outbound_bytes`, the broker
    takes no more envelopes from that connection: it stops after the envelope whose answer
    reached the bound, ... and stops reading the socket. It goes on once the peer has read
    enough for the queue to be below the bound." 100,000 PINGs (1.3 MB) in one write on the
    socket-file endpoint (small kernel buffers): the write is still waiting after 1.5 s, the
    connection is open, and once the client reads, every PONG comes and the write completes."""
    relay = daemon(**SMALL)
    client = connect(relay, b"paused", family="unix")
    count = 100000
    writer = threading.Thread(target=client.send_raw, args=(ping_burst(count),))
    writer.start()
    writer.join(1.5)
    assert writer.is_alive(), "the broker read 1.3 MB without the client reading an answer"
    client.sock.settimeout(20.0)
    data = bytearray()
    while len(data) < 13 * count:
        data += client.sock.recv(1 << 20)
    assert [w.decode(b).fields["cid"] for b in w.split_frames(data)] == list(range(1, count + 1))
    writer.join(20.0)
    assert not writer.is_alive()


def test_a_client_that_never_reads_gets_slow_consumer_before_the_close(daemon, connect):
    """§4: "A peer whose queue stays at the bound for `slow_consumer_timeout` seconds ... (because
    ... its own answers wait) is disconnected: ERROR `slow consumer` (10) is queued behind what is
    already queued ...  A client that resumes reading in that time reads everything queued for it,
    then the ERROR, then end of stream.\""""
    relay = daemon(slow_consumer_timeout=1.0, **SMALL)
    client = never_reading_client(relay, connect, b"deaf")
    envs = client.read_until_closed(timeout=10.0)
    assert envs[-1].kind == w.ERROR and envs[-1].fields == {
        "code": w.SLOW_CONSUMER, "cid": 0, "name": b"", "text": envs[-1].fields["text"]}
    ids = [e.fields["cid"] for e in envs[:-1]]
    assert ids and all(e.kind == w.PONG for e in envs[:-1])
    assert ids == [1 + i % 10000 for i in range(len(ids))], "PONGs missing or out of order"


def test_a_dropped_slow_consumer_is_closed_within_2_seconds(daemon, connect):
    """§4: "ERROR `slow consumer` (10) is queued behind what is already queued, the broker
    flushes for at most 2 seconds more, then closes." The client goes on reading nothing; its
    blocked write fails once the broker closes, within 2 s of the broker's WARNING."""
    relay = daemon(slow_consumer_timeout=1.0, **SMALL)
    client = connect(relay, b"deaf", family="unix")
    client.sock.settimeout(None)
    writer = write_until_closed(client, ping_burst(10000))
    relay.wait_for_log(r"^\[WARNING/.*deaf.*slow consumer", timeout=10.0)
    warned = time.monotonic()
    writer.join(5.0)
    assert not writer.is_alive(), "still connected 5 s after the slow-consumer WARNING"
    assert time.monotonic() - warned < 3.0, "closed more than 2 s (and 1 s of slack) after the WARNING"


def deaf_receiver_dropped(relay, connect, keep_sending):
    """A receiver on the socket-file endpoint that reads nothing, its queue filled until `peer
    busy`; with `keep_sending`, the sender goes on being refused every 0.1 s. Asserts the
    receiver then reads its deliveries, ERROR `slow consumer` and end of stream."""
    receiver = connect(relay, b"deaf", family="unix")
    sender = connect(relay, b"sender")
    acked, _ = fill_queue_of(sender, b"deaf", 16384)
    deadline = time.monotonic() + 4.0
    while not re.search(r"^\[WARNING/.*deaf.*slow consumer", relay.log(), re.M):
        assert time.monotonic() < deadline, "no slow consumer 3 s after slow_consumer_timeout:\n" + relay.log()
        if keep_sending:
            sender.send(w.send(b"deaf", b"q" * 16384, cid=1000))
            sender.expect(w.ERROR, code=w.PEER_BUSY, cid=1000)
        time.sleep(0.1)
    envs = receiver.read_until_closed(timeout=10.0)
    assert [e.kind for e in envs] == [w.DELIVER] * acked + [w.ERROR]
    assert envs[-1].fields["code"] == w.SLOW_CONSUMER


def test_a_receiver_senders_cannot_reach_gets_slow_consumer(daemon, connect):
    """§4: "A peer whose queue stays at the bound for `slow_consumer_timeout` seconds ... (because
    the peer reads nothing: senders to it get `peer busy` ...) is disconnected: ERROR `slow
    consumer` (10) is queued behind what is already queued": its deliveries, then the ERROR, then
    end of stream. Here a sender keeps trying, and keeps getting `peer busy`."""
    deaf_receiver_dropped(daemon(slow_consumer_timeout=1.0, **SMALL), connect, keep_sending=True)


def test_a_receiver_is_dropped_after_slow_consumer_timeout_even_when_nobody_sends_more(daemon, connect):
    """§4: "A peer whose queue stays at the bound for `slow_consumer_timeout` seconds without the
    broker finishing a write of it (because the peer reads nothing: senders to it get `peer
    busy`, ...) is disconnected". The queue stays at the bound after one refused SEND; nobody
    sends more."""
    deaf_receiver_dropped(daemon(slow_consumer_timeout=1.0, **SMALL), connect, keep_sending=False)


def test_slow_consumer_timeout_zero_disconnects_nobody(daemon, connect):
    """§4: "With `slow_consumer_timeout = 0` nobody is disconnected for reading slowly": a
    receiver whose queue is full for 3 s still reads every ACKed message afterwards."""
    relay = daemon(slow_consumer_timeout=0.0, **SMALL)
    receiver = connect(relay, b"slow", family="unix")
    sender = connect(relay, b"sender")
    acked, _ = fill_queue_of(sender, b"slow", 16384)
    time.sleep(3.0)
    for cid in range(1, acked + 1):
        receiver.expect(w.DELIVER, cid=cid)
    receiver.send(w.with_id(w.PING, 5))
    receiver.expect(w.PONG, cid=5)


def test_what_a_peer_sent_before_it_closed_is_delivered(relay, connect):
    """§4: "What a peer sent before it closed is handled. A client may send and close at once,
    with or without GOODBYE, even with deliveries or answers it never read ...: the broker reads
    and handles every whole envelope that reached it before the close, also when a write to that
    client fails first." A leaver that a third peer floods (so a write to it is under way) sends
    one message and closes without reading, twenty times over; every message arrives."""
    receiver = connect(relay, b"receiver")
    for round_ in range(20):
        name = b"leaver-%d" % round_
        leaver, flooder = connect(relay, name), connect(relay, b"flooder-%d" % round_)
        stop = threading.Event()

        def flood(burst=w.frame(w.send(name, b"x" * 1000)) * 20):
            try:
                while not stop.is_set():
                    flooder.send_raw(burst)
            except OSError:
                pass

        thread = threading.Thread(target=flood)
        thread.start()
        try:
            time.sleep(0.02)
            leaver.send(w.send(b"receiver", b"last %d" % round_))
            leaver.close()
            receiver.expect(w.DELIVER, name=name, payload=b"last %d" % round_)
        finally:
            stop.set()
            thread.join()
            flooder.close()


def test_deliver_is_stamped_with_the_registered_name(relay, connect):
    """§4: "Stamped. DELIVER always carries the sender's registered name; a client cannot forge
    it": a SEND whose destination field names a third peer, or whose payload mimics a DELIVER,
    still arrives from the sender's own name."""
    mallory, victim = connect(relay, b"mallory"), connect(relay, b"victim")
    connect(relay, b"boss")
    forged = w.send(b"boss", b"obey", kind=w.DELIVER)
    mallory.send(w.send(b"victim", forged, cid=1))
    env = victim.expect(w.DELIVER, name=b"mallory", payload=forged)
    assert env.fields["name"] == b"mallory"


def test_payloads_are_opaque(relay, connect):
    """§4: "Opaque. The broker never parses payloads (it does not unpickle anything)": random
    bytes, a pickle that would run code if unpickled, and an envelope-shaped payload arrive
    unchanged, with no effect on the broker."""
    a, b = connect(relay, b"a"), connect(relay, b"b")
    evil = b"cos\nsystem\n(S'false'\ntR."
    for payload in (os.urandom(4096), evil, w.frame(w.hello(b"x")), b"\x80\x05N."):
        a.send(w.send(b"b", payload, flags=0x01))
        b.expect(w.DELIVER, payload=payload, flags=0x01)
    assert relay.proc.poll() is None
