"""The blocking mprelay client: :func:`connect` and :class:`Peer`.

A :class:`Peer` is one registered name on one broker connection. The handshake is
:mod:`multiprocessing.connection`'s own, so any broker that accepts
``multiprocessing.connection.Client`` accepts this client; after it every frame is an envelope of
protocol v1 (see :mod:`mprelay.protocol`). One peer may be used from several threads at once
(see :mod:`mprelay.transport` for how reading is shared). The layers underneath:
:mod:`mprelay.session` (the connection's state), :mod:`mprelay.transport` (reading),
:mod:`mprelay.sending` (writing), :mod:`mprelay.receiving` (taking what was read),
:mod:`mprelay.link` (the socket), :mod:`mprelay.framing` and :mod:`mprelay.protocol` (the codec).
"""

from __future__ import annotations

import os
import pickle
import ssl
import time
from typing import Any, Iterable, List, Optional, Tuple

from . import protocol as P
from .address import Addresses
from .errors import DisconnectedError
from .message import Message
from .receiving import Receiving
from .sending import Bytes
from .session import CLOSED, UP
from .waiting import Waiter, deadline_after

__all__ = ["Peer", "connect"]


class Peer(Receiving):
    """A name registered with an mprelay broker. Create one with :func:`mprelay.connect`.

    Use it as a context manager, or call :meth:`close`. All methods are thread-safe.

    Errors for messages sent without ``confirm`` are never lost: such an ERROR
    (``UnknownPeerError``, ``PeerBusyError``, ...) is raised by the first :meth:`recv`,
    :meth:`recv_bytes`, :meth:`poll`, :meth:`send`, :meth:`send_bytes` or :meth:`request` call made
    after the ERROR has arrived, before that call does anything else (a ``send`` so interrupted
    does not send its own message; a ``recv`` so interrupted returns nothing and loses nothing).
    Each of these calls first reads whatever the broker has already sent, so an error that has
    arrived is never skipped; one that is still on its way surfaces in a later call. The
    exception's ``correlation_id`` is the id the failed ``send`` returned and its ``peer`` the
    destination.

    :meth:`pump`, :meth:`take_item`, :meth:`begin_send`, :meth:`begin_control`,
    :meth:`wait_for`, :meth:`forget` and :attr:`lock` are the lower level that :mod:`mprelay.aio`
    is built on; applications use the other methods.
    """

    def __init__(
        self,
        address: Addresses,
        authkey: Optional[Bytes] = None,
        *,
        name: str,
        timeout: Optional[float] = 10.0,
        reconnect: bool = False,
        keepalive: Optional[float] = 20.0,
        pickle_protocol: Optional[int] = None,
        tls: Optional[ssl.SSLContext] = None,
        server_hostname: Optional[str] = None,
    ) -> None:
        """Connect and register; prefer :func:`mprelay.connect`, which takes the same arguments."""
        self._ready_pipe: Optional[Tuple[int, int]] = None
        super().__init__(address, authkey, name, timeout, reconnect, keepalive, pickle_protocol, tls, server_hostname)

    def __repr__(self) -> str:
        return "<mprelay.Peer %r at %r, %s>" % (self.name, self.address, self._state)

    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- sending --------------------------------------------------------------------------------

    def send(self, to: str, obj: Any, *, confirm: bool = False, timeout: Optional[float] = None) -> int:
        """Send ``obj``, pickled, to the peer named ``to``; returns the message's correlation id.

        The pickle flag is set, so the receiver's ``Message.payload`` is the unpickled object.
        Without ``confirm`` this returns once the message is written; an error for it is raised
        later (see the class documentation). With ``confirm=True`` it waits for the broker's
        verdict and raises its error (``UnknownPeerError``, ``PeerBusyError``, ...), or
        ``TimeoutError`` after ``timeout`` seconds (default: the peer's ``timeout``). A payload
        larger than :attr:`max_message_bytes` raises ``MessageTooLargeError`` without sending.
        """
        data = pickle.dumps(obj, protocol=self.pickle_protocol)
        return self.send_envelope(to, data, P.FLAG_PICKLE, 0, 0, confirm, timeout)

    def send_bytes(
        self,
        to: str,
        data: Bytes,
        *,
        flags: int = 0,
        confirm: bool = False,
        timeout: Optional[float] = None,
    ) -> int:
        """Send raw bytes to ``to`` (no pickle flag unless ``flags`` sets it); as :meth:`send`."""
        return self.send_envelope(to, data, flags, 0, 0, confirm, timeout)

    def send_many(
        self, to: str, payloads: Iterable[Bytes], *, flags: int = 0, timeout: Optional[float] = None
    ) -> List[int]:
        """Send every payload (raw bytes, no pickle flag unless ``flags`` sets it) to ``to``.

        As many ``send_bytes`` calls, in order, but the frames are built together and written
        with one system call per 256 KiB or so, which is much faster for small messages. The
        sends are unconfirmed: an error for one of them surfaces later, as for :meth:`send`.
        Every payload is checked first, so one over :attr:`max_message_bytes` raises
        ``MessageTooLargeError`` before anything is sent. ``timeout`` bounds only the wait for a
        reconnect. Returns the correlation ids, in order.
        """
        deadline = deadline_after(self.timeout if timeout is None else timeout)
        return self.write_batch(to, payloads, flags, deadline)

    def request(self, to: str, obj: Any, *, timeout: Optional[float] = None) -> Any:
        """Send ``obj`` to ``to`` and wait for the answer (``Message.reply`` on the other side).

        Returns the reply's payload (unpickled if pickled). Raises ``UnknownPeerError`` at once if
        ``to`` is not registered, and ``TimeoutError`` if no reply comes within ``timeout``
        seconds (default: the peer's ``timeout``). A reply arriving after the timeout is delivered
        by :meth:`recv` as an ordinary message with ``is_reply`` set.
        """
        data = pickle.dumps(obj, protocol=self.pickle_protocol)
        return self._request(to, data, P.FLAG_PICKLE, timeout).payload

    def request_bytes(
        self, to: str, data: Bytes, *, flags: int = 0, timeout: Optional[float] = None
    ) -> Message:
        """As :meth:`request` with a raw payload; returns the whole reply :class:`Message`."""
        return self._request(to, data, flags, timeout)

    def _request(self, to: str, data: Bytes, flags: int, timeout: Optional[float]) -> Message:
        deadline = deadline_after(self.timeout if timeout is None else timeout)
        started: Optional[Tuple[int, Optional[Waiter]]] = self.request_fast(to, data, flags)
        if started is None:
            started = self.begin_send(to, data, flags, 0, 0, False, True, deadline)
        cid, waiter = started
        assert waiter is not None
        self.wait_for(waiter, cid, deadline)
        return self.message(waiter.value)

    # -- receiving (the rest is in mprelay.receiving) ---------------------------------------------

    def fileno(self) -> int:
        """A file descriptor that is readable when :meth:`recv` has something to do.

        So a peer can be passed to ``multiprocessing.connection.wait()`` or ``select``. It is the
        connection's socket while nothing is buffered, and a descriptor that is always readable
        while received items wait in the peer (or the connection is down): ask ``fileno()`` again
        for each wait, as ``wait()`` does. Readable does not promise a message: the broker's
        control frames wake it too, so after a wait use ``poll()`` (which never blocks) before
        ``recv()`` if the loop must not block.
        """
        with self.lock:
            if self._closed_locally:
                raise DisconnectedError("this peer was closed")
            link = self._link
            if self._state == UP and link is not None and not self._inbox and not self._pending:
                return link.fd
            if self._ready_pipe is None:
                r, w = os.pipe()
                os.write(w, b"!")
                self._ready_pipe = (r, w)
            return self._ready_pipe[0]

    # -- control --------------------------------------------------------------------------------

    def ping(self, timeout: Optional[float] = None) -> float:
        """Send a PING to the broker and return the round-trip time in seconds."""
        deadline = deadline_after(self.timeout if timeout is None else timeout)
        start = time.perf_counter()
        cid, waiter = self.begin_control(P.Kind.PING, deadline)
        self.wait_for(waiter, cid, deadline)
        return time.perf_counter() - start

    def peers(self, timeout: Optional[float] = None) -> List[str]:
        """Return the names registered with the broker (this peer's included), sorted bytewise."""
        deadline = deadline_after(self.timeout if timeout is None else timeout)
        cid, waiter = self.begin_control(P.Kind.LIST, deadline)
        self.wait_for(waiter, cid, deadline)
        return list(waiter.value)

    def watch(self, enable: bool = True, *, timeout: Optional[float] = None) -> None:
        """Start (or with ``enable=False`` stop) presence events.

        While watching, :meth:`recv` also returns :class:`PeerJoined` and :class:`PeerLeft`
        events, in order with the messages: a peer's join comes before any message from it and
        its leave after its last message. This peer's own registration is not reported. Returns
        once the broker has acknowledged; a reconnect watches again.
        """
        deadline = deadline_after(self.timeout if timeout is None else timeout)
        cid, waiter = self.begin_control(P.Kind.WATCH, deadline, enable=enable)
        self.wait_for(waiter, cid, deadline)

    def unwatch(self, *, timeout: Optional[float] = None) -> None:
        """Stop presence events; the same as ``watch(False)``."""
        self.watch(False, timeout=timeout)

    def close(self) -> None:
        """Say GOODBYE to the broker and close the connection. Safe to call more than once.

        Threads blocked on this peer are woken and get :class:`DisconnectedError`.
        """
        with self.lock:
            if self._closed_locally:
                return
            self._closed_locally = True
            link = self._link if self._state == UP else None
        self._stop.set()
        if link is not None:
            self._goodbye(link)
        error = DisconnectedError("this peer was closed")
        with self.lock:
            self._inbox.clear()
            self._pending.clear()
            self._state = CLOSED
            self._closed_error = error
            for waiter in self._waiters.values():
                waiter.fail(error)
            self._waiters.clear()
            link = self._link
            self._link = None
            self._wake_all()
        if link is not None:
            self._kill(link)
        if self._ready_pipe is not None:
            for fd in self._ready_pipe:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._ready_pipe = None


def connect(
    address: Addresses,
    authkey: Optional[Bytes] = None,
    *,
    name: str,
    timeout: Optional[float] = 10.0,
    reconnect: bool = False,
    keepalive: Optional[float] = 20.0,
    pickle_protocol: Optional[int] = None,
    tls: Optional[ssl.SSLContext] = None,
    server_hostname: Optional[str] = None,
) -> Peer:
    """Connect to the mprelay broker at ``address``, register as ``name``, and return the peer.

    ``address``
        what :func:`multiprocessing.connection.Client` takes: a ``(host, port)`` tuple, a
        filesystem path of a Unix socket, or an abstract Unix name ``"\\0name"``. IPv6 hosts
        (``("::1", 6000)``) work too. Or a list of such addresses, the nodes of an mprelay
        cluster: they are tried in order until one answers, and with ``reconnect`` a lost
        connection is re-established at the next one that answers, registering the same name
        there (a ``NameTakenError`` while the cluster still holds the name for the dead node is
        retried with the backoff).
    ``authkey``
        the shared key (bytes). ``None`` reads the environment variable ``MPRELAY_AUTHKEY``
        (encoded with :func:`os.fsencode`); if that is not set either, ``ValueError`` is raised.
        A wrong key raises :class:`multiprocessing.AuthenticationError`.
    ``name``
        the name to register (see :func:`mprelay.protocol.validate_name`);
        ``NameTakenError`` if another connection has it.
    ``timeout``
        seconds allowed for connecting and registering (``TimeoutError`` after), and the
        default wait of ``send(confirm=True)``, ``request()``, ``ping()``, ``peers()`` and
        ``watch()``. ``None``: no limit.
    ``reconnect``
        if true, a dropped connection (or a broker shutting down) is re-established with
        backoff the next time the peer is used, registering the same name and watching again if
        it was watching. Messages in flight when the connection dropped are lost (delivery is at
        most once); calls waiting for an answer on the lost connection raise
        ``DisconnectedError``.
    ``keepalive``
        send a PING after this many idle seconds so the broker's ``idle_timeout`` does not close
        a peer that is busy elsewhere; ``None`` disables it. The broker's own PINGs are always
        answered while the peer is being read from.
    ``pickle_protocol``
        the protocol ``send()`` pickles with (default: :data:`pickle.DEFAULT_PROTOCOL`).
    ``tls``
        an :class:`ssl.SSLContext` for an endpoint with TLS (``tls_cert_file`` in the broker's
        configuration), e.g. ``ssl.create_default_context(cafile="ca.pem")``, with
        ``load_cert_chain(...)`` for mutual TLS. The handshake and every envelope then run inside
        TLS. Certificate problems raise :class:`ssl.SSLError` (:class:`ssl.SSLCertVerificationError`
        for an untrusted or misnamed server certificate).
    ``server_hostname``
        the name the broker's certificate must carry (default: the address's host).
    """
    return Peer(
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
