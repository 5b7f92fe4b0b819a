"""A minimal blocking mprelay client on a plain socket, built only from docs/PROTOCOL.md.

It speaks frames (docwire), the handshake in any form (dochandshake) and envelopes, and reports
what the broker sends exactly as it arrives, so a test can assert on every byte. It does not use
`multiprocessing.connection`, the `mprelay` package or the integration suite's helpers.
"""

import socket
import struct
import time

import docwire as w
import dochandshake as hs


class BrokerClosed(ConnectionError):
    """The broker ended the stream (EOF or reset) where a frame was expected."""


class HandshakeRefused(ConnectionError):
    """The broker answered #FAILURE#, or closed during the handshake at the named message."""


def open_socket(address, timeout):
    """A connected socket for a multiprocessing-style address: (host, port), a path, or "\\0name"."""
    if isinstance(address, tuple):
        return socket.create_connection(address, timeout=timeout)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(address)
    return sock


class DocClient:
    """One connection to the broker. `timeout` bounds every blocking read."""

    def __init__(self, address, timeout=5.0, tls=None):
        self.sock = open_socket(address, timeout)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=address[0])
        self.timeout = timeout
        self.broker_challenge = None  # message 1, as received
        self.challenge_sent = None  # message 4, as sent
        self.broker_reply = None  # message 5, as received

    # Frames (§1).

    def send_frame(self, body, long_form=False):
        """One frame, in the 4-byte form or (`long_form`) the -1 + 8-byte form."""
        self.sock.sendall(w.frame(body, long_form))

    def send_raw(self, data):
        """Bytes as they are, for headers without bodies and bursts of frames."""
        self.sock.sendall(data)

    def recv_exact(self, n):
        """Exactly `n` raw bytes of the stream, headers and all."""
        data = bytearray()
        while len(data) < n:
            try:
                chunk = self.sock.recv(n - len(data))
            except ConnectionResetError as exc:
                raise BrokerClosed("reset after %d of %d bytes" % (len(data), n)) from exc
            if not chunk:
                raise BrokerClosed("end of stream after %d of %d bytes" % (len(data), n))
            data += chunk
        return bytes(data)

    def recv_frame(self):
        """One frame body, in either header form."""
        (n,) = struct.unpack(">i", self.recv_exact(4))
        if n == -1:
            (n,) = struct.unpack(">Q", self.recv_exact(8))
        elif n < 0:
            raise w.WireError("the broker sent a negative frame length %d" % n)
        return self.recv_exact(n)

    # The handshake (§2).

    def authenticate(self, key, reply_form=None, challenge_form="sha256"):
        """Messages 1-6. `reply_form` None answers in the form the challenge prescribes. Checks
        the broker's reply (message 5) and keeps it in `broker_reply`; raises HandshakeRefused."""
        self.broker_challenge = self.recv_frame()
        m = hs.strip_challenge(self.broker_challenge)
        self.send_frame(hs.reply(key, m, reply_form or hs.natural_form(m)))
        verdict = self.recv_frame()
        if verdict == hs.FAILURE:
            raise HandshakeRefused("message 3 was #FAILURE#")
        assert verdict == hs.WELCOME, "message 3 must be #WELCOME# or #FAILURE#, got %r" % verdict
        ours = self.challenge_sent = hs.challenge_body(challenge_form)
        self.send_frame(ours)
        try:
            answer = self.recv_frame()
        except BrokerClosed as exc:
            raise HandshakeRefused("closed at message 4 (%s)" % exc) from exc
        assert hs.is_valid_reply(key, hs.strip_challenge(ours), answer), "bad message 5: %r" % answer
        self.broker_reply = answer
        self.send_frame(hs.WELCOME)

    # Envelopes (§3).

    def send(self, body):
        """One envelope in one frame."""
        self.send_frame(body)

    def recv(self):
        """The next envelope, decoded strictly by its layout."""
        return w.decode(self.recv_frame())

    def expect(self, kind, **fields):
        """The next envelope, asserting its kind and the given fields."""
        env = self.recv()
        assert env.kind == kind, "expected %s, got %r" % (w.KIND_NAMES[kind], env)
        for key, value in fields.items():
            assert env.fields[key] == value, "%r: %s should be %r" % (env, key, value)
        return env

    def hello(self, name, version=1):
        """HELLO and the WELCOME it must get (§3.2)."""
        self.send(w.hello(name, version))
        return self.expect(w.WELCOME, version=1)

    def list_names(self, cid=1):
        """LIST and the names of its PEERS answer (§3.5, §3.6)."""
        self.send(w.with_id(w.LIST, cid))
        return self.expect(w.PEERS, cid=cid).fields["names"]

    def watch(self, start=1, cid=1):
        """WATCH start (1) or stop (0), and the ACK with its id (§3.7)."""
        self.send(w.watch(cid, start))
        return self.expect(w.ACK, cid=cid)

    def expect_error_and_close(self, code, cid=0, name=b""):
        """ERROR `code` with this id and name, then end of stream: the closing ERROR is the last
        envelope (§3.4). Returns the ERROR."""
        env = self.expect(w.ERROR, code=code, cid=cid, name=name)
        self.expect_closed()
        return env

    def expect_closed(self, timeout=None):
        """End of stream with no byte before it."""
        self.sock.settimeout(timeout or self.timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        assert data == b"", "expected end of stream, got %r" % data[:64]

    def expect_silence(self, seconds=0.3):
        """Nothing arrives for `seconds`, and the connection is still open."""
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        finally:
            self.sock.settimeout(self.timeout)
        raise AssertionError("expected nothing, got %r" % data[:64] if data else "expected nothing, got end of stream")

    def read_until_closed(self, timeout):
        """Every envelope until the broker closes (reading in large chunks)."""
        self.sock.settimeout(timeout)
        data = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        else:
            raise AssertionError("the broker did not close within %.1f s" % timeout)
        return [w.decode(body) for body in w.split_frames(data)]

    def close(self):
        """Closes the socket (no GOODBYE)."""
        self.sock.close()
