"""One connection to the broker: the socket, the handshake, the read buffer and writes.

The handshake is :mod:`multiprocessing.connection`'s own (``answer_challenge`` then
``deliver_challenge`` on a stdlib ``Connection``, the calls ``Client`` makes), followed by HELLO
and WELCOME. After that a :class:`Link` frames by itself, exactly as ``Connection`` does, but
reads with one ``recv_into`` of a large buffer and cuts every whole frame out of it at once
(:class:`mprelay.framing.FrameBuffer`), where ``Connection.recv_bytes`` makes two reads per frame.
"""

from __future__ import annotations

import math
import os
import select
import socket
import ssl
import struct
import threading
import time
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge
from typing import Any, List, Optional

from . import protocol as P
from .address import SocketAddress
from .errors import (
    BrokerClosingError,
    DisconnectedError,
    ProtocolError,
    UnsupportedVersionError,
    error_for_code,
)
from .framing import Bytes, FrameBuffer, Parsed
from .waiting import deadline_after, time_left

__all__ = ["READ_SLICE", "Link", "handshake", "shutdown_socket"]

#: The receive timeout of a link's socket, in seconds: a blocking read returns after this long
#: without a byte, so a reader waiting at least this long needs no ``poll`` before each read.
READ_SLICE = 1.0


def _open_socket(address: SocketAddress, timeout: Optional[float]) -> socket.socket:
    """Connect a stream socket to ``address`` (blocking mode on return)."""
    if isinstance(address, tuple):
        host = address[0]
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if len(address) == 4 or ":" in host:
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


def _timeval(seconds: Optional[float]) -> bytes:
    """A ``struct timeval`` for SO_RCVTIMEO/SO_SNDTIMEO; None: no bound."""
    if seconds is None:
        return struct.pack("ll", 0, 0)
    seconds = max(seconds, 0.001)
    sec = int(seconds)
    return struct.pack("ll", sec, int((seconds - sec) * 1e6))


def _set_io_timeout(sock: socket.socket, seconds: Optional[float]) -> None:
    """Bound each blocking read/write (SO_RCVTIMEO/SO_SNDTIMEO); None removes the bound."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(seconds))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(seconds))


def _set_receive_timeout(sock: socket.socket, seconds: float) -> None:
    """Bound each blocking read only (a write must never give up halfway through a frame)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(seconds))


def shutdown_socket(sock: socket.socket) -> None:
    """Shut a socket down both ways without closing it: wakes every thread blocked on it."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _TLSConnection:
    """The two calls of :class:`multiprocessing.connection.Connection` that its handshake
    functions make, over a TLS socket (a stdlib ``Connection`` reads the raw descriptor)."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self._sock = sock
        self.closed = False

    def send_bytes(self, data: Bytes) -> None:
        self._sock.sendall(struct.pack("!i", len(data)) + bytes(data))

    def recv_bytes(self, maxlength: Optional[int] = None) -> bytes:
        (size,) = struct.unpack("!i", self._recv_exact(4))
        if size < 0 or (maxlength is not None and size > maxlength):
            raise ProtocolError("the broker sent a handshake frame of %d bytes" % size)
        return self._recv_exact(size)

    def _recv_exact(self, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise EOFError("the broker closed the connection")
            data += chunk
        return bytes(data)

    def close(self) -> None:
        self.closed = True


def handshake(
    address: SocketAddress,
    authkey: bytes,
    name: bytes,
    timeout: Optional[float],
    version: int = P.VERSION,
    tls: Optional[ssl.SSLContext] = None,
    server_hostname: Optional[str] = None,
) -> "Link":
    """Open a connection, authenticate, register ``name``; returns the link, registered.

    The socket is opened here rather than by ``Client`` so that ``timeout`` bounds connecting and
    the handshake, and so that IPv6 addresses work. The stdlib ``Connection`` works on a
    duplicate of the socket's descriptor, closed once the handshake is over; it reads exactly
    one frame at a time, so nothing the broker sends after WELCOME is left in it. With ``tls``,
    the socket is wrapped first (the server's certificate checked against ``server_hostname``,
    by default the address's host) and the handshake runs inside TLS.
    """
    deadline = deadline_after(timeout)
    sock = _open_socket(address, timeout)
    conn: Any = None
    try:
        if tls is not None:
            if not isinstance(address, tuple):
                raise ValueError("TLS needs a (host, port) address, not %r" % (address,))
            sock.settimeout(timeout)
            sock = tls.wrap_socket(sock, server_hostname=server_hostname or address[0].strip("[]"))
            sock.settimeout(None)
        if timeout is not None:
            _set_io_timeout(sock, time_left(deadline))
        conn = _TLSConnection(sock) if isinstance(sock, ssl.SSLSocket) else Connection(os.dup(sock.fileno()))
        answer_challenge(conn, authkey)
        deliver_challenge(conn, authkey)
        conn.send_bytes(P.encode_hello(name, version))
        while True:
            if timeout is not None:
                _set_io_timeout(sock, time_left(deadline))
            env = P.decode(conn.recv_bytes())
            if isinstance(env, P.Welcome):
                if env.version != P.VERSION:
                    raise UnsupportedVersionError(
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
                    raise BrokerClosingError(env.text)
                raise DisconnectedError("the broker said goodbye during registration: " + env.text)
            raise ProtocolError("expected WELCOME, got %s" % type(env).__name__.upper())
        if timeout is not None:
            _set_io_timeout(sock, None)
        conn.close()
        return Link(sock, env.max_message_bytes)
    except (BlockingIOError, socket.timeout):
        sock.close()
        raise TimeoutError("timed out connecting to the mprelay broker at %r" % (address,)) from None
    except EOFError:
        sock.close()
        raise DisconnectedError(
            "the broker at %r closed the connection during the handshake" % (address,)
        ) from None
    except BaseException:
        sock.close()
        raise
    finally:
        if conn is not None and not conn.closed:
            conn.close()


class Link:
    """One registered connection to the broker.

    Reading is done by one thread at a time (the peer's reading role); writes are serialised by
    :attr:`write_lock`. The peer counts the threads using the link in :attr:`users` and closes
    it only when that drops to zero, so a descriptor number is never reused under a reader; a
    writer holds :attr:`write_lock`, which :meth:`close` takes too.
    """

    __slots__ = (
        "sock", "fd", "max_message_bytes", "users", "dead", "closed", "write_lock", "tls",
        "_frames", "_poller", "_peeker", "_peek_lock", "_writer_poller",
    )

    def __init__(self, sock: socket.socket, max_message_bytes: int) -> None:
        """Take over a connected, registered, blocking socket."""
        self.sock = sock
        self.fd = sock.fileno()
        #: The largest payload the broker relays, from its WELCOME.
        self.max_message_bytes = max_message_bytes
        self.users = 0
        self.dead = False
        self.closed = False
        self.write_lock = threading.Lock()
        #: Whether the socket is a TLS one: writes then go through ``sendall`` only.
        self.tls = isinstance(sock, ssl.SSLSocket)
        self._frames = FrameBuffer()
        self._poller: Any = None
        self._peeker: Any = None
        self._peek_lock = threading.Lock()
        self._writer_poller: Any = None
        if not self.tls:
            _set_receive_timeout(sock, READ_SLICE)
        if hasattr(select, "poll"):
            self._writer_poller = select.poll()
            self._writer_poller.register(self.fd, select.POLLIN)
            self._poller = select.poll()
            self._poller.register(self.fd, select.POLLIN)
            self._peeker = select.poll()
            self._peeker.register(self.fd, select.POLLIN)

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

    def arrived_for_writer(self) -> bool:
        """As :meth:`arrived`, for the thread holding :attr:`write_lock` (no other lock taken)."""
        if self._writer_poller is None:  # pragma: no cover - platforms without poll()
            return True
        return bool(self._writer_poller.poll(0))

    def readable(self, timeout: Optional[float]) -> bool:
        """Whether bytes (or EOF) are there to read, waiting up to ``timeout`` seconds.

        Only the thread holding the reading role calls this.
        """
        if self._poller is None:  # pragma: no cover - platforms without poll()
            return bool(select.select([self.fd], [], [], timeout)[0])
        ms = None if timeout is None else math.ceil(timeout * 1000)
        return bool(self._poller.poll(ms))

    def read(self, deadline: Optional[float]) -> List[Parsed]:
        """Read once, waiting until ``deadline`` (a :func:`time.monotonic` value; None: no
        bound) at most, and return every frame completed by it, in order.

        The list is empty when nothing came in time or only part of a frame came. A wait of at
        least :data:`READ_SLICE` is a blocking read bounded by the socket's receive timeout
        (one system call, where a wait with a deadline needs a ``poll`` first); such a read that
        times out returns an empty list too, and the caller reads again. Raises ``EOFError`` at
        the end of the stream and ``OSError`` if the read fails. Only the reading role calls
        this.
        """
        if deadline is not None:
            left = deadline - time.monotonic()
            if (self.tls or left < READ_SLICE) and not self.readable(max(0.0, left)):
                return []
        try:
            n = self.sock.recv_into(self._frames.space())
        except BlockingIOError:  # the receive timeout: READ_SLICE without a byte
            return []
        if not n:
            raise EOFError("the broker closed the connection")
        frames = self._frames.commit(n)
        # A TLS socket hands out one record per call: take every decrypted byte now, so that
        # nothing waits in the TLS layer while a caller polls the descriptor.
        while self.tls and self.sock.pending():  # type: ignore[attr-defined]
            n = self.sock.recv_into(self._frames.space())
            if not n:
                break
            frames += self._frames.commit(n)
        return frames

    def write(self, data: Bytes) -> None:
        """Write ``data`` whole; the caller holds :attr:`write_lock`."""
        self.sock.sendall(data)

    def shutdown(self) -> None:
        """Wake every thread blocked on the socket; the descriptor stays open."""
        shutdown_socket(self.sock)

    def close(self) -> None:
        """Close the socket, once no write is in progress."""
        with self.write_lock:
            self.sock.close()

