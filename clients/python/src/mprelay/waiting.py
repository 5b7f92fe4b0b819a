"""Deadlines, and waiting for the broker's answer to one envelope.

Shared by the blocking :class:`mprelay.Peer` and :mod:`mprelay.aio`, which settles the same
:class:`Waiter` objects from its event loop.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any, Callable, Optional

from .envelopes import Kind

__all__ = ["NOTHING", "Waiter", "deadline_after", "fresh_copy", "time_left"]

log = logging.getLogger("mprelay")


class _Nothing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<nothing>"


#: "No item yet": what a ``take`` function passed to :meth:`mprelay.Peer.pump` returns to keep
#: waiting (``None`` may be a real value).
NOTHING: Any = _Nothing()


def time_left(deadline: Optional[float]) -> Optional[float]:
    """Seconds until ``deadline`` (a :func:`time.monotonic` value), never negative; None: no bound."""
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


def deadline_after(timeout: Optional[float]) -> Optional[float]:
    """The :func:`time.monotonic` deadline ``timeout`` seconds from now (None: none).

    Raises ``ValueError`` for a negative timeout.
    """
    if timeout is None:
        return None
    if timeout < 0:
        raise ValueError("timeout must be >= 0 or None")
    return time.monotonic() + timeout


def fresh_copy(exc: BaseException) -> BaseException:
    """A fresh copy of a stored exception, so raising it again does not pile up tracebacks."""
    try:
        new = copy.copy(exc)
    except Exception:  # pragma: no cover - exotic exception types
        return exc
    new.__traceback__ = None
    new.__cause__ = exc.__cause__
    return new


class Waiter:
    """Someone waiting for the broker's answer to one envelope.

    ``kind`` is the envelope kind that answers (ACK, PONG, PEERS, or DELIVER for a reply) and
    ``peer`` the peer an ERROR or reply must be about. ``callback`` (if any) is called, with the
    peer's lock held, whenever the waiter is settled; :mod:`mprelay.aio` uses it to wake its
    coroutine instead of blocking a thread.
    """

    __slots__ = ("kind", "peer", "done", "value", "error", "callback")

    def __init__(
        self, kind: int, peer: Optional[str] = None, callback: Optional[Callable[[], None]] = None
    ) -> None:
        """A waiter not yet settled."""
        self.kind = kind
        self.peer = peer
        self.done = False
        self.value: Any = None
        self.error: Optional[BaseException] = None
        self.callback = callback

    def describe(self, cid: int) -> str:
        """What this waiter, for the envelope with id ``cid``, waits for, in words (for a
        ``TimeoutError``); built only when needed, so a wait that succeeds pays nothing for it."""
        if self.kind == Kind.DELIVER:
            return "a reply from %r to request %d" % (self.peer, cid)
        if self.kind == Kind.PONG:
            return "PONG"
        if self.kind == Kind.PEERS:
            return "the list of peers"
        if self.peer is None:
            return "the broker's answer to WATCH"
        return "the broker's answer to message %d" % cid

    def resolve(self, value: Any) -> None:
        """Settle with the answer ``value``."""
        self.value = value
        self.done = True
        if self.callback is not None:
            self._notify()

    def fail(self, error: BaseException) -> None:
        """Settle with ``error``, raised to whoever waits."""
        self.error = error
        self.done = True
        if self.callback is not None:
            self._notify()

    def _notify(self) -> None:
        assert self.callback is not None
        try:
            self.callback()
        except Exception:  # pragma: no cover - e.g. the event loop is already closed
            log.debug("mprelay waiter callback failed", exc_info=True)
