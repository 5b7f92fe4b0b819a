"""Receiving: the calls that take what the reading role has put in the peer's inbox.

:class:`Receiving` is the layer of :class:`mprelay.Peer` between writing
(:mod:`mprelay.sending`) and the public class: :meth:`~Receiving.recv` and its siblings take a
message that is already there without waiting, and otherwise wait with
:meth:`~mprelay.transport.Transport.pump`, reading themselves when nobody else is reading.
"""

from __future__ import annotations

from typing import Any, List, Optional

from .errors import DisconnectedError
from .framing import Delivery
from .message import Item, Message
from .sending import Sending
from .session import CLOSED
from .waiting import NOTHING, deadline_after, fresh_copy

__all__ = ["Receiving"]


class Receiving(Sending):
    """A :class:`~mprelay.sending.Sending` with the calls that receive messages and events."""

    def message(self, delivery: Delivery) -> Message:
        """The :class:`Message` for a DELIVER as the parser returns it, bound to this peer."""
        return Message(*delivery, self)

    def recv(self, timeout: Optional[float] = None) -> Item:
        """Return the next message (or presence event, after :meth:`watch`).

        Blocks until one arrives; with a ``timeout`` (seconds) raises ``TimeoutError`` if none
        does. Raises a pending error of an earlier unconfirmed send first, if there is one. Once
        the connection is gone for good (and every message that arrived before has been
        returned) raises :class:`DisconnectedError` or the subclass that says why, e.g.
        :class:`BrokerClosingError`.
        """
        raw: Any = self._ready()
        if raw is not NOTHING:
            return self.message(raw) if isinstance(raw, tuple) else raw
        item = self.pump(self.take_item, deadline_after(timeout))
        if item is NOTHING:
            raise TimeoutError("no message for %r within %s seconds" % (self.name, timeout))
        return item  # type: ignore[no-any-return]

    def recv_many(self, max: Optional[int] = None, timeout: Optional[float] = None) -> List[Item]:
        """Return every item already received, at least one: up to ``max`` (None: no bound).

        Waits as :meth:`recv` does when nothing is there yet, and raises what :meth:`recv`
        raises (a pending error first, ``TimeoutError`` after ``timeout``). The items already
        read are handed over without waiting: with a busy stream, one call returns all the
        frames one read brought, which is much faster than one :meth:`recv` each.
        """
        if max is not None and max < 1:
            raise ValueError("max must be at least 1 or None")
        inbox = self._inbox
        out: List[Item] = []
        if not inbox or self._pending:
            out.append(self.recv(timeout))
        room = len(inbox) if max is None else min(max - len(out), len(inbox))
        message = self.message
        add = out.append
        for _ in range(room):
            try:
                raw = inbox.popleft()
            except IndexError:  # another thread took the rest
                break
            add(message(raw) if isinstance(raw, tuple) else raw)
        return out

    def recv_bytes(self, timeout: Optional[float] = None) -> bytes:
        """As :meth:`recv`, but return only the raw payload bytes, whatever the pickle flag.

        For peers that do not watch presence: if the next item is a presence event, it is left
        in place (for :meth:`recv`) and ``RuntimeError`` is raised.
        """
        raw = self._ready()
        if raw is not NOTHING:
            if isinstance(raw, tuple):
                return raw[1]  # type: ignore[no-any-return]
            self._inbox.appendleft(raw)  # an event: the slow path explains

        def take() -> Any:
            if self._pending:
                raise self._pending.popleft()
            if self._inbox:
                raw = self._inbox[0]
                if not isinstance(raw, tuple):
                    raise RuntimeError(
                        "the next item is %r, not a message; use recv() while watching presence"
                        % (raw,)
                    )
                return self._inbox.popleft()
            return self._closed_or_nothing()

        item = self.pump(take, deadline_after(timeout))
        if item is NOTHING:
            raise TimeoutError("no message for %r within %s seconds" % (self.name, timeout))
        return item[1]  # type: ignore[no-any-return]

    def poll(self, timeout: Optional[float] = 0.0) -> bool:
        """Return whether :meth:`recv` has something to return, waiting up to ``timeout`` seconds.

        Like ``multiprocessing.connection.Connection.poll``: ``poll()`` does not block,
        ``poll(None)`` waits forever. Raises a pending error of an earlier unconfirmed send, and
        the reason the connection was lost once it is gone for good.
        """

        def take() -> Any:
            return True if self.take_item(peek=True) is not NOTHING else NOTHING

        return self.pump(take, deadline_after(timeout)) is True

    def _ready(self) -> Any:
        """The next inbox entry, taken without the lock (the deque is thread-safe), or
        :data:`~mprelay.waiting.NOTHING` when there is none or an error must be raised first."""
        inbox = self._inbox
        if inbox and not self._pending:
            try:
                return inbox.popleft()
            except IndexError:  # another thread took the last one
                pass
        return NOTHING

    def take_item(self, peek: bool = False) -> Any:
        """With :attr:`lock` held: the next item, or :data:`~mprelay.waiting.NOTHING` if none.

        Raises a pending error of an unconfirmed send first, and the reason the peer is closed
        once it is closed and empty. ``peek`` leaves the item in place.
        """
        if self._pending:
            raise self._pending.popleft()
        if self._inbox:
            raw = self._inbox[0] if peek else self._inbox.popleft()
            return Message(*raw, self) if isinstance(raw, tuple) else raw
        if self._state == CLOSED:  # as _closed_or_nothing, without a call on the hot path
            raise self._closed_reason()
        return NOTHING

    def take_items(self, limit: Optional[int] = None) -> List[Any]:
        """With :attr:`lock` held: every item there, up to ``limit``; ``[]`` if none.

        Raises as :meth:`take_item` does when that happens before any item is taken.
        """
        first = self.take_item()
        if first is NOTHING:
            return []
        out = [first]
        inbox = self._inbox
        message = self.message
        for _ in range(len(inbox) if limit is None else min(limit - 1, len(inbox))):
            raw = inbox.popleft()
            out.append(message(raw) if isinstance(raw, tuple) else raw)
        return out

    def _closed_or_nothing(self) -> Any:
        if self._state == CLOSED:
            raise self._closed_reason()
        return NOTHING

    def _closed_reason(self) -> BaseException:
        return fresh_copy(self._closed_error or DisconnectedError("closed"))
