"""The blocking mprelay client: :func:`connect` and :class:`Peer`.

A :class:`Peer` is one registered name on one broker connection. Framing and the authentication
handshake are :mod:`multiprocessing.connection`'s own (the stdlib ``Connection`` class and its
``answer_challenge``/``deliver_challenge``), so any broker that accepts
``multiprocessing.connection.Client`` accepts this client. After the handshake every frame is an
envelope of protocol v1 (see :mod:`mprelay.protocol`).

Threading model
---------------
One peer may be used from several threads at once. Writes are serialised by a send lock. Reading
is a *role*: whichever thread needs something from the broker (``recv()``, ``poll()``, a confirmed
``send()``, ``ping()``, ``peers()``, ``request()``) and finds nobody reading, reads frames itself
and dispatches each one: messages and presence events go to the inbox that ``recv()`` takes from;
ACK, PONG, PEERS, ERROR and replies go to the thread waiting for them; the broker's PING is answered
with PONG on the spot. A thread that finds the role taken waits to be handed its answer, or takes
the role over when it is released. So every call works whether or not another thread is blocked in
``recv()``.
"""

from __future__ import annotations

import collections
import copy
import itertools
import logging
import os
import pickle
import math
import random
import re
import select
import socket
import struct
import threading
import time
import weakref
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge
from typing import (
    Any,
    Callable,
    Deque,
    Dict,
    List,
    Optional,
    Tuple,
    Union,
)

from . import protocol as P
from .errors import (
    CLOSING_CODES,
    BrokerClosing,
    Disconnected,
    Kicked,
    MessageTooLarge,
    ProtocolError,
    Replaced,
    UnsupportedVersion,
    NameTaken,
    error_for_code,
)

__all__ = [
    "Address",
    "Item",
    "Message",
    "PresenceEvent",
    "PeerJoined",
    "PeerLeft",
    "Peer",
    "connect",
    "parse_address",
    "AUTHKEY_ENV",
]

log = logging.getLogger("mprelay")

#: The environment variable read when ``authkey`` is not given.
AUTHKEY_ENV = "MPRELAY_AUTHKEY"

#: What ``address`` may be: exactly what :func:`multiprocessing.connection.Client` takes (a
#: ``(host, port)`` tuple, a filesystem path, an abstract ``"\0name"``), plus IPv6 hosts and
#: ``(host, port, flowinfo, scope_id)`` tuples and :class:`os.PathLike` paths.
Address = Union[Tuple[str, int], Tuple[str, int, int, int], str, bytes, "os.PathLike[str]"]

_UP, _DOWN, _CONNECTING, _CLOSED = "up", "down", "connecting", "closed"

# A reader goes on reading frames that have already arrived, up to this many at a time.
_READ_AHEAD = 32
# A send() reads the frames that have already arrived (errors, PINGs, GOODBYE) unless this many
# received items already wait to be taken by recv().
_DRAIN_INBOX_LIMIT = 1024
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 2.0
_GOODBYE_PAUSE = 0.25

_MSG = struct.Struct(">BBBQB")


class _Nothing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<nothing>"


_NOTHING: Any = _Nothing()


def _remaining(deadline: Optional[float]) -> Optional[float]:
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


def _deadline(timeout: Optional[float]) -> Optional[float]:
    if timeout is None:
        return None
    if timeout < 0:
        raise ValueError("timeout must be >= 0 or None")
    return time.monotonic() + timeout


def _clone(exc: BaseException) -> BaseException:
    """A fresh copy of a stored exception, so raising it again does not pile up tracebacks."""
    try:
        new = copy.copy(exc)
    except Exception:  # pragma: no cover - exotic exception types
        return exc
    new.__traceback__ = None
    new.__cause__ = exc.__cause__
    return new


# -- what recv() returns --------------------------------------------------------------------------


class Message:
    """A message received from another peer.

    ``sender``
        the sender's registered name (stamped by the broker; it cannot be forged).
    ``data``
        the raw payload bytes, as sent.
    ``payload``
        the payload unpickled if the sender set the pickle flag (as ``Peer.send`` does), else
        ``data`` unchanged. Unpickling happens on first access, so a bad pickle only raises there.
        As with :mod:`multiprocessing`, only unpickle data from peers you trust (everyone who
        holds the authkey).
    ``flags``
        the flags byte (bit 0, :data:`mprelay.protocol.FLAG_PICKLE`: the payload is a pickle).
    ``correlation_id``
        the id the sender gave the message (0: none); :meth:`reply` answers with it.
    ``is_reply``
        true if this message answers a request of ours (see :meth:`Peer.request`).
    """

    __slots__ = ("sender", "data", "flags", "correlation_id", "options", "_peer", "_payload")

    sender: str
    data: bytes
    flags: int
    correlation_id: int
    options: int

    def __init__(
        self,
        sender: str,
        data: bytes,
        flags: int = 0,
        correlation_id: int = 0,
        options: int = 0,
        peer: Optional["Peer"] = None,
    ) -> None:
        """Peers build messages as they receive them; ``peer`` is the one :meth:`reply` uses."""
        self.sender = sender
        self.data = data
        self.flags = flags
        self.correlation_id = correlation_id
        self.options = options
        self._peer = peer
        self._payload: Any = _NOTHING

    @property
    def is_reply(self) -> bool:
        """True if the sender marked this message as the answer to a request."""
        return bool(self.options & P.OPT_REPLY)

    @property
    def pickled(self) -> bool:
        """True if the pickle flag is set (``payload`` is then the unpickled object)."""
        return bool(self.flags & P.FLAG_PICKLE)

    @property
    def payload(self) -> Any:
        """The unpickled object if the pickle flag is set, else the raw bytes (``data``)."""
        if not self.flags & P.FLAG_PICKLE:
            return self.data
        if self._payload is _NOTHING:
            self._payload = pickle.loads(self.data)
        return self._payload

    def _replier(self) -> "Peer":
        if self._peer is None:
            raise RuntimeError("this message is not bound to a peer")
        if not self.correlation_id:
            raise ValueError("the message carries no correlation id, so it cannot be replied to")
        return self._peer

    def reply(self, obj: Any, *, confirm: bool = False, timeout: Optional[float] = None) -> int:
        """Answer this message with ``obj`` (pickled), on the peer that received it.

        The reply goes to ``sender`` with the ``reply`` option and this message's correlation id,
        which is what :meth:`Peer.request` waits for. ``confirm`` and ``timeout`` are as in
        :meth:`Peer.send`. Returns the correlation id.
        """
        peer = self._replier()
        data = pickle.dumps(obj, protocol=peer.pickle_protocol)
        return peer._send_message(
            self.sender, data, P.FLAG_PICKLE, P.OPT_REPLY, self.correlation_id, confirm, timeout
        )

    def reply_bytes(
        self,
        data: Union[bytes, bytearray, memoryview],
        *,
        flags: int = 0,
        confirm: bool = False,
        timeout: Optional[float] = None,
    ) -> int:
        """Answer this message with raw bytes (no pickle flag unless ``flags`` sets it)."""
        peer = self._replier()
        return peer._send_message(
            self.sender, data, flags, P.OPT_REPLY, self.correlation_id, confirm, timeout
        )

    def __repr__(self) -> str:
        size = len(self.data)
        what = "pickle" if self.flags & P.FLAG_PICKLE else "bytes"
        extra = ", reply" if self.is_reply else ""
        return "Message(sender=%r, %d-byte %s, correlation_id=%d%s)" % (
            self.sender,
            size,
            what,
            self.correlation_id,
            extra,
        )


class PresenceEvent:
    """A presence event (after :meth:`Peer.watch`): base of :class:`PeerJoined`, :class:`PeerLeft`."""

    __slots__ = ("name",)

    name: str

    def __init__(self, name: str) -> None:
        """The event about the peer registered as ``name``."""
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PresenceEvent) and type(other) is type(self) and other.name == self.name

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return "%s(%r)" % (type(self).__name__, self.name)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.name,))


class PeerJoined(PresenceEvent):
    """The peer ``name`` registered with the broker (it may now be sent to)."""

    __slots__ = ()


class PeerLeft(PresenceEvent):
    """The peer ``name`` went away; nothing more will come from it under that registration."""

    __slots__ = ()


#: What :meth:`Peer.recv` returns: a message, or a presence event once watching.
Item = Union[Message, PeerJoined, PeerLeft]


# -- connecting -----------------------------------------------------------------------------------


def _resolve_authkey(authkey: Optional[Union[bytes, bytearray, memoryview]]) -> bytes:
    if authkey is None:
        env = os.environ.get(AUTHKEY_ENV)
        if not env:
            raise ValueError(
                "no authkey: pass authkey=b'...' to connect() or set the environment variable "
                "%s (mprelay never falls back to the process's multiprocessing authkey)" % AUTHKEY_ENV
            )
        return os.fsencode(env)
    if isinstance(authkey, (bytes, bytearray, memoryview)):
        key = bytes(authkey)
        if not key:
            raise ValueError("authkey must not be empty")
        return key
    raise TypeError("authkey should be a byte string, not %s" % type(authkey).__name__)


def _normalize_address(address: Any) -> Union[Tuple[Any, ...], str, bytes]:
    if isinstance(address, tuple):
        if len(address) not in (2, 4) or not isinstance(address[0], str):
            raise ValueError("a socket address is (host, port) or (host, port, flowinfo, scope_id)")
        if not isinstance(address[1], int):
            raise ValueError("the port must be an int, got %r" % (address[1],))
        return address
    if isinstance(address, os.PathLike):
        address = os.fspath(address)
    if isinstance(address, str):
        if address.startswith("\\\\"):
            raise ValueError("named pipes are not supported by mprelay: %r" % address)
        return address
    if isinstance(address, bytes):
        return address
    raise ValueError("address type of %r unrecognized" % (address,))


def parse_address(text: str) -> Union[Tuple[str, int], str]:
    """Parse an address spelt as in mprelayd's configuration into what :func:`connect` takes.

    ``"host:port"`` and ``"[v6 address]:port"`` give a ``(host, port)`` tuple, anything with a
    ``/`` a socket file path, ``"@name"`` (or ``"\0name"``) the abstract socket ``"\0name"``.
    """
    if text.startswith("@"):
        return "\0" + text[1:]
    if text.startswith("\0") or "/" in text:
        return text
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)", text)
    if m:
        return (m.group(1), int(m.group(2)))
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or ":" in host:
        raise ValueError(
            "cannot parse %r: expected host:port, [v6 address]:port, a path or @name" % text
        )
    return (host, int(port))


def _is_ipv6(host: str) -> bool:
    return ":" in host


def _open_socket(address: Union[Tuple[Any, ...], str, bytes], timeout: Optional[float]) -> socket.socket:
    """Connect a stream socket to ``address`` (blocking mode on return)."""
    if isinstance(address, tuple):
        host = address[0]
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if len(address) == 4 or _is_ipv6(host):
            # multiprocessing.connection.Client maps every tuple to AF_INET; IPv6 needs AF_INET6.
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect((host,) + tuple(address[1:]))
            except BaseException:
                sock.close()
                raise
        else:
            # Like socket.create_connection: a host name may resolve to IPv4 or IPv6 addresses.
            sock = socket.create_connection((host, address[1]), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # pragma: no cover
            pass
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
    sock.settimeout(None)
    return sock


def _set_io_timeout(fd: int, seconds: Optional[float]) -> None:
    """Bound each blocking read/write on ``fd`` (SO_RCVTIMEO/SO_SNDTIMEO); None removes the bound."""
    if seconds is None:
        sec, usec = 0, 0
    else:
        seconds = max(seconds, 0.001)
        sec = int(seconds)
        usec = int((seconds - sec) * 1e6)
    timeval = struct.pack("ll", sec, usec)
    s = socket.socket(fileno=os.dup(fd))
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    finally:
        s.close()


def _shutdown(fd: int) -> None:
    """Shut a socket down in both directions without closing the descriptor.

    This wakes any thread blocked on it, and is safe while other threads still use the descriptor.
    """
    try:
        s = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        s.close()


def _handshake(
    address: Union[Tuple[Any, ...], str, bytes],
    authkey: bytes,
    name: bytes,
    timeout: Optional[float],
    version: int = P.VERSION,
) -> Tuple[Connection, int]:
    """Open a connection, authenticate, register ``name``; returns it and max_message_bytes.

    The authentication is the stdlib's own: ``answer_challenge`` then ``deliver_challenge`` on a
    ``multiprocessing.connection.Connection``, the very calls ``multiprocessing.connection.Client``
    makes. The socket is opened here rather than by ``Client`` so that ``timeout`` bounds
    connecting and the handshake, and so that IPv6 addresses work.
    """
    deadline = _deadline(timeout)
    sock = _open_socket(address, timeout)
    if timeout is not None:
        _set_io_timeout(sock.fileno(), _remaining(deadline))
    conn = Connection(sock.detach())
    try:
        answer_challenge(conn, authkey)
        deliver_challenge(conn, authkey)
        conn.send_bytes(P.encode_hello(name, version))
        while True:
            if timeout is not None:
                _set_io_timeout(conn.fileno(), _remaining(deadline))
            env = P.decode(conn.recv_bytes())
            if isinstance(env, P.Welcome):
                if env.version != P.VERSION:
                    raise UnsupportedVersion(
                        "the broker speaks protocol version %d, this client %d"
                        % (env.version, P.VERSION)
                    )
                break
            if isinstance(env, P.Error):
                raise error_for_code(
                    env.code, env.text, correlation_id=env.correlation_id, peer=env.peer
                )
            if isinstance(env, P.Ping):
                conn.send_bytes(P.encode_id(P.Kind.PONG, env.correlation_id))
                continue
            if isinstance(env, P.Goodbye):
                if env.reason == P.GoodbyeReason.SHUTTING_DOWN:
                    raise BrokerClosing(env.text)
                raise Disconnected("the broker said goodbye during registration: " + env.text)
            raise ProtocolError("expected WELCOME, got %s" % type(env).__name__.upper())
        if timeout is not None:
            _set_io_timeout(conn.fileno(), None)
        return conn, env.max_message_bytes
    except BlockingIOError:
        conn.close()
        raise TimeoutError("timed out connecting to the mprelay broker at %r" % (address,)) from None
    except EOFError:
        conn.close()
        raise Disconnected(
            "the broker at %r closed the connection during the handshake" % (address,)
        ) from None
    except BaseException:
        conn.close()
        raise


# -- the peer -------------------------------------------------------------------------------------


class _Waiter:
    """Someone waiting for the broker's answer to one envelope.

    ``callback`` (if any) is called, with the peer's lock held, whenever the waiter is settled;
    the asyncio flavour uses it to wake its coroutine instead of blocking a thread.
    """

    __slots__ = ("kind", "peer", "done", "value", "error", "callback")

    def __init__(
        self, kind: int, peer: Optional[str] = None, callback: Optional[Callable[[], None]] = None
    ) -> None:
        self.kind = kind  # the envelope kind that answers: ACK, PONG, PEERS or DELIVER (a reply)
        self.peer = peer  # for errors and replies: the peer they must be about
        self.done = False
        self.value: Any = None
        self.error: Optional[BaseException] = None
        self.callback = callback

    def resolve(self, value: Any) -> None:
        self.value = value
        self.done = True
        self._notify()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.done = True
        self._notify()

    def _notify(self) -> None:
        if self.callback is not None:
            try:
                self.callback()
            except Exception:  # pragma: no cover - e.g. the event loop is already closed
                log.debug("mprelay waiter callback failed", exc_info=True)


class _Link:
    """One connection to the broker, counted while threads use it so it is closed only when idle."""

    __slots__ = ("conn", "gen", "users", "dead", "closed", "_poller", "_peeker", "_peek_lock")

    def __init__(self, conn: Connection, gen: int) -> None:
        self.conn = conn
        self.gen = gen
        self.users = 0
        self.dead = False
        self.closed = False
        self._poller: Any = None
        self._peeker: Any = None
        self._peek_lock = threading.Lock()
        if hasattr(select, "poll"):
            self._poller = select.poll()
            self._poller.register(conn.fileno(), select.POLLIN)
            self._peeker = select.poll()
            self._peeker.register(conn.fileno(), select.POLLIN)

    def arrived(self) -> bool:
        """Whether something is there to read now; any thread may ask (an estimate)."""
        if self._peeker is None or not self._peek_lock.acquire(blocking=False):
            return True  # do not know: let the caller look properly
        try:
            return bool(self._peeker.poll(0))
        except (OSError, ValueError):
            return True
        finally:
            self._peek_lock.release()

    def readable(self, timeout: Optional[float]) -> bool:
        """Whether a frame (or EOF) is there to read, waiting up to ``timeout`` seconds.

        Only the thread holding the reading role calls this. Cheaper than ``Connection.poll``,
        which builds a selector on every call.
        """
        if self._poller is None:  # pragma: no cover - platforms without poll()
            return bool(self.conn.poll(timeout))
        ms = None if timeout is None else math.ceil(timeout * 1000)
        return bool(self._poller.poll(ms))


def _keepalive_loop(ref: "weakref.ReferenceType[Peer]", interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        peer = ref()
        if peer is None:
            return
        try:
            peer._keepalive_tick(interval)
        except Exception:  # pragma: no cover - never let the keepalive thread die noisily
            log.debug("mprelay keepalive failed", exc_info=True)
        del peer


class Peer:
    """A name registered with an mprelay broker. Create one with :func:`mprelay.connect`.

    Use it as a context manager, or call :meth:`close`. All methods are thread-safe.

    Errors for messages sent without ``confirm`` are never lost: such an ERROR (``UnknownPeer``,
    ``PeerBusy``, ...) is raised by the first :meth:`recv`, :meth:`recv_bytes`, :meth:`poll`,
    :meth:`send`, :meth:`send_bytes` or :meth:`request` call made after the ERROR has arrived,
    before that call does anything else (a ``send`` so interrupted does not send its own message;
    a ``recv`` so interrupted returns nothing and loses nothing). Each of these calls first reads
    whatever the broker has already sent, so an error that has arrived is never skipped; one that
    is still on its way surfaces in a later call. The exception's ``correlation_id`` is the id the
    failed ``send`` returned and its ``peer`` the destination.
    """

    name: str
    timeout: Optional[float]
    reconnect: bool
    pickle_protocol: int

    def __init__(
        self,
        address: Address,
        authkey: Optional[Union[bytes, bytearray, memoryview]] = None,
        *,
        name: str,
        timeout: Optional[float] = 10.0,
        reconnect: bool = False,
        keepalive: Optional[float] = 20.0,
        pickle_protocol: Optional[int] = None,
    ) -> None:
        """Connect and register; prefer :func:`mprelay.connect`, which takes the same arguments."""
        self._address = _normalize_address(address)
        self._authkey = _resolve_authkey(authkey)
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
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._sleepers = 0  # threads waiting on _cond
        self._send_lock = threading.Lock()
        self._state = _CONNECTING
        self._link: Optional[_Link] = None
        self._gen = 0
        self._reading = False
        self._inbox: Deque[Item] = collections.deque()
        self._pending: Deque[BaseException] = collections.deque()
        self._waiters: Dict[int, _Waiter] = {}
        self._closed_error: Optional[BaseException] = None
        self._closed_locally = False
        self._watching = False
        self._max_message_bytes = 0
        self._failures = 0
        self._next_attempt = 0.0
        self._last_send = time.monotonic()
        self._names: Dict[str, bytes] = {}
        self._ready_pipe: Optional[Tuple[int, int]] = None
        self._stop = threading.Event()

        conn, limit = _handshake(self._address, self._authkey, self._name_raw, timeout)
        self._install(conn, limit)
        if keepalive is not None and keepalive > 0:
            thread = threading.Thread(
                target=_keepalive_loop,
                args=(weakref.ref(self), float(keepalive), self._stop),
                name="mprelay-keepalive-%s" % name,
                daemon=True,
            )
            thread.start()

    # -- public properties --------------------------------------------------------------------

    @property
    def address(self) -> Union[Tuple[Any, ...], str, bytes]:
        """The broker address this peer connects to."""
        return self._address

    @property
    def max_message_bytes(self) -> int:
        """The largest payload the broker relays, from its WELCOME."""
        return self._max_message_bytes

    @property
    def connected(self) -> bool:
        """True while a connection to the broker is up."""
        return self._state == _UP

    @property
    def closed(self) -> bool:
        """True once the peer is closed for good (by :meth:`close`, or a loss without reconnect)."""
        return self._state == _CLOSED

    @property
    def watching(self) -> bool:
        """True after :meth:`watch`, until :meth:`unwatch`."""
        return self._watching

    def __repr__(self) -> str:
        return "<mprelay.Peer %r at %r, %s>" % (self.name, self._address, self._state)

    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- sending --------------------------------------------------------------------------------

    def send(
        self, to: str, obj: Any, *, confirm: bool = False, timeout: Optional[float] = None
    ) -> int:
        """Send ``obj``, pickled, to the peer named ``to``; returns the message's correlation id.

        The pickle flag is set, so the receiver's ``Message.payload`` is the unpickled object.
        Without ``confirm`` this returns once the message is written; an error for it is raised
        later (see the class documentation). With ``confirm=True`` it waits for the broker's
        verdict and raises its error (``UnknownPeer``, ``PeerBusy``, ``NotPermitted``, ...), or
        ``TimeoutError`` after ``timeout`` seconds (default: the peer's ``timeout``). A payload
        larger than :attr:`max_message_bytes` raises ``MessageTooLarge`` without sending.
        """
        data = pickle.dumps(obj, protocol=self.pickle_protocol)
        return self._send_message(to, data, P.FLAG_PICKLE, 0, 0, confirm, timeout)

    def send_bytes(
        self,
        to: str,
        data: Union[bytes, bytearray, memoryview],
        *,
        flags: int = 0,
        confirm: bool = False,
        timeout: Optional[float] = None,
    ) -> int:
        """Send raw bytes to ``to`` (no pickle flag unless ``flags`` sets it); as :meth:`send`."""
        return self._send_message(to, data, flags, 0, 0, confirm, timeout)

    def request(self, to: str, obj: Any, *, timeout: Optional[float] = None) -> Any:
        """Send ``obj`` to ``to`` and wait for the answer (``Message.reply`` on the other side).

        Returns the reply's payload (unpickled if pickled). Raises ``UnknownPeer`` at once if
        ``to`` is not registered, and ``TimeoutError`` if no reply comes within ``timeout``
        seconds (default: the peer's ``timeout``). A reply arriving after the timeout is delivered
        by :meth:`recv` as an ordinary message with ``is_reply`` set.
        """
        data = pickle.dumps(obj, protocol=self.pickle_protocol)
        return self._request(to, data, P.FLAG_PICKLE, timeout).payload

    def request_bytes(
        self,
        to: str,
        data: Union[bytes, bytearray, memoryview],
        *,
        flags: int = 0,
        timeout: Optional[float] = None,
    ) -> Message:
        """As :meth:`request` with a raw payload; returns the whole reply :class:`Message`."""
        return self._request(to, data, flags, timeout)

    def _dest(self, to: str) -> bytes:
        raw = self._names.get(to)
        if raw is None:
            raw = P.validate_name(to)
            if len(self._names) >= 4096:
                self._names.clear()
            self._names[to] = raw
        return raw

    def _send_message(
        self,
        to: str,
        data: Union[bytes, bytearray, memoryview],
        flags: int,
        options: int,
        correlation_id: int,
        confirm: bool,
        timeout: Optional[float],
    ) -> int:
        deadline = _deadline(self.timeout if timeout is None else timeout)
        cid, waiter, what = self._begin_send(
            to, data, flags, options, correlation_id, confirm, False, deadline
        )
        if waiter is not None:
            self._await(waiter, cid, deadline, what)
        return cid

    def _begin_send(
        self,
        to: str,
        data: Union[bytes, bytearray, memoryview],
        flags: int,
        options: int,
        correlation_id: int,
        confirm: bool,
        request: bool,
        deadline: Optional[float],
        callback: Optional[Callable[[], None]] = None,
    ) -> Tuple[int, Optional[_Waiter], str]:
        """Check and write a SEND; returns its id and the waiter for its answer, if any."""
        dest = self._dest(to)
        if not 0 <= flags <= 0xFF:
            raise ValueError("flags is one byte (0-255)")
        self._check_pending(drain=True)
        cid = correlation_id or next(self._ids)
        size = len(data) if not isinstance(data, memoryview) else data.nbytes
        if size > self._max_message_bytes:
            raise MessageTooLarge(
                "payload of %d bytes is over the broker's max_message_bytes (%d); not sent"
                % (size, self._max_message_bytes),
                correlation_id=cid,
                peer=to,
            )
        waiter = None
        what = ""
        if request:
            waiter = _Waiter(P.Kind.DELIVER, to, callback)
            what = "a reply from %r to request %d" % (to, cid)
        elif confirm:
            options |= P.OPT_CONFIRM
            waiter = _Waiter(P.Kind.ACK, to, callback)
            what = "the broker's answer to message %d" % cid
        body = b"".join((_MSG.pack(P.Kind.SEND, options, flags, cid, len(dest)), dest, data))
        self._write(body, deadline, waiter, cid)
        return cid, waiter, what

    def _begin_control(
        self,
        kind: int,
        deadline: Optional[float],
        callback: Optional[Callable[[], None]] = None,
        enable: bool = True,
    ) -> Tuple[int, _Waiter, str]:
        """Write a PING, LIST or WATCH; returns its id and the waiter for the answer."""
        cid = next(self._ids)
        if kind == P.Kind.PING:
            waiter, body, what = _Waiter(P.Kind.PONG, None, callback), P.encode_id(kind, cid), "PONG"
        elif kind == P.Kind.LIST:
            waiter, body = _Waiter(P.Kind.PEERS, None, callback), P.encode_id(kind, cid)
            what = "the list of peers"
        else:
            self._watching = bool(enable)
            waiter, body = _Waiter(P.Kind.ACK, None, callback), P.encode_watch(cid, enable)
            what = "the broker's answer to WATCH"
        self._write(body, deadline, waiter, cid)
        return cid, waiter, what

    def _request(
        self, to: str, data: Union[bytes, bytearray, memoryview], flags: int, timeout: Optional[float]
    ) -> Message:
        deadline = _deadline(self.timeout if timeout is None else timeout)
        cid, waiter, what = self._begin_send(to, data, flags, 0, 0, False, True, deadline)
        assert waiter is not None
        self._await(waiter, cid, deadline, what)
        value: Message = waiter.value
        return value

    def _forget(self, cid: int, waiter: _Waiter) -> None:
        """Stop waiting for an answer (after a timeout)."""
        with self._lock:
            if self._waiters.get(cid) is waiter:
                del self._waiters[cid]

    # -- receiving ------------------------------------------------------------------------------

    def recv(self, timeout: Optional[float] = None) -> Item:
        """Return the next message (or presence event, after :meth:`watch`).

        Blocks until one arrives; with a ``timeout`` (seconds) raises ``TimeoutError`` if none
        does. Raises a pending error of an earlier unconfirmed send first, if there is one. Once
        the connection is gone for good (and every message that arrived before has been
        returned) raises :class:`Disconnected` or the subclass that says why, e.g.
        :class:`BrokerClosing`.
        """
        deadline = _deadline(timeout)
        item = self._pump(self._take_item, deadline)
        if item is _NOTHING:
            raise TimeoutError("no message for %r within %s seconds" % (self.name, timeout))
        return item  # type: ignore[no-any-return]

    def recv_bytes(self, timeout: Optional[float] = None) -> bytes:
        """As :meth:`recv`, but return only the raw payload bytes, whatever the pickle flag.

        For peers that do not watch presence: if the next item is a presence event, it is left
        in place (for :meth:`recv`) and ``RuntimeError`` is raised.
        """
        deadline = _deadline(timeout)

        def take() -> Any:
            item = self._take_item(peek=True)
            if item is _NOTHING:
                return item
            if not isinstance(item, Message):
                raise RuntimeError(
                    "the next item is %r, not a message; use recv() while watching presence" % item
                )
            return self._inbox.popleft()

        item = self._pump(take, deadline)
        if item is _NOTHING:
            raise TimeoutError("no message for %r within %s seconds" % (self.name, timeout))
        return item.data  # type: ignore[no-any-return]

    def poll(self, timeout: Optional[float] = 0.0) -> bool:
        """Return whether :meth:`recv` has something to return, waiting up to ``timeout`` seconds.

        Like ``multiprocessing.connection.Connection.poll``: ``poll()`` does not block,
        ``poll(None)`` waits forever. Raises a pending error of an earlier unconfirmed send, and
        the reason the connection was lost once it is gone for good.
        """
        deadline = _deadline(timeout)

        def take() -> Any:
            return True if self._take_item(peek=True) is not _NOTHING else _NOTHING

        return self._pump(take, deadline) is True

    def _take_item(self, peek: bool = False) -> Any:
        # Called with the lock held.
        if self._pending:
            raise self._pending.popleft()
        if self._inbox:
            return self._inbox[0] if peek else self._inbox.popleft()
        if self._state == _CLOSED:
            raise _clone(self._closed_error or Disconnected("closed"))
        return _NOTHING

    def fileno(self) -> int:
        """A file descriptor that is readable when :meth:`recv` has something to do.

        So a peer can be passed to ``multiprocessing.connection.wait()`` or ``select``. It is the
        connection's socket while nothing is buffered, and a descriptor that is always readable
        while received items wait in the peer (or the connection is down): ask ``fileno()`` again
        for each wait, as ``wait()`` does. Readable does not promise a message: the broker's
        control frames wake it too, so after a wait use ``poll()`` (which never blocks) before
        ``recv()`` if the loop must not block.
        """
        with self._lock:
            if self._closed_locally:
                raise Disconnected("this peer was closed")
            link = self._link
            if self._state == _UP and link is not None and not self._inbox and not self._pending:
                return link.conn.fileno()
            if self._ready_pipe is None:
                r, w = os.pipe()
                os.write(w, b"!")
                self._ready_pipe = (r, w)
            return self._ready_pipe[0]

    # -- control --------------------------------------------------------------------------------

    def ping(self, timeout: Optional[float] = None) -> float:
        """Send a PING to the broker and return the round-trip time in seconds."""
        deadline = _deadline(self.timeout if timeout is None else timeout)
        start = time.perf_counter()
        cid, waiter, what = self._begin_control(P.Kind.PING, deadline)
        self._await(waiter, cid, deadline, what)
        return time.perf_counter() - start

    def peers(self, timeout: Optional[float] = None) -> List[str]:
        """Return the names registered with the broker (this peer's included), sorted bytewise."""
        deadline = _deadline(self.timeout if timeout is None else timeout)
        cid, waiter, what = self._begin_control(P.Kind.LIST, deadline)
        self._await(waiter, cid, deadline, what)
        return list(waiter.value)

    def watch(self, enable: bool = True, *, timeout: Optional[float] = None) -> None:
        """Start (or with ``enable=False`` stop) presence events.

        While watching, :meth:`recv` also returns :class:`PeerJoined` and :class:`PeerLeft`
        events, in order with the messages: a peer's join comes before any message from it and
        its leave after its last message. This peer's own registration is not reported. Returns
        once the broker has acknowledged; a reconnect watches again.
        """
        deadline = _deadline(self.timeout if timeout is None else timeout)
        cid, waiter, what = self._begin_control(P.Kind.WATCH, deadline, enable=enable)
        self._await(waiter, cid, deadline, what)

    def unwatch(self, *, timeout: Optional[float] = None) -> None:
        """Stop presence events; the same as ``watch(False)``."""
        self.watch(False, timeout=timeout)

    def close(self) -> None:
        """Say GOODBYE to the broker and close the connection. Safe to call more than once.

        Threads blocked on this peer are woken and get :class:`Disconnected`.
        """
        with self._lock:
            if self._closed_locally:
                return
            self._closed_locally = True
            link = self._link if self._state == _UP else None
        self._stop.set()
        if link is not None and self._send_lock.acquire(timeout=1.0):
            try:
                if not link.dead:
                    link.conn.send_bytes(P.encode_goodbye(P.GoodbyeReason.LEAVING, "closing"))
            except (OSError, ValueError):
                pass
            finally:
                self._send_lock.release()
        error = Disconnected("this peer was closed")
        with self._lock:
            self._inbox.clear()
            self._pending.clear()
            self._state = _CLOSED
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

    # -- internals: the connection ----------------------------------------------------------------

    def _wake_all(self) -> None:
        # Called with the lock held. Condition.notify_all costs even with nobody waiting.
        if self._sleepers:
            self._cond.notify_all()

    def _install(self, conn: Connection, limit: int) -> None:
        with self._lock:
            if self._closed_locally:
                conn.close()
                raise _clone(self._closed_error or Disconnected("this peer was closed"))
            self._gen += 1
            self._link = _Link(conn, self._gen)
            self._max_message_bytes = limit
            self._state = _UP
            self._failures = 0
            self._wake_all()

    def _kill(self, link: _Link) -> None:
        """Mark ``link`` dead, wake its users, and close it once nobody uses it."""
        with self._lock:
            link.dead = True
            close_now = link.users == 0 and not link.closed
            if close_now:
                link.closed = True
        if close_now:
            link.conn.close()
        else:
            try:
                _shutdown(link.conn.fileno())
            except (OSError, ValueError):
                pass

    def _unuse(self, link: _Link) -> None:
        # Called with the lock held.
        link.users -= 1
        if link.dead and link.users == 0 and not link.closed:
            link.closed = True
            try:
                link.conn.close()
            except OSError:  # pragma: no cover
                pass

    def _lost(self, link: _Link, cause: BaseException, error: Optional[BaseException] = None) -> None:
        """The connection ``link`` is gone; ``error`` is what to tell waiting threads."""
        # Reconnecting cannot help after these: the broker found our envelopes malformed, an
        # operator kicked us, or another connection took our name.
        fatal = isinstance(error, (ProtocolError, Kicked, Replaced))
        with self._lock:
            if link.dead or self._link is not link:
                already = True
            else:
                already = False
                if error is None:
                    error = Disconnected("connection to the broker lost: %s" % (cause or "EOF"))
                    error.__cause__ = cause
                for waiter in self._waiters.values():
                    waiter.fail(error)
                self._waiters.clear()
                self._link = None
                if self._state != _CLOSED:
                    if self.reconnect and not fatal:
                        self._state = _DOWN
                        pause = _GOODBYE_PAUSE if isinstance(error, BrokerClosing) else 0.0
                        self._next_attempt = time.monotonic() + pause
                    else:
                        self._state = _CLOSED
                        self._closed_error = error
                self._wake_all()
        if not already:
            if self.reconnect and not fatal and not self._closed_locally:
                log.warning("mprelay peer %r lost its connection (%s); reconnecting", self.name, error)
            self._kill(link)

    def _link_for_send(self, deadline: Optional[float], waiter: Optional[_Waiter], cid: int) -> _Link:
        if waiter is None:
            with self._lock:
                link = self._link
                if self._state == _UP and link is not None:
                    link.users += 1
                    return link

        def take() -> Any:
            if self._state == _UP and self._link is not None:
                link = self._link
                link.users += 1
                if waiter is not None:
                    if cid in self._waiters and self._waiters[cid] is not waiter:
                        link.users -= 1
                        raise RuntimeError("correlation id %d is already awaited" % cid)
                    waiter.done, waiter.error, waiter.value = False, None, None
                    self._waiters[cid] = waiter
                return link
            return _NOTHING

        link = self._pump(take, deadline, read=False)
        if link is _NOTHING:
            raise Disconnected("not connected to the broker (still reconnecting)")
        return link  # type: ignore[no-any-return]

    def _write(
        self, body: bytes, deadline: Optional[float], waiter: Optional[_Waiter] = None, cid: int = 0
    ) -> None:
        while True:
            link = self._link_for_send(deadline, waiter, cid)
            try:
                with self._send_lock:
                    link.conn.send_bytes(body)
                self._last_send = time.monotonic()
                return
            except (OSError, ValueError) as exc:
                # BrokenPipe, ConnectionReset, or "handle is closed" after a concurrent loss.
                self._lost(link, exc)
                if not self.reconnect or self._closed_locally:
                    with self._lock:
                        self._waiters.pop(cid, None)
                        err = self._closed_error
                    raise _clone(err or Disconnected("connection lost: %s" % exc)) from exc
            except BaseException as exc:
                # Interrupted mid-frame (e.g. KeyboardInterrupt): the stream is unusable.
                self._lost(link, exc)
                raise
            finally:
                with self._lock:
                    self._unuse(link)

    def _await(self, waiter: _Waiter, cid: int, deadline: Optional[float], what: str) -> None:
        def take() -> Any:
            return waiter if waiter.done else _NOTHING

        try:
            got = self._pump(take, deadline)
        except BaseException:
            with self._lock:
                if self._waiters.get(cid) is waiter:
                    del self._waiters[cid]
            raise
        if got is _NOTHING:
            with self._lock:
                if self._waiters.get(cid) is waiter:
                    del self._waiters[cid]
                if not waiter.done:
                    raise TimeoutError("timed out waiting for %s" % what)
        if waiter.error is not None:
            raise _clone(waiter.error)

    # -- internals: reading and dispatching --------------------------------------------------------

    def _pump(self, take: Callable[[], Any], deadline: Optional[float], read: bool = True) -> Any:
        """Return ``take()``'s first result other than ``_NOTHING``, or ``_NOTHING`` at the deadline.

        ``take`` runs with the lock held. In between, this thread reads and dispatches frames
        when nobody else is reading (unless ``read`` is false), and reconnects when the
        connection is down and reconnecting is allowed.
        """
        expired = False
        while True:
            with self._lock:
                while True:
                    item = take()
                    if item is not _NOTHING:
                        return item
                    state = self._state
                    if state == _CLOSED:
                        raise _clone(self._closed_error or Disconnected("closed"))
                    if expired:
                        return _NOTHING
                    if read and state == _UP and not self._reading and self._link is not None:
                        link = self._link
                        link.users += 1
                        self._reading = True
                        action = "read"
                        break
                    if state == _DOWN and not self._reading:
                        self._state = _CONNECTING
                        action = "connect"
                        break
                    remaining = _remaining(deadline)
                    if remaining is not None and remaining <= 0:
                        return _NOTHING
                    self._sleepers += 1
                    try:
                        self._cond.wait(remaining)
                    finally:
                        self._sleepers -= 1
            if action == "read":
                if not self._read_frames(link, deadline, _READ_AHEAD):
                    expired = deadline is not None and time.monotonic() >= deadline
            else:
                if not self._reconnect_step(deadline):
                    expired = True

    def _read_frames(self, link: _Link, deadline: Optional[float], limit: int) -> int:
        """Holding the reading role: read and dispatch up to ``limit`` frames; returns how many.

        Waits up to ``deadline`` for the first frame; reads the others only if they have arrived
        already and the inbox is not long.
        """
        count = 0
        try:
            conn = link.conn
            while count < limit:
                if count == 0:
                    remaining = _remaining(deadline)
                elif len(self._inbox) >= _READ_AHEAD or link.dead:
                    break
                else:
                    remaining = 0.0
                try:
                    if remaining is not None and not link.readable(remaining):
                        break
                except (OSError, ValueError, EOFError) as exc:
                    self._lost(link, exc)
                    break
                try:
                    body = conn.recv_bytes()
                except (OSError, ValueError, EOFError) as exc:
                    self._lost(link, exc)
                    break
                except BaseException as exc:
                    self._lost(link, exc)  # interrupted mid-frame: the stream is unusable
                    raise
                count += 1
                try:
                    self._dispatch(body, link)
                except ProtocolError as exc:
                    log.error("mprelay peer %r: %s", self.name, exc)
                    self._lost(link, exc, exc)
                    break
        finally:
            with self._lock:
                self._reading = False
                self._unuse(link)
                self._wake_all()
        return count

    def _dispatch(self, body: bytes, link: _Link) -> None:
        """Route one frame from the broker; runs in the thread holding the reading role."""
        if not body:
            raise ProtocolError("empty envelope from the broker")
        kind = body[0]
        if kind == P.Kind.DELIVER:
            if len(body) < 13:
                raise ProtocolError("cannot decode DELIVER envelope: truncated header")
            _, options, flags, cid, n = _MSG.unpack_from(body)
            end = 12 + n
            if n == 0 or end > len(body) or options & ~(P.OPT_CONFIRM | P.OPT_REPLY):
                raise ProtocolError("cannot decode DELIVER envelope: %r" % body[:end])
            try:
                sender = body[12:end].decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("cannot decode DELIVER envelope: sender is not UTF-8") from None
            msg = Message(sender, body[end:], flags, cid, options, self)
            with self._lock:
                waiter = self._waiters.get(cid) if options & P.OPT_REPLY else None
                if waiter is not None and waiter.kind == P.Kind.DELIVER and waiter.peer == sender:
                    del self._waiters[cid]
                    waiter.resolve(msg)
                else:
                    self._inbox.append(msg)
                self._wake_all()
            return
        env = P.decode(body)
        if isinstance(env, P.Ping):
            self._send_control(link, P.encode_id(P.Kind.PONG, env.correlation_id))
        elif isinstance(env, (P.Joined, P.Left)):
            event = PeerJoined(env.name) if isinstance(env, P.Joined) else PeerLeft(env.name)
            with self._lock:
                self._inbox.append(event)
                self._wake_all()
        elif isinstance(env, (P.Ack, P.Pong, P.Peers)):
            kind_of = {P.Ack: P.Kind.ACK, P.Pong: P.Kind.PONG, P.Peers: P.Kind.PEERS}[type(env)]
            with self._lock:
                waiter = self._waiters.get(env.correlation_id)
                if waiter is not None and waiter.kind == kind_of:
                    del self._waiters[env.correlation_id]
                    waiter.resolve(env.names if isinstance(env, P.Peers) else True)
                    self._wake_all()
                # else: the answer to a PING of the keepalive, or to a wait that timed out.
        elif isinstance(env, P.Error):
            error = error_for_code(
                env.code, env.text, correlation_id=env.correlation_id, peer=env.peer or None
            )
            if env.code in CLOSING_CODES:
                # The broker closes the connection after this error; it is the reason.
                self._lost(link, error, error)
                return
            with self._lock:
                waiter = self._waiters.get(env.correlation_id) if env.correlation_id else None
                # The peer named in the ERROR must be the one the waiter sent to, unless the
                # ERROR names none: ids of replies are chosen by other peers and may collide.
                if waiter is not None and (
                    waiter.peer is None or not env.peer or waiter.peer == env.peer
                ):
                    del self._waiters[env.correlation_id]
                    waiter.fail(error)
                else:
                    self._pending.append(error)
                self._wake_all()
        elif isinstance(env, P.Goodbye):
            if env.reason == P.GoodbyeReason.SHUTTING_DOWN:
                self._lost(link, BrokerClosing(env.text), BrokerClosing(env.text))
            else:
                err = Disconnected("the broker said goodbye: %s" % env.text)
                self._lost(link, err, err)
        else:
            raise ProtocolError("unexpected %s envelope from the broker" % type(env).__name__.upper())

    def _send_control(self, link: _Link, body: bytes) -> None:
        try:
            with self._send_lock:
                link.conn.send_bytes(body)
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
            with self._lock:
                link = self._link
                if (
                    self._state != _UP
                    or self._reading
                    or link is None
                    or len(self._inbox) >= _DRAIN_INBOX_LIMIT
                ):
                    link = None
                else:
                    link.users += 1
                    self._reading = True
            if link is not None:
                self._read_frames(link, time.monotonic(), 64)
        if self._pending:
            with self._lock:
                if self._pending:
                    raise self._pending.popleft()

    def _reconnect_step(self, deadline: Optional[float]) -> bool:
        """Holding the CONNECTING state: make one attempt, after the backoff delay.

        Returns False if the deadline passed first. A failure worth retrying (the broker is
        unreachable, or has not yet noticed our old connection and still holds the name) schedules
        the next attempt; any other failure (a wrong key, say) closes the peer with that error.
        """
        try:
            delay = self._next_attempt - time.monotonic()
            if delay > 0:
                remaining = _remaining(deadline)
                if remaining is not None and remaining < delay:
                    self._stop.wait(remaining)
                    return False
                self._stop.wait(delay)
            if self._closed_locally:
                return True
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                return False
            budget = self.timeout
            if remaining is not None:
                budget = remaining if budget is None else min(budget, remaining)
            try:
                conn, limit = _handshake(self._address, self._authkey, self._name_raw, budget)
            except (OSError, EOFError, Disconnected, NameTaken) as exc:
                self._failures += 1
                backoff = min(_BACKOFF_MAX, _BACKOFF_FIRST * (2 ** min(self._failures - 1, 10)))
                self._next_attempt = time.monotonic() + backoff * random.uniform(0.5, 1.0)
                log.debug("mprelay peer %r: reconnecting failed: %s", self.name, exc)
                return deadline is None or time.monotonic() < deadline
            try:
                if self._watching:
                    conn.send_bytes(P.encode_watch(next(self._ids), True))
            except (OSError, ValueError):
                conn.close()
                return True
            self._install(conn, limit)
            log.warning("mprelay peer %r reconnected", self.name)
            return True
        except Exception as exc:
            with self._lock:
                if self._state == _CONNECTING:
                    self._state = _CLOSED
                    self._closed_error = exc
                    self._wake_all()
            raise
        finally:
            with self._lock:
                if self._state == _CONNECTING:
                    self._state = _DOWN
                    self._wake_all()

    def _keepalive_tick(self, interval: float) -> None:
        """Send a PING if nothing was sent for ``interval`` seconds, so the broker sees us alive."""
        if self._state != _UP or time.monotonic() - self._last_send < interval:
            return
        with self._lock:
            link = self._link
            if self._state != _UP or link is None:
                return
            link.users += 1
        try:
            if self._send_lock.acquire(timeout=interval):
                try:
                    link.conn.send_bytes(P.encode_id(P.Kind.PING, next(self._ids)))
                    self._last_send = time.monotonic()
                finally:
                    self._send_lock.release()
        except (OSError, ValueError) as exc:
            self._lost(link, exc)
        finally:
            with self._lock:
                self._unuse(link)


def connect(
    address: Address,
    authkey: Optional[Union[bytes, bytearray, memoryview]] = None,
    *,
    name: str,
    timeout: Optional[float] = 10.0,
    reconnect: bool = False,
    keepalive: Optional[float] = 20.0,
    pickle_protocol: Optional[int] = None,
) -> Peer:
    """Connect to the mprelay broker at ``address``, register as ``name``, and return the peer.

    ``address``
        what :func:`multiprocessing.connection.Client` takes: a ``(host, port)`` tuple, a
        filesystem path of a Unix socket, or an abstract Unix name ``"\\0name"``. IPv6 hosts
        (``("::1", 6000)``) work too.
    ``authkey``
        the shared key (bytes). ``None`` reads the environment variable ``MPRELAY_AUTHKEY``
        (encoded with :func:`os.fsencode`); if that is not set either, ``ValueError`` is raised.
        A wrong key raises :class:`multiprocessing.AuthenticationError`.
    ``name``
        the name to register (see :func:`mprelay.protocol.validate_name`); ``NameTaken`` if
        another connection has it.
    ``timeout``
        seconds allowed for connecting and registering (``TimeoutError`` after), and the
        default wait of ``send(confirm=True)``, ``request()``, ``ping()``, ``peers()`` and
        ``watch()``. ``None``: no limit.
    ``reconnect``
        if true, a dropped connection (or a broker shutting down) is re-established with
        backoff the next time the peer is used, registering the same name and watching again if
        it was watching. Messages in flight when the connection dropped are lost (delivery is at
        most once); calls waiting for an answer on the lost connection raise ``Disconnected``.
    ``keepalive``
        send a PING after this many idle seconds so the broker's ``idle_timeout`` does not close
        a peer that is busy elsewhere; ``None`` disables it. The broker's own PINGs are always
        answered while the peer is being read from.
    ``pickle_protocol``
        the protocol ``send()`` pickles with (default: :data:`pickle.DEFAULT_PROTOCOL`).
    """
    return Peer(
        address,
        authkey,
        name=name,
        timeout=timeout,
        reconnect=reconnect,
        keepalive=keepalive,
        pickle_protocol=pickle_protocol,
    )
