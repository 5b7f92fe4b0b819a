"""The asyncio flavour against a real mprelayd."""

from __future__ import annotations

import asyncio
import time
from typing import Any, List

import pytest

import mprelay
import mprelay.aio
from conftest import AUTHKEY, Broker


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_send_recv_and_async_for(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")

    async def main() -> None:
        async with mprelay.aio.connect(broker.address, AUTHKEY, name=a_name, timeout=5) as a:
            b = await mprelay.aio.connect(broker.address, AUTHKEY, name=b_name, timeout=5)
            assert isinstance(b, mprelay.aio.AsyncPeer) and b.name == b_name
            for i in range(5):
                await a.send(b_name, {"i": i})
            await a.send_bytes(b_name, b"raw", confirm=True)
            got: List[Any] = []
            async for msg in b:
                got.append(msg.payload)
                if len(got) == 6:
                    break
            assert got == [{"i": i} for i in range(5)] + [b"raw"]
            assert a_name in await b.peers()
            assert await b.ping() < 1
            await b.close()
            assert b.closed

    run(main())


def test_request_reply(broker: Broker, names: Any) -> None:
    c_name, s_name = names("client"), names("server")

    async def serve(server: mprelay.aio.AsyncPeer) -> None:
        async for msg in server:
            await server.reply(msg, msg.payload * 2)

    async def main() -> None:
        async with mprelay.aio.connect(broker.address, AUTHKEY, name=s_name) as server, \
                mprelay.aio.connect(broker.address, AUTHKEY, name=c_name) as client:
            task = asyncio.ensure_future(serve(server))
            answers = await asyncio.gather(*(client.request(s_name, i, timeout=10) for i in range(100)))
            assert answers == [2 * i for i in range(100)]
            with pytest.raises(mprelay.UnknownPeer):
                await client.request(names("nobody"), 1, timeout=5)
            await server.close()
            await asyncio.wait_for(task, 5)  # async for ends when the peer is closed

    run(main())


def test_timeout_and_cancellation_lose_nothing(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")

    async def main() -> None:
        async with mprelay.aio.connect(broker.address, AUTHKEY, name=a_name) as a, \
                mprelay.aio.connect(broker.address, AUTHKEY, name=b_name) as b:
            t0 = time.monotonic()
            with pytest.raises(TimeoutError):
                await b.recv(timeout=0.2)
            assert time.monotonic() - t0 < 2
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(b.recv(), 0.1)  # cancelled while waiting
            await a.send(b_name, "first")
            await a.send(b_name, "second")
            assert (await b.recv(timeout=5)).payload == "first"
            assert (await b.recv(timeout=5)).payload == "second"

    run(main())


def test_errors_and_presence(broker: Broker, names: Any) -> None:
    w_name, j_name, ghost = names("w"), names("j"), names("ghost")

    async def main() -> None:
        async with mprelay.aio.connect(broker.address, AUTHKEY, name=w_name) as w:
            await w.watch()
            async with mprelay.aio.connect(broker.address, AUTHKEY, name=j_name) as j:
                await j.send(w_name, "hi")
            assert await w.recv(timeout=5) == mprelay.PeerJoined(j_name)
            assert (await w.recv(timeout=5)).payload == "hi"
            assert await w.recv(timeout=5) == mprelay.PeerLeft(j_name)
            with pytest.raises(mprelay.UnknownPeer):
                await w.send(ghost, 1, confirm=True)
            cid = await w.send(ghost, 2)
            with pytest.raises(mprelay.UnknownPeer) as info:
                await w.recv(timeout=5)  # the unconfirmed send's error is not lost
            assert info.value.correlation_id == cid
            with pytest.raises(mprelay.NameTaken):
                await mprelay.aio.connect(broker.address, AUTHKEY, name=w_name)
            with pytest.raises(mprelay.AuthenticationError):
                await mprelay.aio.connect(broker.address, b"bad key", name=names("x"))

    run(main())


def test_loop_stays_responsive(broker: Broker, names: Any) -> None:
    a_name = names("a")

    async def main() -> None:
        async with mprelay.aio.connect(broker.address, AUTHKEY, name=a_name) as a:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            t = asyncio.ensure_future(ticker())
            with pytest.raises(TimeoutError):
                await a.recv(timeout=0.5)
            t.cancel()
            assert ticks > 10  # recv() did not block the loop

    run(main())


def test_batches_and_large_frames(broker: Broker, names: Any) -> None:
    a_name, b_name = names("a"), names("b")
    big = b"\x5a" * (8 * 1024 * 1024)  # more than a socket takes at once: written in part first

    async def main() -> None:
        async with mprelay.aio.connect(broker.address, AUTHKEY, name=a_name, timeout=5) as a, \
                mprelay.aio.connect(broker.address, AUTHKEY, name=b_name, timeout=5) as b:
            ids = await a.send_many(b_name, [b"%d" % i for i in range(3000)])
            assert ids == list(range(ids[0], ids[0] + 3000))
            for i in range(500):
                await a.send_bytes(b_name, b"single %d" % i)
            sender = asyncio.ensure_future(a.send_bytes(b_name, big))
            got: List[bytes] = []
            while len(got) < 3501:
                batch = await b.recv_many(max=700, timeout=10)
                assert 1 <= len(batch) <= 700
                got += [m.data for m in batch]  # type: ignore[union-attr]
            await sender
            assert got == [b"%d" % i for i in range(3000)] + [b"single %d" % i for i in range(500)] + [big]

    run(main())
