"""Envelopes of the mprelay wire protocol v1, built with `struct` (see docs/PROTOCOL.md).

The integration tests talk to mprelayd through the stock `multiprocessing.connection.Client`
only; this module just packs and unpacks envelope bodies and wraps a connection with a few
conveniences. It deliberately does not use the `mprelay` client package.
"""

import hmac
import os
import socket
import struct
import threading
import time
from collections import namedtuple
from multiprocessing.connection import Client

HELLO = 0x01
WELCOME = 0x02
SEND = 0x03
DELIVER = 0x04
ERROR = 0x05
ACK = 0x06
PING = 0x07
PONG = 0x08
GOODBYE = 0x09
LIST = 0x0A
PEERS = 0x0B
WATCH = 0x0C
JOINED = 0x0D
LEFT = 0x0E

OPT_CONFIRM = 0x01
OPT_REPLY = 0x02

E_UNKNOWN_PEER = 1
E_NAME_TAKEN = 2
E_TOO_LARGE = 3
E_MALFORMED = 4
E_NOT_PERMITTED = 5
E_PEER_BUSY = 6
E_INVALID_NAME = 7
E_UNSUPPORTED_VERSION = 8
E_UNEXPECTED = 9
E_SLOW_CONSUMER = 10
E_KICKED = 11
E_IDLE_TIMEOUT = 12
E_REPLACED = 13

Envelope = namedtuple("Envelope", "kind fields raw")


def _name(name):
    return name.encode("utf-8") if isinstance(name, str) else bytes(name)


def hello(name, version=1):
    n = _name(name)
    return struct.pack(">BBB", HELLO, version, len(n)) + n


def send(dest, payload=b"", cid=0, options=0, flags=0, kind=SEND):
    n = _name(dest)
    return struct.pack(">BBBQB", kind, options, flags, cid, len(n)) + n + payload


def ping(cid):
    return struct.pack(">BQ", PING, cid)


def pong(cid):
    return struct.pack(">BQ", PONG, cid)


def list_peers(cid):
    return struct.pack(">BQ", LIST, cid)


def watch(cid, start=True):
    return struct.pack(">BQB", WATCH, cid, 1 if start else 0)


def goodbye(reason=0, text=b""):
    return struct.pack(">BH", GOODBYE, reason) + text


def decode(body):
    """Decodes a broker -> client envelope body into Envelope(kind, fields dict, raw)."""
    assert len(body) >= 1, "empty envelope"
    kind = body[0]
    f = {}
    if kind == WELCOME:
        assert len(body) == 10, "WELCOME must be 10 bytes, got %r" % body
        f["version"], f["max_message_bytes"] = struct.unpack(">BQ", body[1:])
    elif kind == DELIVER:
        f["options"], f["flags"], f["cid"], ln = struct.unpack(">BBQB", body[1:12])
        f["sender"] = body[12:12 + ln].decode("utf-8")
        f["payload"] = body[12 + ln:]
    elif kind == ERROR:
        f["code"], f["cid"], ln = struct.unpack(">HQB", body[1:12])
        f["peer"] = body[12:12 + ln].decode("utf-8", "surrogateescape")
        f["text"] = body[12 + ln:].decode("utf-8")
    elif kind in (ACK, PING, PONG):
        assert len(body) == 9, "kind %d must be 9 bytes, got %r" % (kind, body)
        (f["cid"],) = struct.unpack(">Q", body[1:])
    elif kind == GOODBYE:
        (f["reason"],) = struct.unpack(">H", body[1:3])
        f["text"] = body[3:].decode("utf-8")
    elif kind == PEERS:
        f["cid"], count = struct.unpack(">QI", body[1:13])
        names, pos = [], 13
        for _ in range(count):
            ln = body[pos]
            names.append(body[pos + 1:pos + 1 + ln])
            pos += 1 + ln
        assert pos == len(body), "PEERS has %d trailing bytes" % (len(body) - pos)
        f["names"] = names
    elif kind in (JOINED, LEFT):
        ln = body[1]
        assert len(body) == 2 + ln, "presence event with trailing bytes: %r" % body
        f["name"] = body[2:].decode("utf-8")
    else:
        raise AssertionError("broker sent an envelope of unknown kind %#x: %r" % (kind, body))
    return Envelope(kind, f, body)


def frame_header(length):
    """The 4-byte header, or the -1 + 8-byte form for lengths above 0x7fffffff."""
    if length <= 0x7FFFFFFF:
        return struct.pack(">i", length)
    return struct.pack(">iQ", -1, length)


class Peer:
    """A stock multiprocessing Client connection speaking envelopes."""

    def __init__(self, address, authkey, name=None):
        self.conn = Client(address, authkey=authkey)
        self.name = name
        self.welcome = None
        if name is not None:
            self.welcome = self.register(name)

    @classmethod
    def wrap(cls, conn):
        """A Peer around an already authenticated connection, not registered."""
        peer = cls.__new__(cls)
        peer.conn, peer.name, peer.welcome = conn, None, None
        return peer

    def register(self, name):
        self.name = name
        self.conn.send_bytes(hello(name))
        env = self.recv()
        assert env.kind == WELCOME, "HELLO %r was answered %r" % (name, env)
        return env

    def send_raw(self, body):
        self.conn.send_bytes(body)

    def send(self, dest, payload=b"", cid=0, options=0, flags=0):
        self.conn.send_bytes(send(dest, payload, cid, options, flags))

    def recv(self, timeout=5.0):
        """The next envelope; AssertionError if none arrives in time, EOFError if closed."""
        if not self.conn.poll(timeout):
            raise AssertionError("no envelope within %.1f s" % timeout)
        return decode(self.conn.recv_bytes())

    def recv_kind(self, kind, timeout=5.0):
        env = self.recv(timeout)
        assert env.kind == kind, "expected kind %#x, got %r" % (kind, env)
        return env

    def drain(self, timeout=5.0):
        """Everything until the broker closes; AssertionError if it does not close in time."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.conn.poll(left):
                raise AssertionError("connection still open after %.1f s; got %r" % (timeout, got))
            try:
                got.append(decode(self.conn.recv_bytes()))
            except (EOFError, ConnectionResetError):
                return got

    def expect_closed(self, timeout=5.0):
        return self.drain(timeout)

    def request(self, body, kind, timeout=5.0):
        self.conn.send_bytes(body)
        return self.recv_kind(kind, timeout)

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass


def raw_socket(conn):
    """A socket object on a duplicate of a connection's descriptor, to write raw bytes."""
    return socket.socket(fileno=os.dup(conn.fileno()))


def exchange_check(addr, authkey, a="bystander-a", b="bystander-b", count=20):
    """Registers a fresh pair, sends `count` messages each way, checks them, and leaves."""
    pa, pb = Peer(addr, authkey, a), Peer(addr, authkey, b)
    try:
        for i in range(count):
            pa.send(b, b"a->b %d" % i, cid=i + 1)
            pb.send(a, b"b->a %d" % i, cid=i + 1)
        for i in range(count):
            d = pb.recv_kind(DELIVER)
            assert (d.fields["sender"], d.fields["cid"], d.fields["payload"]) == (a, i + 1, b"a->b %d" % i)
            d = pa.recv_kind(DELIVER)
            assert (d.fields["sender"], d.fields["cid"], d.fields["payload"]) == (b, i + 1, b"b->a %d" % i)
    finally:
        pa.close()
        pb.close()


class Bystander:
    """A registered pair that keeps exchanging messages in a thread, to show others are served."""

    def __init__(self, addr, authkey, prefix="steady"):
        self.a = Peer(addr, authkey, prefix + "-a")
        self.b = Peer(addr, authkey, prefix + "-b")
        self.rounds = 0
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            i = 0
            while not self._stop.is_set():
                i += 1
                self.a.send(self.b.name, b"tick %d" % i, cid=i)
                d = self.b.recv_kind(DELIVER, timeout=3.0)
                assert d.fields["payload"] == b"tick %d" % i, d
                self.b.send(self.a.name, b"tock %d" % i, cid=i)
                d = self.a.recv_kind(DELIVER, timeout=3.0)
                assert d.fields["payload"] == b"tock %d" % i, d
                self.rounds = i
                time.sleep(0.01)
        except BaseException as exc:  # reported by stop()
            self.error = exc

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        self.a.close()
        self.b.close()
        assert self.error is None, "bystander pair failed after %d rounds: %r" % (self.rounds, self.error)
        return self.rounds


def send_frame(sock, body):
    """One frame with the 4-byte length header, on a plain socket."""
    sock.sendall(struct.pack(">i", len(body)) + body)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def recv_frame(sock):
    (n,) = struct.unpack(">i", recv_exact(sock, 4))
    return recv_exact(sock, n)


def hand_handshake(sock, key, reply_form, our_challenge):
    """Messages 1-5 of the handshake written out with hmac, on a connected socket: answers the
    broker's challenge in `reply_form` ("legacy" for a raw HMAC-MD5, else a digest name for the
    "{digest}" form), then sends `our_challenge`. Returns (first, verdict, answer): the broker's
    challenge frame, its verdict on our answer, and its answer to our challenge, or None (and the
    socket closed) when it refused us or closed instead of answering."""
    first = recv_frame(sock)
    assert first.startswith(b"#CHALLENGE#{sha256}"), first
    m = first[11:]
    if reply_form == "legacy":
        send_frame(sock, hmac.new(key, m, "md5").digest())
    else:
        send_frame(sock, b"{%s}" % reply_form.encode() + hmac.new(key, m, reply_form).digest())
    verdict = recv_frame(sock)
    if verdict != b"#WELCOME#":
        sock.close()
        return first, verdict, None
    send_frame(sock, b"#CHALLENGE#" + our_challenge)
    try:
        answer = recv_frame(sock)
    except (EOFError, ConnectionResetError):
        sock.close()
        return first, verdict, None
    return first, verdict, answer


def refused_at_accept(address, timeout=3.0):
    """True if the broker closes a new connection (TCP or Unix) without sending the challenge."""
    family = socket.AF_INET if isinstance(address, tuple) else socket.AF_UNIX
    s = socket.socket(family)
    s.settimeout(timeout)
    s.connect(address)
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    finally:
        s.close()
    return data == b""


def read_until_closed(sock, timeout=5.0):
    """All bytes the broker sends until it closes; fails if it does not close in time."""
    sock.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError("the broker did not close the connection within %.1f s (got %r)" % (timeout, data[:200]))
