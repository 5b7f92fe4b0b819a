"""The receiving half of :class:`mprelay.aio.AsyncPeer`: its reading thread and ``recv``.

One daemon thread per peer reads from the broker with :meth:`mprelay.Peer.pump`, but only while
a coroutine waits in :meth:`AsyncReceiving.recv` or for an answer from the broker
(``_outstanding``), so the broker's per-receiver bound keeps working as back-pressure. What one
read brings is handed to the event loop in one call. Cancelling ``recv()`` loses nothing: an item
that arrives afterwards is kept for the next call.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Any, Deque, List, Optional

from .errors import DisconnectedError
from .message import Item, Message
from .peer import Peer
from .waiting import NOTHING, deadline_after, time_left

__all__ = ["AsyncReceiving"]

_IDLE: Any = object()


class AsyncReceiving:
    """The reading thread of one blocking :class:`mprelay.Peer` and the coroutines that take
    what it reads; :class:`mprelay.aio.AsyncPeer` adds everything else."""

    def __init__(self, peer: Peer, loop: asyncio.AbstractEventLoop) -> None:
        """Start the reading thread of ``peer`` for coroutines on ``loop``."""
        self._peer = peer
        self._loop = loop
        self._items: Deque[Any] = collections.deque()
        self._arrived = asyncio.Event()
        self._recv_lock = asyncio.Lock()
        self._wake = threading.Event()  # set when the reading thread has work
        self._demand = False  # a coroutine waits in recv() (guarded by the peer's lock)
        self._in_transit = 0  # items taken by the reading thread, not yet in self._items
        self._outstanding = 0  # coroutines waiting for an answer from the broker
        self._stopping = False
        self._thread = threading.Thread(
            target=self._receive_loop, name="mprelay-aio-%s" % peer.name, daemon=True
        )
        self._thread.start()

    def _receive_loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            while self._demand or self._outstanding:
                try:
                    item: Any = self._peer.pump(self._take, None)
                except BaseException as exc:  # for the coroutine in recv()
                    with self._peer.lock:
                        self._demand = False
                        self._in_transit += 1
                    item = _Raised(exc)
                if item is _IDLE:
                    break
                try:
                    self._loop.call_soon_threadsafe(self._arrive, item)
                except RuntimeError:  # the loop is closed: nobody will ask again
                    return
                if isinstance(item, _Raised) and self._peer.closed:
                    return

    def _take(self) -> Any:
        # Runs in the reading thread with the peer's lock held (see Peer.pump), so it cannot
        # interleave with recv() checking the peer's inbox and raising the demand. Takes every
        # item there, so one hand-over to the loop carries a whole read's worth.
        if self._demand:
            items = self._peer.take_items()  # may raise: then _receive_loop hands that over
            if items:
                self._demand = False
                self._in_transit += 1
                return items
        elif not self._outstanding:
            return _IDLE
        return NOTHING

    def _arrive(self, item: Any) -> None:
        with self._peer.lock:
            self._in_transit -= 1
        if isinstance(item, list):
            self._items.extend(item)
        else:
            self._items.append(item)
        self._arrived.set()

    async def recv(self, timeout: Optional[float] = None) -> Item:
        """Return the next message or presence event; ``TimeoutError`` after ``timeout`` seconds."""
        deadline = deadline_after(timeout)
        async with self._recv_lock:
            while not self._items:
                if self._stopping:
                    raise DisconnectedError("this peer was closed")
                self._arrived.clear()
                if not self._in_transit:
                    # Take what the peer already holds, or ask the reading thread for the next
                    # item, in one step under the peer's lock.
                    with self._peer.lock:
                        try:
                            items: List[Any] = self._peer.take_items()
                        except BaseException as exc:
                            items = [_Raised(exc)]
                        if not items:
                            self._demand = True
                    if items:
                        self._items.extend(items)
                        break
                    self._wake.set()
                try:
                    await asyncio.wait_for(self._arrived.wait(), time_left(deadline))
                except asyncio.TimeoutError:
                    with self._peer.lock:
                        self._demand = False
                    if self._items:
                        break
                    raise TimeoutError(
                        "no message for %r within %s seconds" % (self._peer.name, timeout)
                    ) from None
                except asyncio.CancelledError:
                    # Nothing is lost: an item already on its way lands in self._items.
                    with self._peer.lock:
                        self._demand = False
                    raise
            item = self._items.popleft()
        if isinstance(item, _Raised):
            raise item.exc
        return item  # type: ignore[no-any-return]

    async def recv_many(self, max: Optional[int] = None, timeout: Optional[float] = None) -> List[Item]:
        """Every item already received, at least one, up to ``max``; see :meth:`mprelay.Peer.recv_many`."""
        if max is not None and max < 1:
            raise ValueError("max must be at least 1 or None")
        out = [await self.recv(timeout)]
        items = self._items
        while items and (max is None or len(out) < max) and not isinstance(items[0], _Raised):
            out.append(items.popleft())
        return out

    async def recv_bytes(self, timeout: Optional[float] = None) -> bytes:
        """As :meth:`recv`, returning the raw payload of the next message."""
        item = await self.recv(timeout)
        if not isinstance(item, Message):
            raise RuntimeError("the next item is %r, not a message" % (item,))
        return item.data


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
