"""Writing: SEND envelopes with a header kept per destination, control envelopes, and waiting
for the broker's answers.

A write takes no lock but the link's ``write_lock`` while the connection is up and nobody waits
for an answer; otherwise it goes through :meth:`~mprelay.transport.Transport.pump` to wait for a
reconnect and to register the waiter under the peer's lock.
"""

from __future__ import annotations

import time
import itertools
import socket
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from . import protocol as P
from .errors import DisconnectedError, MessageTooLargeError
from .framing import Bytes, SendHeader, send_frames
from .link import Link
from .session import UP
from .transport import Transport
from .waiting import NOTHING, Waiter, deadline_after, fresh_copy

__all__ = ["Bytes", "Sending"]

# A batch is written in pieces of about this many bytes, so its buffer stays bounded.
_BATCH_BYTES = 256 * 1024
# Destinations whose SEND header is kept; past this many the cache starts over.
_MAX_HEADERS = 4096


class Sending(Transport):
    """A :class:`~mprelay.transport.Transport` that writes envelopes and waits for answers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Connect and register; the arguments are :class:`~mprelay.session.Session`'s."""
        self._headers: Dict[str, SendHeader] = {}
        super().__init__(*args, **kwargs)

    # -- writing and waiting --------------------------------------------------------------------------------

    def _link_for_send(self, deadline: Optional[float], waiter: Optional[Waiter], cid: int) -> Link:
        """The link to write on, waiting for a reconnect if need be; registers ``waiter``."""

        def take() -> Any:
            link = self._link
            if self._state == UP and link is not None:
                if waiter is not None:
                    if cid in self._waiters and self._waiters[cid] is not waiter:
                        raise RuntimeError("correlation id %d is already awaited" % cid)
                    waiter.done, waiter.error, waiter.value = False, None, None
                    self._waiters[cid] = waiter
                return link
            return NOTHING

        link = self.pump(take, deadline, read=False)
        if link is NOTHING:
            raise DisconnectedError("not connected to the broker (still reconnecting)")
        return link  # type: ignore[no-any-return]

    def write(
        self, frame: bytes, deadline: Optional[float], waiter: Optional[Waiter] = None, cid: int = 0
    ) -> None:
        """Write whole frames, reconnecting first if allowed; registers ``waiter`` for ``cid``.

        The uncontended case takes no lock but the link's ``write_lock``.
        """
        while True:
            link = self._link
            if waiter is not None or self._state != UP or link is None:
                link = self._link_for_send(deadline, waiter, cid)
            try:
                with link.write_lock:
                    if link.closed:
                        raise OSError("the connection was closed")
                    link.sock.sendall(frame)
                self._last_send = time.monotonic()
                return
            except (OSError, ValueError) as exc:
                self._write_failed(link, exc, cid)
            except BaseException as exc:
                # Interrupted mid-frame (e.g. KeyboardInterrupt): the stream is unusable.
                self._lost(link, exc)
                raise

    def _write_failed(self, link: Link, exc: BaseException, cid: int) -> None:
        """A write on ``link`` failed (BrokenPipe, ConnectionReset, or a close after a concurrent
        loss): the link is lost; raise why, unless a reconnect may follow."""
        self._lost(link, exc)
        if not self.reconnect or self._closed_locally:
            with self.lock:
                self._waiters.pop(cid, None)
                err = self._closed_error
            raise fresh_copy(err or DisconnectedError("connection lost: %s" % exc)) from exc

    def _fast_target(
        self, to: str, data: Bytes, flags: int
    ) -> Optional[Tuple[SendHeader, Link, int]]:
        """The header, link and payload size for a SEND on the common path, or None if it must
        take the general one: the destination has no header yet, an error waits to be raised,
        the flags are out of range, the payload is too large, or the connection is not up."""
        header = self._headers.get(to)
        link = self._link
        if header is None or link is None or self._pending or not 0 <= flags <= 0xFF:
            return None
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size > self._max_message_bytes:
            return None
        return header, link, size

    def _write_fast(
        self, link: Link, header: SendHeader, data: Bytes, size: int, flags: int, options: int,
        cid: int,
    ) -> int:
        """Write one SEND frame under the link's ``write_lock`` alone; returns its id (``cid``,
        or a fresh one if 0), or 0 with nothing written when frames have arrived that a send
        must read first (nobody else is reading them), or the link is closed or lost."""
        try:
            with link.write_lock:
                if link.closed or (not self._reading and link.arrived_for_writer()):
                    return 0
                cid = cid or next(self._ids)
                link.sock.sendall(header.frame(data, size, flags, options, cid))
        except (OSError, ValueError) as exc:
            self._write_failed(link, exc, cid)
            return 0  # reconnecting: the general path waits for it and sends again
        except BaseException as exc:
            self._lost(link, exc)  # interrupted mid-frame: the stream is unusable
            raise
        self._sent = True
        return cid

    def send_fast(
        self, to: str, data: Bytes, flags: int, options: int = 0, correlation_id: int = 0
    ) -> int:
        """An unconfirmed SEND on the common path: 0 if it must take the general one instead.

        The general path is needed, and nothing is written here, when the destination has no
        header yet, an error waits to be raised, frames have arrived that a send must read
        first, the payload is too large, or the connection is not up. Otherwise this writes
        under the link's ``write_lock`` alone and returns the id (``correlation_id``, or a fresh
        one if 0).
        """
        target = self._fast_target(to, data, flags)
        if target is None:
            return 0
        header, link, size = target
        return self._write_fast(link, header, data, size, flags, options, correlation_id)

    def request_fast(self, to: str, data: Bytes, flags: int) -> Optional[Tuple[int, Waiter]]:
        """A request's SEND on the common path: its id and the waiter for the reply, or None
        with nothing written when it must take :meth:`begin_send` instead (as :meth:`send_fast`).

        One hold of :attr:`lock` registers the waiter, then the frame is written under the
        link's ``write_lock`` alone.
        """
        target = self._fast_target(to, data, flags)
        if target is None:
            return None
        header, link, size = target
        cid = next(self._ids)
        waiter = Waiter(P.Kind.DELIVER, to)
        with self.lock:
            if self._link is not link or self._state != UP:
                return None
            self._waiters[cid] = waiter  # a fresh id: nobody else waits for it
        if not self._write_fast(link, header, data, size, flags, 0, cid):
            self.forget(cid, waiter)
            return None
        return cid, waiter

    def wait_for(self, waiter: Waiter, cid: int, deadline: Optional[float]) -> None:
        """Block until ``waiter`` is settled; raise its error, or ``TimeoutError`` saying what
        it waited for."""

        def take() -> Any:
            return waiter if waiter.done else NOTHING

        try:
            got = self.pump(take, deadline)
        except BaseException:
            self.forget(cid, waiter)
            raise
        if got is NOTHING:
            with self.lock:
                if self._waiters.get(cid) is waiter:
                    del self._waiters[cid]
                if not waiter.done:
                    raise TimeoutError("timed out waiting for %s" % waiter.describe(cid))
        if waiter.error is not None:
            raise fresh_copy(waiter.error)

    def forget(self, cid: int, waiter: Waiter) -> None:
        """Stop waiting for the answer to ``cid`` (after a timeout or a cancellation)."""
        with self.lock:
            if self._waiters.get(cid) is waiter:
                del self._waiters[cid]

    def send_envelope(
        self,
        to: str,
        data: Bytes,
        flags: int,
        options: int,
        correlation_id: int,
        confirm: bool,
        timeout: Optional[float],
    ) -> int:
        """Send one SEND envelope with every field given (0 for ``correlation_id``: a fresh one).

        :meth:`send_bytes` and ``Message.reply_bytes`` are this with the usual values. An
        unconfirmed SEND takes :meth:`send_fast` when it can.
        """
        if not confirm:
            cid = self.send_fast(to, data, flags, options, correlation_id)
            if cid:
                return cid
        deadline = deadline_after(self.timeout if timeout is None else timeout)
        cid, waiter = self.begin_send(
            to, data, flags, options, correlation_id, confirm, False, deadline
        )
        if waiter is not None:
            self.wait_for(waiter, cid, deadline)
        return cid

    def _header(self, to: str) -> SendHeader:
        header = self._headers.get(to)
        if header is None:
            header = SendHeader(P.validate_name(to))
            if len(self._headers) >= _MAX_HEADERS:
                self._headers.clear()
            self._headers[to] = header
        return header

    def _prepare(
        self, to: str, data: Bytes, flags: int, correlation_id: int
    ) -> Tuple[SendHeader, int, int]:
        """Before a SEND: raise a pending error, check the flags and the size; returns the
        destination's header, the payload's size and the id (``correlation_id`` or a fresh one)."""
        header = self._headers.get(to) or self._header(to)
        if not 0 <= flags <= 0xFF:
            raise ValueError("flags is one byte (0-255)")
        self._check_pending(drain=True)
        cid = correlation_id or next(self._ids)
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size > self._max_message_bytes:
            raise MessageTooLargeError(
                "payload of %d bytes is over the broker's max_message_bytes (%d); not sent"
                % (size, self._max_message_bytes),
                correlation_id=cid,
                peer=to,
            )
        return header, size, cid

    def begin_send(
        self,
        to: str,
        data: Bytes,
        flags: int,
        options: int,
        correlation_id: int,
        confirm: bool,
        request: bool,
        deadline: Optional[float],
        callback: Optional[Callable[[], None]] = None,
    ) -> Tuple[int, Optional[Waiter]]:
        """Check and write a SEND; returns its id and the waiter for its answer (if any).
        ``callback`` is the waiter's (see :class:`Waiter`)."""
        header, size, cid = self._prepare(to, data, flags, correlation_id)
        waiter = None
        if request:
            waiter = Waiter(P.Kind.DELIVER, to, callback)
        elif confirm:
            options |= P.OPT_CONFIRM
            waiter = Waiter(P.Kind.ACK, to, callback)
        self.write(header.frame(data, size, flags, options, cid), deadline, waiter, cid)
        return cid, waiter

    def begin_control(
        self,
        kind: int,
        deadline: Optional[float],
        callback: Optional[Callable[[], None]] = None,
        enable: bool = True,
    ) -> Tuple[int, Waiter]:
        """Write a PING, LIST or WATCH (``enable`` says which way); returns as :meth:`begin_send`."""
        cid = next(self._ids)
        if kind == P.Kind.PING:
            waiter, body = Waiter(P.Kind.PONG, None, callback), P.encode_id(kind, cid)
        elif kind == P.Kind.LIST:
            waiter, body = Waiter(P.Kind.PEERS, None, callback), P.encode_id(kind, cid)
        else:
            self._watching = bool(enable)
            waiter, body = Waiter(P.Kind.ACK, None, callback), P.encode_watch(cid, enable)
        self.write(P.frame(body), deadline, waiter, cid)
        return cid, waiter

    def write_batch(
        self, to: str, payloads: Iterable[Bytes], flags: int, deadline: Optional[float]
    ) -> List[int]:
        """Write unconfirmed SENDs of every payload to ``to``, many frames per system call.

        Checks every size first, so a payload over :attr:`max_message_bytes` raises
        :class:`MessageTooLargeError` (naming its index) before anything is sent. Returns the
        correlation ids, in order.
        """
        header = self._headers.get(to) or self._header(to)
        if not 0 <= flags <= 0xFF:
            raise ValueError("flags is one byte (0-255)")
        items = payloads if isinstance(payloads, (list, tuple)) else list(payloads)
        sizes = [d.nbytes if isinstance(d, memoryview) else len(d) for d in items]
        limit = self._max_message_bytes
        if sizes and max(sizes) > limit:
            index = next(i for i, size in enumerate(sizes) if size > limit)
            raise MessageTooLargeError(
                "payload %d of the batch has %d bytes, over the broker's max_message_bytes (%d); "
                "nothing sent" % (index, sizes[index], limit),
                peer=to,
            )
        self._check_pending(drain=True)
        ids = list(itertools.islice(self._ids, len(items)))
        start, count = 0, len(items)
        while start < count:
            stop, total = start, 0
            while stop < count and total < _BATCH_BYTES:
                total += sizes[stop] + header.fixed + 4
                stop += 1
            self.write(send_frames(header, items[start:stop], flags, ids[start:stop]), deadline)
            start = stop
        return ids

    def begin_nowait(
        self, to: str, data: Bytes, flags: int
    ) -> Optional[Tuple[int, Optional[memoryview], Link]]:
        """Start an unconfirmed SEND without blocking, for an event loop's own thread.

        Returns None, with nothing written, when that cannot be done at once on the common path
        (as :meth:`send_fast`: no header yet, an error pending, frames arrived, too large, not
        connected; or another thread writing, or a full socket): use :meth:`begin_send` in a
        worker thread then. Otherwise ``(id, rest, link)``: with ``rest`` None the frame is
        written; else the socket took only part of it, ``link.write_lock`` is still held, and
        :meth:`finish_write` must be called (in a thread that may block) with ``rest``.
        """
        target = self._fast_target(to, data, flags)
        if target is None:
            return None
        header, link, size = target
        if not link.write_lock.acquire(blocking=False):
            return None
        done = True
        try:
            if link.closed or link.tls or (not self._reading and link.arrived_for_writer()):
                return None
            cid = next(self._ids)
            frame = header.frame(data, size, flags, 0, cid)
            try:
                n = link.sock.send(frame, socket.MSG_DONTWAIT)
            except OSError:  # full (BlockingIOError) or failed: begin_send meets it in a thread
                return None
            self._sent = True
            if n == len(frame):
                return cid, None, link
            done = False
            return cid, memoryview(frame)[n:], link
        finally:
            if done:
                link.write_lock.release()

    def finish_write(self, link: Link, rest: memoryview) -> None:
        """Write the ``rest`` of a frame :meth:`begin_nowait` started; releases the write lock."""
        try:
            link.write(rest)
        except (OSError, ValueError) as exc:
            link.write_lock.release()
            self._lost(link, exc)
            with self.lock:
                err = self._closed_error
            raise fresh_copy(err or DisconnectedError("connection lost: %s" % exc)) from exc
        link.write_lock.release()
