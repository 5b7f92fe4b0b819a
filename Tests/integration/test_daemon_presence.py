"""LIST, WATCH/JOINED/LEFT, PING/PONG and the idle timeout."""

import threading
import time

import relaywire as rw


def list_names(peer, cid):
    env = peer.request(rw.list_peers(cid), rw.PEERS)
    assert env.fields["cid"] == cid, env
    return env.fields["names"]


def test_list_returns_sorted_names(relay):
    names = ["zeta", "alpha", "Beta", "m\u00fcller", "10", "9", "alpha-2"]
    peers = [rw.Peer(relay.addresses[i % 3], relay.authkey, n) for i, n in enumerate(names)]
    got = list_names(peers[0], 0x0102030405060708)
    expected = sorted(n.encode() for n in names)  # bytewise
    assert got == expected
    peers[1].send_raw(rw.goodbye(0, b"bye"))
    peers[1].expect_closed()
    peers[2].close()
    time.sleep(0.2)
    assert list_names(peers[0], 2) == sorted(n.encode() for n in names if n not in ("alpha", "Beta"))
    for p in peers:
        p.close()


def test_watch_reports_joined_and_left(relay):
    watcher = rw.Peer(relay.by_kind("inet"), relay.authkey, "watcher")
    assert watcher.request(rw.watch(55), rw.ACK).fields["cid"] == 55
    # A peer's JOINED comes before its messages, its LEFT after its last one.
    newcomer = rw.Peer(relay.by_kind("unix"), relay.authkey, "newcomer")
    for i in range(50):
        newcomer.send("watcher", b"hi %d" % i, cid=i)
    newcomer.send_raw(rw.goodbye(0))
    assert watcher.recv_kind(rw.JOINED).fields["name"] == "newcomer"
    for i in range(50):
        d = watcher.recv_kind(rw.DELIVER)
        assert (d.fields["sender"], d.fields["payload"]) == ("newcomer", b"hi %d" % i)
    assert watcher.recv_kind(rw.LEFT).fields["name"] == "newcomer"
    # A connection that just drops also produces LEFT.
    dropper = rw.Peer(relay.by_kind("abstract"), relay.authkey, "dropper")
    assert watcher.recv_kind(rw.JOINED).fields["name"] == "dropper"
    dropper.close()
    assert watcher.recv_kind(rw.LEFT).fields["name"] == "dropper"
    # A watcher is not told about itself; after WATCH stop, nothing more comes.
    assert watcher.request(rw.watch(56, start=False), rw.ACK).fields["cid"] == 56
    rw.Peer(relay.by_kind("inet"), relay.authkey, "unseen").close()
    assert not watcher.conn.poll(0.4), "event after WATCH stop: %r" % (watcher.recv(),)
    # A second watcher that registers later does not get its own JOINED.
    second = rw.Peer(relay.by_kind("inet"), relay.authkey)
    second.send_raw(rw.hello("second"))
    assert second.recv().kind == rw.WELCOME
    assert second.request(rw.watch(1), rw.ACK).fields["cid"] == 1
    assert not second.conn.poll(0.3)
    watcher.close()
    second.close()


def test_ping_answered_with_pong(relay):
    peer = rw.Peer(relay.by_kind("abstract"), relay.authkey, "pinger")
    for cid in (0, 1, 2 ** 63, 2 ** 64 - 1):
        assert peer.request(rw.ping(cid), rw.PONG).fields["cid"] == cid
    peer.close()


def test_idle_peer_pinged_then_dropped_while_responsive_peer_stays(start_relay):
    relay = start_relay(idle_timeout=1.0)
    silent = rw.Peer(relay.by_kind("inet"), relay.authkey, "silent")
    lively = rw.Peer(relay.by_kind("unix"), relay.authkey, "lively")
    registered = time.monotonic()
    pings_answered = []
    stop = threading.Event()
    problems = []

    def answer_pings():
        try:
            while not stop.is_set():
                if lively.conn.poll(0.05):
                    env = rw.decode(lively.conn.recv_bytes())
                    if env.kind == rw.PING:
                        lively.send_raw(rw.pong(env.fields["cid"]))
                        pings_answered.append(env.fields["cid"])
                    elif env.kind != rw.PONG:
                        problems.append(env)
        except BaseException as exc:
            problems.append(exc)

    t = threading.Thread(target=answer_pings, daemon=True)
    t.start()
    # The silent peer reads (reading sends nothing) but never answers.
    got, ping_at = [], None
    while True:
        if not silent.conn.poll(6.0):
            raise AssertionError("silent peer neither pinged nor dropped within 6 s: %r" % got)
        try:
            env = rw.decode(silent.conn.recv_bytes())
        except (EOFError, ConnectionResetError):
            break
        got.append(env)
        if env.kind == rw.PING and ping_at is None:
            ping_at = time.monotonic() - registered
    dropped_at = time.monotonic() - registered
    print("\nidle_timeout 1.0: PING after %.2f s, dropped after %.2f s" % (ping_at or -1, dropped_at))
    kinds = [e.kind for e in got]
    assert kinds == [rw.PING, rw.ERROR], got
    assert got[1].fields["code"] == rw.E_IDLE_TIMEOUT, got
    assert 0.9 <= ping_at <= 2.5, "PING after %.2f s" % ping_at
    assert 1.8 <= dropped_at <= 4.5, "dropped after %.2f s" % dropped_at
    # The responsive peer is still there a while later.
    time.sleep(max(0.0, 4.0 - (time.monotonic() - registered)))
    stop.set()
    t.join(5)
    assert not problems, problems
    assert pings_answered, "the responsive peer was never pinged in %.1f s of silence" % (time.monotonic() - registered)
    assert list_names(lively, 9) == [b"lively"]
    relay.wait_for_log(r"disconnected \(peer silent\)")
    lively.close()
