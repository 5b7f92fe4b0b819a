"""A peer's connection state: the link, its loss and re-establishment, writes and waits.

:class:`Session` is the lower half of :class:`mprelay.Peer`: it owns the current
:class:`~mprelay.link.Link`, the state (up, down, connecting, closed), the waiters for the
broker's answers and the errors of earlier sends. :class:`~mprelay.transport.Transport` adds the
reading role and writes on top, and :class:`mprelay.Peer` the public calls.

Locks: :attr:`Session.lock` guards the state, the inbox and the waiters; a link's
``write_lock`` serialises writes. A thread never takes :attr:`Session.lock` while holding a
``write_lock``, so closing a link under :attr:`Session.lock` may wait for a write to finish.
"""

from __future__ import annotations

import collections
import itertools
import logging
import pickle
import random
import ssl
import threading
import time
import weakref
from typing import TYPE_CHECKING, Deque, Dict, Optional, Union

from . import protocol as P
from .address import Addresses, SocketAddress, normalize_addresses, resolve_authkey
from .errors import (
    BrokerClosingError,
    ClusterUnavailableError,
    DisconnectedError,
    KickedError,
    NameTakenError,
    ProtocolError,
    ReplacedError,
)
from .framing import Delivery
from .link import Link, handshake
from .waiting import Waiter, fresh_copy, time_left

if TYPE_CHECKING:  # pragma: no cover
    from .message import PeerJoined, PeerLeft

__all__ = ["Session", "UP", "DOWN", "CONNECTING", "CLOSED"]

log = logging.getLogger("mprelay")

#: The states of a session.
UP, DOWN, CONNECTING, CLOSED = "up", "down", "connecting", "closed"

_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 2.0
_GOODBYE_PAUSE = 0.25


class Session:
    """The connection state of one registered name; see the module documentation."""

    name: str
    timeout: Optional[float]
    reconnect: bool
    pickle_protocol: int
    #: Guards the state, the inbox and the waiters; ``take`` functions of :meth:`pump` run under it.
    lock: threading.Lock

    def __init__(
        self,
        address: Addresses,
        authkey: Optional[Union[bytes, bytearray, memoryview]],
        name: str,
        timeout: Optional[float],
        reconnect: bool,
        keepalive: Optional[float],
        pickle_protocol: Optional[int],
        tls: Optional[ssl.SSLContext] = None,
        server_hostname: Optional[str] = None,
    ) -> None:
        """Connect and register (see :func:`mprelay.connect` for the arguments)."""
        self._tls = tls
        self._server_hostname = server_hostname
        self._addresses = normalize_addresses(address)
        self._current = 0  # the index of the address connected to last
        self._authkey = resolve_authkey(authkey)
        self._name_raw = P.validate_name(name)
        self.name = name
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be > 0 or None")
        self.timeout = timeout
        self.reconnect = bool(reconnect)
        self.pickle_protocol = pickle.DEFAULT_PROTOCOL if pickle_protocol is None else pickle_protocol
        # A per-peer counter starting at a random point: ids are fresh for every envelope, and
        # unlikely to collide with the ids other peers choose for their requests.
        self._ids = itertools.count(random.randrange(1, 1 << 48))
        self.lock = threading.Lock()
        self._cond = threading.Condition(self.lock)
        self._sleepers = 0  # threads waiting on _cond
        self._state = CONNECTING
        self._link: Optional[Link] = None
        self._reading = False
        self._inbox: Deque[Union[Delivery, "PeerJoined", "PeerLeft"]] = collections.deque()
        self._pending: Deque[BaseException] = collections.deque()
        self._waiters: Dict[int, Waiter] = {}
        self._closed_error: Optional[BaseException] = None
        self._closed_locally = False
        self._watching = False
        self._max_message_bytes = 0
        self._failures = 0
        self._next_attempt = 0.0
        self._last_send = time.monotonic()
        self._sent = False  # a send since the keepalive last looked (cheaper than the time)
        self._stop = threading.Event()

        self._install(self._handshake(timeout))
        if keepalive is not None and keepalive > 0:
            thread = threading.Thread(
                target=_keepalive_loop,
                args=(weakref.ref(self), float(keepalive), self._stop),
                name="mprelay-keepalive-%s" % name,
                daemon=True,
            )
            thread.start()

    def _handshake(self, timeout: Optional[float]) -> Link:
        """A new registered link to a broker (inside TLS when the peer was given a context): the
        address that worked last first, then the others in list order, each allowed ``timeout``.
        A broker that cannot be reached, closes on us, or is a cluster node cut off from its
        cluster sends us to the next; when all fail, the last failure is raised. Any other error
        (a wrong key, a name taken) is raised at once."""
        count = len(self._addresses)
        for step in range(count):
            index = (self._current + step) % count
            try:
                link = handshake(
                    self._addresses[index], self._authkey, self._name_raw, timeout,
                    tls=self._tls, server_hostname=self._server_hostname,
                )
            except (OSError, EOFError, DisconnectedError, ClusterUnavailableError):
                if step == count - 1:
                    raise
                log.debug("mprelay peer %r: broker %r unreachable, trying the next", self.name, self._addresses[index])
                continue
            self._current = index
            return link
        raise AssertionError("unreachable: the address list is never empty")

    @property
    def address(self) -> SocketAddress:
        """The broker address this peer is connected to, or was last."""
        return self._addresses[self._current]

    @property
    def max_message_bytes(self) -> int:
        """The largest payload the broker relays, from its WELCOME."""
        return self._max_message_bytes

    @property
    def connected(self) -> bool:
        """True while a connection to the broker is up."""
        return self._state == UP

    @property
    def closed(self) -> bool:
        """True once the peer is closed for good (by ``close()``, or a loss without reconnect)."""
        return self._state == CLOSED

    @property
    def watching(self) -> bool:
        """True after ``watch()``, until ``unwatch()``."""
        return self._watching

    def next_id(self) -> int:
        """A fresh correlation id from this peer's counter."""
        return next(self._ids)

    # -- the link's life ------------------------------------------------------------------------

    def _wake_all(self) -> None:
        # Called with the lock held. Condition.notify_all costs even with nobody waiting.
        if self._sleepers:
            self._cond.notify_all()

    def _install(self, link: Link) -> None:
        with self.lock:
            if self._closed_locally:
                link.close()
                raise fresh_copy(self._closed_error or DisconnectedError("this peer was closed"))
            self._link = link
            self._max_message_bytes = link.max_message_bytes
            self._state = UP
            self._failures = 0
            self._wake_all()

    def _kill(self, link: Link) -> None:
        """Mark ``link`` dead, wake its users, and close it once nobody uses it."""
        link.shutdown()
        with self.lock:
            link.dead = True
            close_now = link.users == 0 and not link.closed
            if close_now:
                link.closed = True
        if close_now:
            link.close()

    def _unuse(self, link: Link) -> None:
        # Called with the lock held.
        link.users -= 1
        if link.dead and link.users == 0 and not link.closed:
            link.closed = True
            link.close()

    def _lost(self, link: Link, cause: BaseException, error: Optional[BaseException] = None) -> None:
        """The connection ``link`` is gone; ``error`` is what to tell waiting threads."""
        # Reconnecting cannot help after these: the broker found our envelopes malformed, an
        # operator kicked us, or another connection took our name.
        fatal = isinstance(error, (ProtocolError, KickedError, ReplacedError))
        with self.lock:
            if link.dead or self._link is not link:
                return
            if error is None:
                error = DisconnectedError("connection to the broker lost: %s" % (cause or "EOF"))
                error.__cause__ = cause
            for waiter in self._waiters.values():
                waiter.fail(error)
            self._waiters.clear()
            self._link = None
            if self._state != CLOSED:
                if self.reconnect and not fatal:
                    self._state = DOWN
                    pause = _GOODBYE_PAUSE if isinstance(error, BrokerClosingError) else 0.0
                    self._next_attempt = time.monotonic() + pause
                else:
                    self._state = CLOSED
                    self._closed_error = error
            self._wake_all()
        if self.reconnect and not fatal and not self._closed_locally:
            log.warning("mprelay peer %r lost its connection (%s); reconnecting", self.name, error)
        self._kill(link)

    # -- reconnecting and keeping alive ---------------------------------------------------------

    def _reconnect_step(self, deadline: Optional[float]) -> bool:
        """Holding the CONNECTING state: make one attempt, after the backoff delay.

        Returns False if the deadline passed first. A failure worth retrying (the broker is
        unreachable or cut off from its cluster, or has not yet noticed our old connection and
        still holds the name, or in a cluster the name's dead node has not expired yet) schedules
        the next attempt; any other failure (a wrong key, say) closes the peer with that error.
        """
        try:
            delay = self._next_attempt - time.monotonic()
            if delay > 0:
                remaining = time_left(deadline)
                if remaining is not None and remaining < delay:
                    self._stop.wait(remaining)
                    return False
                self._stop.wait(delay)
            if self._closed_locally:
                return True
            remaining = time_left(deadline)
            if remaining is not None and remaining <= 0:
                return False
            budget = self.timeout
            if remaining is not None:
                budget = remaining if budget is None else min(budget, remaining)
            try:
                link = self._handshake(budget)
            except (OSError, EOFError, DisconnectedError, NameTakenError, ClusterUnavailableError) as exc:
                self._failures += 1
                backoff = min(_BACKOFF_MAX, _BACKOFF_FIRST * (2 ** min(self._failures - 1, 10)))
                self._next_attempt = time.monotonic() + backoff * random.uniform(0.5, 1.0)
                log.debug("mprelay peer %r: reconnecting failed: %s", self.name, exc)
                return deadline is None or time.monotonic() < deadline
            try:
                if self._watching:
                    link.write(P.frame(P.encode_watch(next(self._ids), True)))
            except (OSError, ValueError):
                link.close()
                return True
            self._install(link)
            log.warning("mprelay peer %r reconnected", self.name)
            return True
        except Exception as exc:
            with self.lock:
                if self._state == CONNECTING:
                    self._state = CLOSED
                    self._closed_error = exc
                    self._wake_all()
            raise
        finally:
            with self.lock:
                if self._state == CONNECTING:
                    self._state = DOWN
                    self._wake_all()

    def _keepalive_tick(self, interval: float) -> None:
        """Send a PING if nothing was sent for ``interval`` seconds, so the broker sees us alive."""
        if self._sent:
            self._sent = False
            self._last_send = time.monotonic()
        if self._state != UP or time.monotonic() - self._last_send < interval:
            return
        with self.lock:
            link = self._link
            if self._state != UP or link is None:
                return
            link.users += 1
        try:
            if link.write_lock.acquire(timeout=interval):
                try:
                    if not link.closed:
                        link.write(P.frame(P.encode_id(P.Kind.PING, next(self._ids))))
                        self._last_send = time.monotonic()
                finally:
                    link.write_lock.release()
        except (OSError, ValueError) as exc:
            self._lost(link, exc)
        finally:
            with self.lock:
                self._unuse(link)

    def _goodbye(self, link: Link) -> None:
        """Say GOODBYE on ``link`` when closing, unless a write blocks it for a second."""
        if link.write_lock.acquire(timeout=1.0):
            try:
                if not link.dead and not link.closed:
                    link.write(P.frame(P.encode_goodbye(P.GoodbyeReason.LEAVING, "closing")))
            except (OSError, ValueError):
                pass
            finally:
                link.write_lock.release()


def _keepalive_loop(
    ref: "weakref.ReferenceType[Session]", interval: float, stop: threading.Event
) -> None:
    while not stop.wait(interval):
        session = ref()
        if session is None:
            return
        try:
            session._keepalive_tick(interval)
        except Exception:  # pragma: no cover - never let the keepalive thread die noisily
            log.debug("mprelay keepalive failed", exc_info=True)
        del session

