"""send_many and recv_many against a real mprelayd."""

from __future__ import annotations

import time
from typing import Any, List

import pytest

import mprelay
from conftest import Broker


def test_a_batch_arrives_whole_and_in_order(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        payloads = [b"%d" % i * (i % 50) for i in range(10000)]
        ids = a.send_many(b_name, payloads)
        assert len(ids) == 10000 and ids == list(range(ids[0], ids[0] + 10000))
        assert a.send_bytes(b_name, b"after") == ids[-1] + 1  # one counter for both

        got: List[mprelay.Message] = []
        while len(got) < 10001:
            batch = b.recv_many(timeout=5)
            assert batch and all(isinstance(m, mprelay.Message) for m in batch)
            got += batch  # type: ignore[arg-type]
        assert [m.data for m in got] == payloads + [b"after"]
        assert [m.correlation_id for m in got[:-1]] == ids
        assert {m.sender for m in got} == {a_name} and not any(m.flags for m in got)


def test_recv_many_bounds_and_waits(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    with broker.connect(a_name) as a, broker.connect(b_name) as b:
        with pytest.raises(TimeoutError):
            b.recv_many(timeout=0.1)
        with pytest.raises(ValueError):
            b.recv_many(max=0)
        a.send_many(b_name, [b"1", bytearray(b"2"), memoryview(b"3")], flags=0x80)
        a.send(b_name, "pickled")
        got: List[Any] = []
        while len(got) < 4:  # however the frames fall into reads, never more than max per call
            batch = b.recv_many(max=2, timeout=5)
            assert 1 <= len(batch) <= 2
            got += batch
        assert [(m.data, m.flags) for m in got[:3]] == [(b"1", 0x80), (b"2", 0x80), (b"3", 0x80)]
        assert got[3].payload == "pickled"


def test_a_batch_with_a_payload_too_large_sends_nothing(make_broker: Any) -> None:
    br = make_broker({"max_message_bytes": 1000})
    with br.connect("a") as a, br.connect("b") as b:
        with pytest.raises(mprelay.MessageTooLargeError, match="payload 2 of the batch has 1001 bytes"):
            a.send_many("b", [b"ok", b"ok", b"x" * 1001])
        a.send_bytes("b", b"only this")
        assert b.recv_many(timeout=5)[0].data == b"only this"  # type: ignore[union-attr]
        with pytest.raises(ValueError):
            a.send_many("b", [b"x"], flags=256)
        with pytest.raises(mprelay.InvalidNameError):
            a.send_many("bad name", [b"x"])


def test_batch_errors_surface_later(broker: Broker, names: Any) -> None:
    a_name, ghost = names("a"), names("ghost")
    with broker.connect(a_name) as a:
        ids = a.send_many(ghost, [b"1", b"2"])
        errors = []
        deadline = time.monotonic() + 5
        while len(errors) < 2 and time.monotonic() < deadline:
            try:
                a.recv_many(timeout=0.2)
            except mprelay.UnknownPeerError as err:
                errors.append((err.correlation_id, err.peer))
            except TimeoutError:
                pass
        assert errors == [(ids[0], ghost), (ids[1], ghost)]
