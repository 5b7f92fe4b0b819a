"""The short paths of requests, replies and reads: they keep every behaviour of the general ones.

Against a real mprelayd, and (for the link's reads) a real socket pair: a request or a reply
written without the general path's checks still raises an error that arrived before it, a
reader that takes what it waits for under the lock it dispatches with still shares the stream
with other threads, and a read bounded by the socket's receive timeout still honours deadlines.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from typing import Any, Dict, List, Tuple

import pytest

import mprelay
from conftest import Broker
from mprelay.framing import Parsed
from mprelay.link import READ_SLICE, Link
from test_framing import stream_of


def wait_readable(peer: mprelay.Peer, timeout: float = 5.0) -> None:
    """Wait until something the broker sent waits unread in ``peer``'s socket."""
    ready, _, _ = select.select([peer.fileno()], [], [], timeout)
    assert ready, "nothing arrived within %s seconds" % timeout


def test_a_request_raises_an_error_that_arrived_before_it_and_sends_nothing(
    broker: Broker, names: Any
) -> None:
    a_name, b_name, ghost = names("a"), names("b"), names("ghost")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        a.send_bytes(b_name, b"first")  # from now on a request to b can take the short path
        assert b.recv_bytes(timeout=5) == b"first"
        failed = a.send_bytes(ghost, b"lost")
        wait_readable(a)
        with pytest.raises(mprelay.UnknownPeerError) as info:
            a.request_bytes(b_name, b"must not go", timeout=5)
        assert (info.value.correlation_id, info.value.peer) == (failed, ghost)
        with pytest.raises(TimeoutError):
            b.recv(timeout=0.3)  # the request was not sent

        def serve() -> None:
            msg = b.recv(timeout=5)
            msg.reply_bytes(msg.data.upper())  # type: ignore[union-attr]

        server = threading.Thread(target=serve)
        server.start()
        reply = a.request_bytes(b_name, b"now", timeout=5)
        server.join(5)
        assert (reply.data, reply.sender, reply.is_reply) == (b"NOW", b_name, True)


def test_a_reply_to_a_peer_that_left_fails_on_the_next_call(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(b_name) as b:
        with broker.connect(a_name) as a:
            a.send_bytes(b_name, b"question")
            msg = b.recv(timeout=5)
            b.send_bytes(a_name, b"hello")  # from now on a reply to a can take the short path
            assert a.recv_bytes(timeout=5) == b"hello"
        # The broker learns of a's close when it reads a's end of file: a reply that reached a's
        # queue before that would be discarded with the queue, not refused.
        deadline = time.monotonic() + 5
        while a_name in b.peers(timeout=5) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert isinstance(msg, mprelay.Message)
        assert msg.reply_bytes(b"answer") == msg.correlation_id  # written, not yet refused
        with pytest.raises(mprelay.UnknownPeerError) as info:
            b.recv(timeout=5)
        assert (info.value.correlation_id, info.value.peer) == (msg.correlation_id, a_name)


def test_requests_and_receivers_share_one_peer(broker: Broker, names: Any) -> None:
    # Four threads make requests and two receive plain messages, all on one peer: every read
    # is done by whichever thread holds the reading role, and hands the others what is theirs.
    a_name, b_name, c_name = names("a"), names("b"), names("c")
    requests, messages = 200, 2000
    with broker.connect(a_name) as a, broker.connect(b_name) as b, broker.connect(c_name) as c:
        stop = threading.Event()

        def server() -> None:
            while not stop.is_set():
                try:
                    msg = b.recv(timeout=0.1)
                except TimeoutError:
                    continue
                msg.reply_bytes(msg.data[::-1])  # type: ignore[union-attr]

        failures: List[BaseException] = []
        received: Dict[int, List[int]] = {0: [], 1: []}

        def requester(k: int) -> None:
            try:
                for i in range(requests):
                    data = b"%d-%d" % (k, i)
                    assert a.request_bytes(b_name, data, timeout=10).data == data[::-1]
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        def receiver(k: int) -> None:
            while True:
                try:
                    received[k].append(int(a.recv_bytes(timeout=2)))
                except TimeoutError:
                    return

        threads = [threading.Thread(target=server)]
        threads += [threading.Thread(target=requester, args=(k,)) for k in range(4)]
        threads += [threading.Thread(target=receiver, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for i in range(messages):
            c.send_bytes(a_name, b"%d" % i)
        for t in threads[1:]:
            t.join(60)
        stop.set()
        threads[0].join(5)
        assert not failures, failures
        assert sorted(received[0] + received[1]) == list(range(messages))
        assert all(r == sorted(r) for r in received.values())


def test_a_wait_longer_than_the_read_slice(broker: Broker, names: Any) -> None:
    # A wait of more than READ_SLICE reads without polling first: the socket's receive timeout
    # ends each read, and the deadline still holds, to within a slice's poll.
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            b.recv(timeout=READ_SLICE * 1.5)
        took = time.monotonic() - start
        assert READ_SLICE * 1.5 <= took < READ_SLICE * 1.5 + 0.5

        timer = threading.Timer(READ_SLICE * 1.2, a.send_bytes, args=(b_name, b"late"))
        timer.start()
        assert b.recv_bytes(timeout=READ_SLICE * 4) == b"late"
        timer.join()


def linked_pair() -> Tuple[Link, socket.socket]:
    """A link over one end of a real socket pair, and the other end to write the stream to."""
    ours, theirs = socket.socketpair()
    return Link(ours, 1 << 20), theirs


def test_a_link_reads_a_stream_split_at_every_byte() -> None:
    # Each byte is written alone and read alone: every position of the stream is a read
    # boundary on a real socket, inside prefixes, headers, names and payloads alike.
    data, expected = stream_of(600, seed=7)
    link, theirs = linked_pair()
    try:
        got: List[Parsed] = []
        for i in range(len(data)):
            theirs.sendall(data[i : i + 1])
            got += link.read(None)
        assert got == expected
    finally:
        theirs.close()
        link.close()


def test_link_reads_honour_deadlines() -> None:
    link, theirs = linked_pair()
    try:
        start = time.monotonic()
        assert link.read(start) == []  # a deadline already passed: a look, no wait
        assert link.read(start + 0.2) == []  # shorter than a slice: polls until the deadline
        assert 0.2 <= time.monotonic() - start < 0.2 + READ_SLICE / 2
        start = time.monotonic()
        assert link.read(start + 10 * READ_SLICE) == []  # one slice, then the caller reads again
        assert READ_SLICE * 0.9 <= time.monotonic() - start < READ_SLICE * 2
        data, expected = stream_of(50, seed=8)
        theirs.sendall(data)
        got: List[Parsed] = []
        while len(got) < len(expected):
            got += link.read(time.monotonic() + 5)
        assert got == expected
        theirs.close()
        with pytest.raises(EOFError):
            link.read(time.monotonic() + 5)
    finally:
        theirs.close()
        link.close()
