"""Broker quotas: max_outbound_messages, slow_consumer_timeout, and the failed-handshake limiter
(auth_failure_limit, auth_failure_window, auth_failure_penalty).

Receivers that must not drain their queue use the socket-file endpoint: the kernel buffers of an
AF_UNIX socket are small and fixed, so what the broker still holds is predictable.
"""

import re
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest

import relaywire as rw


def read_pending(peer, wait=0.0):
    """Every envelope that is already there (or arrives within `wait`)."""
    got = []
    while peer.conn.poll(wait):
        got.append(peer.recv())
        wait = 0.0
    return got


def test_max_outbound_messages_refuses_the_frame_over_the_bound(start_relay):
    relay = start_relay(max_outbound_messages=16)
    unix = relay.by_kind("unix")
    receiver = rw.Peer(unix, relay.authkey, "rx")  # never reads until the end
    sender = rw.Peer(unix, relay.authkey, "tx")
    # One large frame that the kernel cannot take whole: it stays queued (frame 1 of 16).
    big = b"B" * (8 * 1024 * 1024)
    sender.send("rx", big, cid=1, options=rw.OPT_CONFIRM)
    assert sender.recv_kind(rw.ACK, timeout=10).fields["cid"] == 1
    # Frames 2..16 fit; the 17th does not.
    for cid in range(2, 17):
        sender.send("rx", b"small %d" % cid, cid=cid, options=rw.OPT_CONFIRM)
        env = sender.recv()
        assert (env.kind, env.fields.get("cid")) == (rw.ACK, cid), \
            "frame %d of max_outbound_messages 16 was answered %r" % (cid, env)
    for cid in (17, 18):
        sender.send("rx", b"small %d" % cid, cid=cid, options=rw.OPT_CONFIRM)
        env = sender.recv()
        assert env.kind == rw.ERROR, "frame %d over max_outbound_messages 16 was answered %r" % (cid, env)
        assert (env.fields["code"], env.fields["cid"], env.fields["peer"]) == (rw.E_PEER_BUSY, cid, "rx"), env.fields
        assert "max_outbound_messages" in env.fields["text"], env.fields["text"]
    # Without confirm the refusal is reported too.
    sender.send("rx", b"small 19", cid=19)
    env = sender.recv_kind(rw.ERROR)
    assert (env.fields["code"], env.fields["cid"]) == (rw.E_PEER_BUSY, 19), env.fields
    # The receiver gets exactly the 16 queued frames, in order; then there is room again.
    d = receiver.recv_kind(rw.DELIVER, timeout=10)
    assert (d.fields["cid"], d.fields["payload"]) == (1, big)
    for cid in range(2, 17):
        d = receiver.recv_kind(rw.DELIVER)
        assert (d.fields["cid"], d.fields["payload"]) == (cid, b"small %d" % cid), d.fields
    assert not receiver.conn.poll(0.2), "a refused frame was delivered: %r" % (receiver.recv(),)
    sender.send("rx", b"room again", cid=20, options=rw.OPT_CONFIRM)
    assert sender.recv_kind(rw.ACK).fields["cid"] == 20
    assert receiver.recv_kind(rw.DELIVER).fields["payload"] == b"room again"
    receiver.close()
    sender.close()


SLOW_SETTINGS = dict(slow_consumer_timeout=1.0, max_message_bytes=65536, max_outbound_bytes=262144)
PAYLOAD = b"s" * 32768


def test_stuck_receiver_is_disconnected_as_slow_consumer(start_relay):
    relay = start_relay(**SLOW_SETTINGS)
    unix = relay.by_kind("unix")
    stuck = rw.Peer(unix, relay.authkey, "stuck-rx")
    sender = rw.Peer(unix, relay.authkey, "flood-tx")
    bystander = rw.Bystander(relay.by_kind("inet"), relay.authkey, prefix="quota-bystander")
    first_busy = warned = None
    sent = busy = 0
    deadline = time.monotonic() + 10
    pattern = re.compile(r"^\[WARNING/Connection-\d+\] closing connection from .*\(peer stuck-rx\): slow consumer: .*$", re.M)
    while warned is None:
        assert time.monotonic() < deadline, "stuck-rx not disconnected 10 s into the flood (%d busy):\n%s" % (busy, relay.log()[-3000:])
        sent += 1
        sender.send("stuck-rx", PAYLOAD, cid=sent)
        for env in read_pending(sender):
            assert env.kind == rw.ERROR and env.fields["code"] in (rw.E_PEER_BUSY, rw.E_UNKNOWN_PEER), env
            if env.fields["code"] == rw.E_PEER_BUSY:
                busy += 1
                first_busy = first_busy or time.monotonic()
        if first_busy and pattern.search(relay.log()):
            warned = time.monotonic()
        time.sleep(0.005)
    stuck_for = warned - first_busy
    print("\nqueue full after %d sends; slow consumer WARNING %.2f s later (slow_consumer_timeout 1.0)" % (sent - busy, stuck_for))
    assert 1.0 <= stuck_for + 0.1, "disconnected %.2f s after the queue filled, before slow_consumer_timeout" % stuck_for
    assert stuck_for < 4.0, "disconnected only %.2f s after the queue filled" % stuck_for
    # The receiver, reading now, finds what was queued, then ERROR slow consumer, then the close.
    envs = stuck.drain(timeout=5)
    kinds = [e.kind for e in envs]
    assert kinds and kinds[-1] == rw.ERROR and set(kinds[:-1]) <= {rw.DELIVER}, [e.fields.get("code") for e in envs[-3:]]
    assert envs[-1].fields["code"] == rw.E_SLOW_CONSUMER, envs[-1].fields
    cids = [e.fields["cid"] for e in envs[:-1]]
    assert cids == sorted(cids) and cids, cids
    # Its name is free; the sender and the bystanders are fine.
    sender.send("stuck-rx", b"gone?", cid=10 ** 6)
    env = sender.recv()
    while env.fields.get("cid") != 10 ** 6:  # refusals of the flood come first
        assert env.kind == rw.ERROR and env.fields["code"] in (rw.E_PEER_BUSY, rw.E_UNKNOWN_PEER), env
        env = sender.recv()
    assert (env.kind, env.fields["code"]) == (rw.ERROR, rw.E_UNKNOWN_PEER), env
    assert bystander.stop() > 0
    sender.close()


def test_slow_but_steady_reader_is_not_disconnected(start_relay):
    relay = start_relay(**SLOW_SETTINGS)
    unix = relay.by_kind("unix")
    reader = rw.Peer(unix, relay.authkey, "steady-rx")
    sender = rw.Peer(unix, relay.authkey, "fast-tx")
    received, gaps, errors = [], [], []
    stop = threading.Event()

    def read_slowly():
        last = time.monotonic()
        while not stop.is_set():
            if not reader.conn.poll(0.1):
                continue
            try:
                env = rw.decode(reader.conn.recv_bytes())
            except (EOFError, OSError) as exc:
                errors.append(repr(exc))
                return
            now = time.monotonic()
            gaps.append(now - last)
            last = now
            if env.kind != rw.DELIVER:
                errors.append(env)
                return
            received.append(env.fields["cid"])
            time.sleep(0.01)  # ~100 messages a second: a fifth of what the sender offers

    thread = threading.Thread(target=read_slowly, daemon=True)
    thread.start()
    sent = busy = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < 5.0:
            sent += 1
            sender.send("steady-rx", PAYLOAD, cid=sent)
            for env in read_pending(sender):
                assert env.kind == rw.ERROR and env.fields["code"] == rw.E_PEER_BUSY, \
                    "the sender got %r: the steady reader was dropped" % (env,)
                busy += 1
            time.sleep(0.002)
    finally:
        stop.set()
        thread.join(5)
    print("\nsteady reader: %d sent, %d refused busy, %d received, longest gap %.3f s"
          % (sent, busy, len(received), max(gaps or [0])))
    assert not errors, "the steady reader got %r" % errors
    assert busy > sent // 3, "the queue was rarely full (%d of %d refused): the test proves nothing" % (busy, sent)
    assert len(received) > 200, len(received)
    assert received == sorted(received)
    assert max(gaps) < 1.0, "the reader waited %.2f s for a delivery" % max(gaps)
    assert "slow consumer" not in relay.log()
    reader.close()
    sender.close()


def test_failed_handshakes_are_counted_logged_and_penalised(start_relay):
    relay = start_relay(auth_failure_limit=3, auth_failure_window=60.0, auth_failure_penalty=2.0)
    inet, unix = relay.by_kind("inet"), relay.by_kind("unix")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            Client(inet, authkey=b"wrong key")
    third = time.monotonic()
    # A fourth connection from 127.0.0.1 is closed at once, before any challenge, right key or not.
    assert rw.refused_at_accept(inet), "a connection from 127.0.0.1 got a challenge during the penalty"
    with pytest.raises((EOFError, ConnectionResetError, OSError)):
        Client(inet, authkey=relay.authkey)
    assert time.monotonic() - third < 2.0, "the refusals took too long to prove anything"
    # Another origin (a socket file: uid) is not affected.
    rw.Peer(unix, relay.authkey, "other-origin").close()

    # The log is written from a thread of its own: wait for the three failures' lines.
    failure = r"^\[(\w+)/Connection-\d+\] authentication failed from 127\.0\.0\.1:\d+ on [^:]+:\d+: (.*)$"
    relay.wait_for_lines(failure, 3)
    relay.wait_for_log(r"refusing connections from 127\.0\.0\.1")
    log = relay.log()
    failures = re.findall(failure, log, re.M)
    print("\nfailure lines:\n  " + "\n  ".join("%s %s" % f for f in failures))
    assert [level for level, _ in failures] == ["WARNING", "DEBUG", "WARNING"], failures
    assert "failures from" not in failures[0][1], failures[0]
    assert re.search(r"\(2 failures from 127\.0\.0\.1 in the last 60(\.0)? s\)", failures[1][1]), failures[1]
    assert re.search(r"\(3 failures from 127\.0\.0\.1 in the last 60(\.0)? s\)", failures[2][1]), failures[2]
    refusing = re.findall(r"^\[WARNING/[\w-]+\] refusing connections from 127\.0\.0\.1 for 2(\.0)? s after 3 failed handshakes.*$", log, re.M)
    assert len(refusing) == 1, "expected one WARNING `refusing connections from 127.0.0.1`:\n%s" % log[-3000:]
    relay.wait_for_log(r"^\[DEBUG/MainProcess\] refused connection from 127\.0\.0\.1:\d+ on \S+: too many failed handshakes from 127\.0\.0\.1")
    assert "authenticated from 127.0.0.1" not in log

    # Once the penalty is over, the right key gets in again.
    time.sleep(max(0.0, third + 2.3 - time.monotonic()))
    back = rw.Peer(inet, relay.authkey, "after-penalty")
    relay.wait_for_log(r"authenticated from 127\.0\.0\.1:\d+ ")
    back.close()
