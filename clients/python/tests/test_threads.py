"""One peer used by several threads at once, against a real mprelayd."""

from __future__ import annotations

import threading
import time
from typing import Any, List

import mprelay
from conftest import Broker


def test_control_calls_while_another_thread_is_blocked_in_recv(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        received: List[Any] = []

        def receiver() -> None:
            try:
                while True:
                    received.append(a.recv())
            except mprelay.Disconnected:
                pass

        t = threading.Thread(target=receiver)
        t.start()
        time.sleep(0.1)  # the receiver now holds the reading role, blocked in recv()

        assert a.ping() < 1
        assert a_name in a.peers()
        a.send(b_name, "confirmed", confirm=True)
        assert b.recv(timeout=5).payload == "confirmed"

        def serve() -> None:
            msg = b.recv(timeout=5)
            msg.reply(msg.payload + 1)

        s = threading.Thread(target=serve)
        s.start()
        assert a.request(b_name, 41, timeout=5) == 42  # the reply goes to us, not to recv()
        s.join()

        try:
            a.send(names("nobody"), 1, confirm=True)
        except mprelay.UnknownPeer:
            pass
        else:
            raise AssertionError("expected UnknownPeer")

        b.send(a_name, "for the receiver")
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
        a.close()
        t.join(5)
        assert [m.payload for m in received] == ["for the receiver"]


def test_one_sending_thread_one_receiving_thread(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    n = 2000
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        # b echoes everything back; a sends from one thread and receives in another.
        def echo() -> None:
            for _ in range(n):
                m = b.recv(timeout=10)
                b.send_bytes(a_name, m.data)

        got: List[bytes] = []

        def receive() -> None:
            for _ in range(n):
                got.append(a.recv_bytes(timeout=10))

        threads = [threading.Thread(target=echo), threading.Thread(target=receive)]
        for t in threads:
            t.start()
        for i in range(n):
            a.send_bytes(b_name, b"%d" % i)
        for t in threads:
            t.join(30)
        assert got == [b"%d" % i for i in range(n)]


def test_many_threads_share_a_peer(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        stop = threading.Event()

        def server() -> None:
            while not stop.is_set():
                try:
                    m = b.recv(timeout=0.1)
                except TimeoutError:
                    continue
                m.reply(m.payload)

        srv = threading.Thread(target=server)
        srv.start()
        failures: List[BaseException] = []

        def worker(k: int) -> None:
            try:
                for i in range(50):
                    assert a.request(b_name, (k, i), timeout=10) == (k, i)
                    if i % 10 == 0:
                        a.ping()
                        a.send(b_name, ("confirm", k, i), confirm=True)
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        workers = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        stop.set()
        srv.join(5)
        assert not failures, failures


def test_two_receivers_split_the_stream(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    n = 1000
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        got: List[List[int]] = [[], []]

        def receive(k: int) -> None:
            while True:
                try:
                    got[k].append(b.recv(timeout=1).payload)
                except TimeoutError:
                    return

        threads = [threading.Thread(target=receive, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for i in range(n):
            a.send(b_name, i)
        for t in threads:
            t.join(30)
        merged = sorted(got[0] + got[1])
        assert merged == list(range(n))  # nothing lost, nothing twice
        assert got[0] == sorted(got[0]) and got[1] == sorted(got[1])
