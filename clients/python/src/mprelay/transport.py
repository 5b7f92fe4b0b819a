"""Reading: the reading role, and the dispatch of what the broker sends.

Reading is a *role*: whichever thread needs something from the broker (``recv()``, ``poll()``, a
confirmed ``send()``, ``ping()``, ``peers()``, ``request()``) and finds nobody reading, reads
and dispatches every frame one read brings: messages and presence events go to the inbox that
``recv()`` takes from; ACK, PONG, PEERS, ERROR and replies go to the thread waiting for them;
the broker's PING is answered with PONG on the spot. A thread that finds the role taken waits to
be handed its answer, or takes the role over when it is released. So every call works whether or
not another thread is blocked in ``recv()``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, List, Optional, Tuple

from . import protocol as P
from .errors import (
    CLOSING_CODES,
    BrokerClosingError,
    DisconnectedError,
    ProtocolError,
    error_for_code,
)
from .framing import Parsed
from .link import Link
from .message import PeerJoined, PeerLeft
from .session import CLOSED, CONNECTING, DOWN, UP, Session
from .waiting import NOTHING, fresh_copy, time_left

__all__ = ["Transport"]

log = logging.getLogger("mprelay")

# A send() reads the frames that have already arrived (errors, PINGs, GOODBYE) unless this many
# received items already wait to be taken by recv().
_DRAIN_INBOX_LIMIT = 1024

_OPT_REPLY = P.OPT_REPLY
_DELIVER = int(P.Kind.DELIVER)

# What a read turn returns when no frame came (see Transport._read_turn).
_QUIET: Any = object()

# (cause, error): why a link ends, and what to tell the threads waiting on it.
_Ending = Tuple[BaseException, BaseException]


class Transport(Session):
    """A :class:`~mprelay.session.Session` that reads and dispatches frames."""

    def pump(self, take: Callable[[], Any], deadline: Optional[float], read: bool = True) -> Any:
        """Return ``take()``'s first result other than :data:`~mprelay.waiting.NOTHING`, or
        ``NOTHING`` once ``deadline`` (a :func:`time.monotonic` value; None: none) has passed.

        ``take`` runs with :attr:`lock` held. In between, this thread reads and dispatches frames
        when nobody else is reading (unless ``read`` is false), and reconnects when the
        connection is down and reconnecting is allowed. This is the primitive every blocking
        call, and :mod:`mprelay.aio`'s reading thread, waits with.
        """
        expired = False
        while True:
            with self.lock:
                while True:
                    item = take()
                    if item is not NOTHING:
                        return item
                    state = self._state
                    if state == CLOSED:
                        raise fresh_copy(self._closed_error or DisconnectedError("closed"))
                    if expired:
                        return NOTHING
                    link = self._link
                    if read and state == UP and not self._reading and link is not None:
                        link.users += 1
                        self._reading = True
                        action = "read"
                        break
                    if state == DOWN and not self._reading:
                        self._state = CONNECTING
                        action = "connect"
                        break
                    remaining = time_left(deadline)
                    if remaining is not None and remaining <= 0:
                        return NOTHING
                    self._sleepers += 1
                    try:
                        self._cond.wait(remaining)
                    finally:
                        self._sleepers -= 1
            if action == "read":
                assert link is not None
                item = self._read_turn(link, deadline, take)
                if item is _QUIET:
                    expired = deadline is not None and time.monotonic() >= deadline
                elif item is not NOTHING:
                    return item
            elif not self._reconnect_step(deadline):
                expired = True

    def _read_turn(
        self, link: Link, deadline: Optional[float], take: Optional[Callable[[], Any]] = None
    ) -> Any:
        """Holding the reading role: wait up to ``deadline`` for bytes, read once, dispatch every
        whole frame, and give the role up.

        Returns what ``take`` returns, run under the same hold of :attr:`lock` that dispatches
        and gives the role up (so a thread that reads what it waits for takes the lock once more
        only); :data:`~mprelay.waiting.NOTHING` when frames came but ``take`` was not run (none
        given, or the frames asked for more than the lock: a PONG to write, the end of the
        link); ``_QUIET`` when no frame came.
        """
        try:
            items = link.read(deadline)
        except (OSError, ValueError, EOFError) as exc:
            self._lost(link, exc)
            items = []
        except BaseException as exc:
            self._lost(link, exc)  # interrupted between the read and the parse
            self._give_up_reading(link)
            raise
        if not items:
            self._give_up_reading(link)
            return _QUIET
        return self._dispatch(items, link, take)

    def _give_up_reading(self, link: Link) -> None:
        with self.lock:
            self._reading = False
            self._unuse(link)
            self._wake_all()

    def _dispatch(self, items: List[Parsed], link: Link, take: Optional[Callable[[], Any]]) -> Any:
        """Route what one read brought, in order, and give the reading role up; returns as
        :meth:`_read_turn`.

        On the common path (no PONG to write, the link goes on) all of it, ``take`` included,
        happens under one hold of the lock; otherwise the role is kept until the PONGs are
        written and a lost link is marked, so no other thread reads past the end of a stream.
        """
        pongs: List[int] = []
        ending: Optional[_Ending] = None
        inbox = self._inbox
        waiters = self._waiters
        reading = True
        try:
            with self.lock:
                for item in items:
                    if isinstance(item, tuple):
                        if item[4] & _OPT_REPLY:
                            waiter = waiters.get(item[3])
                            if waiter is not None and waiter.kind == _DELIVER and waiter.peer == item[0]:
                                del waiters[item[3]]
                                waiter.resolve(item)
                                continue
                        inbox.append(item)
                        continue
                    if isinstance(item, ProtocolError):
                        ending = (item, item)
                        break
                    try:
                        env = P.decode(item)
                    except ProtocolError as exc:
                        ending = (exc, exc)
                        break
                    ending = self._control(env, pongs)
                    if ending is not None:
                        break
                if self._sleepers:  # Session._wake_all, without a call on the common path
                    self._cond.notify_all()
                if ending is None and not pongs:
                    self._reading = False
                    self._unuse(link)
                    reading = False
                    return take() if take is not None else NOTHING
            for cid in pongs:
                self._send_control(link, P.frame(P.encode_id(P.Kind.PONG, cid)))
            if ending is not None:
                if isinstance(ending[1], ProtocolError):
                    log.error("mprelay peer %r: %s", self.name, ending[1])
                self._lost(link, ending[0], ending[1])
            return NOTHING
        finally:
            if reading:
                self._give_up_reading(link)

    def _control(self, env: P.Envelope, pongs: List[int]) -> Optional[_Ending]:
        """Act on an envelope other than DELIVER (lock held); returns why the link ends, if it does."""
        if isinstance(env, P.Ping):
            pongs.append(env.correlation_id)
        elif isinstance(env, (P.Joined, P.Left)):
            self._inbox.append(PeerJoined(env.name) if isinstance(env, P.Joined) else PeerLeft(env.name))
        elif isinstance(env, (P.Ack, P.Pong, P.Peers)):
            kind = {P.Ack: P.Kind.ACK, P.Pong: P.Kind.PONG, P.Peers: P.Kind.PEERS}[type(env)]
            waiter = self._waiters.get(env.correlation_id)
            if waiter is not None and waiter.kind == kind:
                del self._waiters[env.correlation_id]
                waiter.resolve(env.names if isinstance(env, P.Peers) else True)
            # else: the answer to a PING of the keepalive, or to a wait that timed out.
        elif isinstance(env, P.Error):
            error = error_for_code(
                env.code, env.text, correlation_id=env.correlation_id, peer=env.peer or None
            )
            if env.code in CLOSING_CODES:
                return (error, error)  # the broker closes the connection after this error
            waiter = self._waiters.get(env.correlation_id) if env.correlation_id else None
            # The peer named in the ERROR must be the one the waiter sent to, unless the ERROR
            # names none: ids of replies are chosen by other peers and may collide.
            if waiter is not None and (waiter.peer is None or not env.peer or waiter.peer == env.peer):
                del self._waiters[env.correlation_id]
                waiter.fail(error)
            else:
                self._pending.append(error)
        elif isinstance(env, P.Goodbye):
            if env.reason == P.GoodbyeReason.SHUTTING_DOWN:
                return (BrokerClosingError(env.text), BrokerClosingError(env.text))
            bye = DisconnectedError("the broker said goodbye: %s" % env.text)
            return (bye, bye)
        else:
            bad = ProtocolError("unexpected %s envelope from the broker" % type(env).__name__.upper())
            return (bad, bad)
        return None

    def _send_control(self, link: Link, frame: bytes) -> None:
        try:
            with link.write_lock:
                if link.closed:
                    return
                link.write(frame)
            self._last_send = time.monotonic()
        except (OSError, ValueError) as exc:
            self._lost(link, exc)

    def _check_pending(self, drain: bool = False) -> None:
        """Raise the error of an earlier unconfirmed send, reading arrived frames first.

        With ``drain``, if nobody else is reading, the frames already received are read without
        waiting: errors of earlier sends, the broker's PINGs, a GOODBYE or the end of the stream.
        """
        link = self._link
        if drain and not self._reading and link is not None and link.arrived():
            with self.lock:
                link = self._link
                if (
                    self._state != UP
                    or self._reading
                    or link is None
                    or len(self._inbox) >= _DRAIN_INBOX_LIMIT
                ):
                    link = None
                else:
                    link.users += 1
                    self._reading = True
            if link is not None:
                self._read_turn(link, time.monotonic())
        if self._pending:
            with self.lock:
                if self._pending:
                    raise self._pending.popleft()
