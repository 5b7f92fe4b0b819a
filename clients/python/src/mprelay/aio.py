"""The asyncio flavour of mprelay: :func:`connect` and :class:`AsyncPeer`.

It wraps the thread-safe blocking :class:`mprelay.Peer`. One daemon thread per peer reads from
the broker, but only while a coroutine waits in :meth:`AsyncPeer.recv` or for an answer
(a confirmed send, a request, ``ping``, ``peers``, ``watch``), so the broker's per-receiver bound
keeps working as back-pressure. Writes run briefly in the loop's default executor; waiting for an
answer holds no thread (the reading thread settles it), so any number of requests may be in
flight. Cancelling ``recv()`` loses nothing: an item that arrives afterwards is kept for the next
call.

::

    import asyncio, mprelay.aio

    async def main():
        async with mprelay.aio.connect(("127.0.0.1", 6000), name="alice") as peer:
            await peer.send("bob", {"job": 1})
            async for msg in peer:
                print(msg.sender, msg.payload)

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import functools
import pickle
import ssl
import time
from typing import Any, Callable, Generator, Iterable, List, Optional, TypeVar, Union

from . import protocol as P
from .address import Addresses
from .aio_receiving import AsyncReceiving
from .errors import DisconnectedError
from .message import Item, Message
from .peer import Peer
from .waiting import Waiter, deadline_after, fresh_copy, time_left

__all__ = ["AsyncPeer", "connect"]

_T = TypeVar("_T")


class AsyncPeer(AsyncReceiving):
    """An mprelay peer for asyncio code. Create one with :func:`mprelay.aio.connect`.

    The methods mirror :class:`mprelay.Peer` as coroutines and behave the same way, errors
    included. ``async for msg in peer`` receives until the peer is closed.
    """

    @property
    def peer(self) -> Peer:
        """The blocking :class:`mprelay.Peer` underneath (thread-safe; do not call ``recv`` on it)."""
        return self._peer

    @property
    def name(self) -> str:
        """The registered name."""
        return self._peer.name

    @property
    def max_message_bytes(self) -> int:
        """The largest payload the broker relays."""
        return self._peer.max_message_bytes

    @property
    def closed(self) -> bool:
        """True once the peer is closed for good."""
        return self._peer.closed

    def __repr__(self) -> str:
        return "<mprelay.aio.AsyncPeer %r>" % (self._peer,)

    # -- receiving (the reading thread and recv() are in mprelay.aio_receiving) ----------------

    def __aiter__(self) -> "AsyncPeer":
        return self

    async def __anext__(self) -> Item:
        try:
            return await self.recv()
        except DisconnectedError:
            if self._stopping:
                raise StopAsyncIteration from None
            raise

    # -- everything else runs in the executor ----------------------------------------------------

    async def _call(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return await self._loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))

    async def _answer(
        self, begin: Callable[..., Any], timeout: Optional[float], *args: Any, answer: bool = True
    ) -> Any:
        """Write an envelope in the executor, then wait for the broker's answer without a thread.

        ``begin`` is one of the peer's ``_begin_*`` methods; returns its (id, waiter) settled.
        ``answer=False``: nothing to wait for (an unconfirmed send), so the reading thread is not
        woken for it.
        """
        deadline = deadline_after(self._peer.timeout if timeout is None else timeout)
        settled = asyncio.Event()
        loop = self._loop

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(settled.set)
            except RuntimeError:  # pragma: no cover - the loop is closed
                pass

        if answer:
            self._outstanding += 1
            self._wake.set()
        waiter: Optional[Waiter] = None
        cid = 0
        try:
            cid, waiter = await self._call(begin, *args, deadline, wake)
            if waiter is None:
                return cid, None
            while not waiter.done:
                settled.clear()
                if waiter.done:
                    break
                try:
                    await asyncio.wait_for(settled.wait(), time_left(deadline))
                except asyncio.TimeoutError:
                    if waiter.done:
                        break
                    raise TimeoutError("timed out waiting for %s" % waiter.describe(cid)) from None
            if waiter.error is not None:
                raise fresh_copy(waiter.error)
            return cid, waiter
        except BaseException:
            if waiter is not None:
                self._peer.forget(cid, waiter)
            raise
        finally:
            if answer:
                self._outstanding -= 1

    async def send(
        self, to: str, obj: Any, *, confirm: bool = False, timeout: Optional[float] = None
    ) -> int:
        """Send ``obj`` pickled to ``to``; see :meth:`mprelay.Peer.send`."""
        data = pickle.dumps(obj, protocol=self._peer.pickle_protocol)
        return await self.send_bytes(to, data, flags=P.FLAG_PICKLE, confirm=confirm, timeout=timeout)

    async def send_bytes(
        self,
        to: str,
        data: Union[bytes, bytearray, memoryview],
        *,
        flags: int = 0,
        confirm: bool = False,
        timeout: Optional[float] = None,
    ) -> int:
        """Send raw bytes to ``to``; see :meth:`mprelay.Peer.send_bytes`.

        An unconfirmed send is written from the loop's thread when the socket takes it without
        blocking, and in the default executor otherwise.
        """
        if not confirm:
            started = self._peer.begin_nowait(to, data, flags)
            if started is not None:
                cid, rest, link = started
                if rest is not None:
                    await self._call(self._peer.finish_write, link, rest)
                return cid
        cid, _ = await self._answer(
            self._peer.begin_send, timeout, to, data, flags, 0, 0, confirm, False, answer=confirm
        )
        return cid  # type: ignore[no-any-return]

    async def send_many(
        self, to: str, payloads: Iterable[Union[bytes, bytearray, memoryview]], *, flags: int = 0,
        timeout: Optional[float] = None,
    ) -> List[int]:
        """Send every payload to ``to`` in few writes; see :meth:`mprelay.Peer.send_many`."""
        deadline = deadline_after(self._peer.timeout if timeout is None else timeout)
        return await self._call(self._peer.write_batch, to, list(payloads), flags, deadline)

    async def request(self, to: str, obj: Any, *, timeout: Optional[float] = None) -> Any:
        """Send ``obj`` to ``to`` and return the reply's payload; see :meth:`mprelay.Peer.request`."""
        data = pickle.dumps(obj, protocol=self._peer.pickle_protocol)
        _, waiter = await self._answer(
            self._peer.begin_send, timeout, to, data, P.FLAG_PICKLE, 0, 0, False, True
        )
        return self._peer.message(waiter.value).payload

    async def request_bytes(
        self,
        to: str,
        data: Union[bytes, bytearray, memoryview],
        *,
        flags: int = 0,
        timeout: Optional[float] = None,
    ) -> Message:
        """As :meth:`request` with a raw payload; returns the whole reply message."""
        _, waiter = await self._answer(
            self._peer.begin_send, timeout, to, data, flags, 0, 0, False, True
        )
        return self._peer.message(waiter.value)

    async def reply(
        self, msg: Message, obj: Any, *, confirm: bool = False, timeout: Optional[float] = None
    ) -> int:
        """Answer ``msg`` with ``obj``, pickled (``msg.reply`` without blocking the loop)."""
        data = pickle.dumps(obj, protocol=self._peer.pickle_protocol)
        return await self.reply_bytes(msg, data, flags=P.FLAG_PICKLE, confirm=confirm, timeout=timeout)

    async def reply_bytes(
        self,
        msg: Message,
        data: Union[bytes, bytearray, memoryview],
        *,
        flags: int = 0,
        confirm: bool = False,
        timeout: Optional[float] = None,
    ) -> int:
        """Answer ``msg`` with raw bytes (``msg.reply_bytes`` without blocking the loop)."""
        if not msg.correlation_id:
            raise ValueError("the message carries no correlation id, so it cannot be replied to")
        cid, _ = await self._answer(
            self._peer.begin_send, timeout, msg.sender, data, flags, P.OPT_REPLY,
            msg.correlation_id, confirm, False, answer=confirm,
        )
        return cid  # type: ignore[no-any-return]

    async def ping(self, timeout: Optional[float] = None) -> float:
        """Round-trip time to the broker, in seconds."""
        start = time.perf_counter()
        await self._answer(self._peer.begin_control, timeout, P.Kind.PING)
        return time.perf_counter() - start

    async def peers(self, timeout: Optional[float] = None) -> List[str]:
        """The registered names."""
        _, waiter = await self._answer(self._peer.begin_control, timeout, P.Kind.LIST)
        return list(waiter.value)

    async def watch(self, enable: bool = True, *, timeout: Optional[float] = None) -> None:
        """Start (or stop) presence events; see :meth:`mprelay.Peer.watch`."""
        await self._answer(
            functools.partial(self._peer.begin_control, enable=enable), timeout, P.Kind.WATCH
        )

    async def unwatch(self, *, timeout: Optional[float] = None) -> None:
        """Stop presence events."""
        await self.watch(False, timeout=timeout)

    async def close(self) -> None:
        """Say GOODBYE and close; a pending ``recv()`` raises :class:`mprelay.DisconnectedError`."""
        self._stopping = True
        self._wake.set()
        await self._call(self._peer.close)
        self._arrived.set()  # a recv() still waiting sees the peer is closed

    async def __aenter__(self) -> "AsyncPeer":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


class _Connecting:
    """What :func:`connect` returns: await it, or use it with ``async with``."""

    def __init__(self, fn: Callable[[], Peer]) -> None:
        self._fn = fn
        self._peer: Optional[AsyncPeer] = None

    async def _connect(self) -> AsyncPeer:
        loop = asyncio.get_running_loop()
        peer = await loop.run_in_executor(None, self._fn)
        return AsyncPeer(peer, loop)

    def __await__(self) -> Generator[Any, None, AsyncPeer]:
        return self._connect().__await__()

    async def __aenter__(self) -> AsyncPeer:
        self._peer = await self._connect()
        return self._peer

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._peer is not None:
            await self._peer.close()


def connect(
    address: Addresses,
    authkey: Optional[Union[bytes, bytearray, memoryview]] = None,
    *,
    name: str,
    timeout: Optional[float] = 10.0,
    reconnect: bool = False,
    keepalive: Optional[float] = 20.0,
    pickle_protocol: Optional[int] = None,
    tls: Optional[ssl.SSLContext] = None,
    server_hostname: Optional[str] = None,
) -> _Connecting:
    """Connect without blocking the event loop; the arguments are those of :func:`mprelay.connect`.

    Use ``peer = await mprelay.aio.connect(...)`` or ``async with mprelay.aio.connect(...) as peer``.
    """
    return _Connecting(
        functools.partial(
            Peer,
            address,
            authkey,
            name=name,
            timeout=timeout,
            reconnect=reconnect,
            keepalive=keepalive,
            pickle_protocol=pickle_protocol,
            tls=tls,
            server_hostname=server_hostname,
        )
    )
