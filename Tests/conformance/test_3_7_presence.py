"""docs/PROTOCOL.md §3.7, WATCH, JOINED, LEFT: one test per sentence."""

import threading

import docwire as w
from labels import case


def watcher_of(relay, connect, name=b"watcher", key=None):
    client = connect(relay, name, key=key)
    client.watch()
    return client


def test_watch_layout_and_its_ack(relay, connect):
    """§3.7: "WATCH, client → broker: kind `0x0C`, 8-byte correlation id, 1 byte `1` (start) or
    `0` (stop)" and "The broker answers ACK with the id"."""
    client = connect(relay, b"w")
    client.send(bytes([0x0C]) + (0x55).to_bytes(8, "big") + b"\x01")
    client.expect(w.ACK, cid=0x55)
    client.send(bytes([0x0C]) + (0x56).to_bytes(8, "big") + b"\x00")
    client.expect(w.ACK, cid=0x56)


def test_the_ack_of_a_start_comes_before_any_event(relay, connect):
    """§3.7: "The ACK of a WATCH that starts events comes before any event", while other peers
    register and leave all the time."""
    stop = threading.Event()

    def churn():
        index = 0
        while not stop.is_set():
            connect(relay, b"churn-%d" % index).close()
            index += 1

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    try:
        for round in range(30):
            with case("round %d" % round):
                watcher = connect(relay, b"starter-%d" % round)
                watcher.watch(1, cid=round + 1)
                watcher.close()
    finally:
        stop.set()
        thread.join(10)


def test_another_watch_value_is_malformed(relay, connect):
    """§3.7: "any other value of that byte is `malformed frame` (4) and a close"."""
    for value in (2, 0x80, 0xFF):
        with case("value %d" % value):
            client = connect(relay, b"w%d" % value)
            client.send(w.watch(1, value))
            client.expect_error_and_close(w.MALFORMED_FRAME)


def test_repeated_start_or_stop_changes_nothing_and_is_acked(relay, connect):
    """§3.7: "Starting while already watching, or stopping while not watching, changes nothing
    and is ACKed too: a peer never gets an event twice for one change"."""
    watcher = connect(relay, b"watcher")
    watcher.watch(0, cid=1)
    watcher.watch(1, cid=2)
    watcher.watch(1, cid=3)
    connect(relay, b"once")
    watcher.expect(w.JOINED, name=b"once")
    watcher.expect_silence()
    watcher.watch(0, cid=4)
    watcher.watch(0, cid=5)
    connect(relay, b"unseen")
    watcher.expect_silence()


def test_watch_reports_changes_not_peers_already_registered(relay, connect):
    """§3.7: "WATCH reports changes from the moment it starts, not the peers already registered:
    to know both, start watching, then LIST"."""
    connect(relay, b"earlier")
    watcher = watcher_of(relay, connect)
    watcher.expect_silence()
    watcher.send(w.with_id(w.LIST, 2))
    watcher.expect(w.PEERS, names=[b"earlier", b"watcher"])


def test_joined_and_left_layout(relay, connect):
    """§3.7: "While watching, the client gets JOINED (`0x0D`) when a peer registers and LEFT
    (`0x0E`) when one goes away, each a kind byte and a name (length byte and bytes)"; going away
    by GOODBYE, by a close, and by the broker closing it all count."""
    watcher = watcher_of(relay, connect)
    for name, leave in ((b"polite", "goodbye"), (b"abrupt", "close"), (b"rude", "malformed")):
        peer = connect(relay, name)
        assert watcher.recv_frame() == bytes([0x0D, len(name)]) + name
        if leave == "goodbye":
            peer.send(w.goodbye())
        elif leave == "malformed":
            peer.send(b"\xff")
        peer.close()
        assert watcher.recv_frame() == bytes([0x0E, len(name)]) + name


def test_presence_is_ordered_with_deliveries(relay, connect):
    """§3.7: "Presence events are queued on the same ordered stream as deliveries, so a watcher
    sees a peer's JOINED before any message from it and its LEFT after its last message"."""
    watcher = watcher_of(relay, connect)
    for round_ in range(5):
        peer = connect(relay, b"talker")
        for i in range(20):
            peer.send(w.send(b"watcher", b"%d" % i))
        peer.send(w.goodbye())
        peer.expect_closed()
        watcher.expect(w.JOINED, name=b"talker")
        for i in range(20):
            watcher.expect(w.DELIVER, name=b"talker", payload=b"%d" % i)
        watcher.expect(w.LEFT, name=b"talker")


def test_a_peers_own_registration_is_not_reported_to_itself(relay, connect):
    """§3.7: "A peer's own registration is not reported to itself": a watcher sees JOINED for
    others only, never for its own name."""
    watcher = watcher_of(relay, connect)
    connect(relay, b"other")
    watcher.expect(w.JOINED, name=b"other")
    watcher.expect_silence()


def test_a_stopping_ack_follows_earlier_events_and_none_follow_it(relay, connect):
    """§3.7: "The ACK of a WATCH that stops events is queued after every event queued before it;
    no event follows that ACK"."""
    watcher = watcher_of(relay, connect)
    peers = [connect(relay, b"p%d" % i) for i in range(10)]
    watcher.send(w.watch(9, 0))
    joined = [watcher.expect(w.JOINED).fields["name"] for _ in peers]
    assert joined == [b"p%d" % i for i in range(10)]
    watcher.expect(w.ACK, cid=9)
    for peer in peers:
        peer.close()
    connect(relay, b"late")
    watcher.expect_silence(0.5)


REPLACE = [{"name": "any", "authkey": "any-key", "may_register": ["*"], "may_send_to": ["*"],
            "may_list": True, "on_name_conflict": "replace"}]


def test_a_takeover_gives_left_then_joined(daemon, connect):
    """§3.7: "When a HELLO takes a name over (`on_name_conflict = "replace"`), watchers get LEFT
    for the name (the old holder) and then JOINED (the new one)"."""
    relay = daemon(principals=REPLACE)
    watcher = watcher_of(relay, connect, key=b"any-key")
    old = connect(relay, b"seat", key=b"any-key")
    watcher.expect(w.JOINED, name=b"seat")
    new = connect(relay, b"seat", key=b"any-key")
    old.expect_error_and_close(w.REPLACED, name=b"seat")
    watcher.expect(w.LEFT, name=b"seat")
    watcher.expect(w.JOINED, name=b"seat")
    watcher.expect_silence()
    watcher.send(w.send(b"seat", b"to the new holder"))
    new.expect(w.DELIVER, payload=b"to the new holder")


def test_a_replaced_holder_gets_no_event_only_the_error(daemon, connect):
    """§3.7: "the old holder itself, even if it watches, gets no event from then on, only ERROR
    `replaced`". Repeated, since the takeover races with the old holder's own queue."""
    relay = daemon(principals=REPLACE)
    for round_ in range(20):
        old = watcher_of(relay, connect, name=b"seat-%d" % round_, key=b"any-key")
        connect(relay, b"seat-%d" % round_, key=b"any-key")
        old.expect_error_and_close(w.REPLACED, name=b"seat-%d" % round_)


def test_a_refused_hello_produces_no_event(relay, connect):
    """§3.7: "A refused HELLO produces no event" (a taken name, an invalid one, a wrong version)."""
    watcher = watcher_of(relay, connect)
    for body in (w.hello(b"watcher"), w.hello(b"bad name"), w.hello(b"v3", version=3)):
        refused = connect(relay)
        refused.send(body)
        refused.expect(w.ERROR)
        refused.expect_closed()
    watcher.expect_silence()
