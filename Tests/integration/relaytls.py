"""TLS for the integration tests: the test certificates, a client SSLContext, and a peer that
speaks the multiprocessing handshake and envelopes inside TLS with the standard library alone
(a stock multiprocessing Client cannot speak TLS)."""

import os
import select
import socket
import ssl
import subprocess

import relaywire as rw

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_CERTIFICATES = os.path.join(HERE, "..", "fixtures", "make-test-certificates.sh")


def make_certificates(directory):
    """Runs Tests/fixtures/make-test-certificates.sh into `directory`; fails loudly without the
    openssl command."""
    result = subprocess.run(["bash", MAKE_CERTIFICATES, str(directory)], capture_output=True, text=True)
    assert result.returncode == 0, "cannot make the test certificates:\n%s" % result.stderr
    return str(directory)


def client_context(certs, certificate=None, key=None, minimum=None, maximum=None):
    """A client SSLContext trusting the test CA, optionally with a client certificate."""
    context = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    if certificate:
        context.load_cert_chain(os.path.join(certs, certificate), os.path.join(certs, key))
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    return context


class TLSPeer(rw.Peer):
    """rw.Peer's envelope methods over a TLS socket, after the multiprocessing handshake by hand."""

    def __init__(self, address, authkey, name=None, context=None, server_hostname="localhost", timeout=5.0):
        raw = socket.create_connection(address, timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname=server_hostname)
        self.sock.settimeout(None)
        _, verdict, answer = rw.hand_handshake(self.sock, authkey, "sha256", b"{sha256}" + os.urandom(40))
        assert verdict == b"#WELCOME#" and answer is not None, verdict
        rw.send_frame(self.sock, b"#WELCOME#")
        self.conn = _FrameConnection(self.sock)
        self.name = name
        self.welcome = self.register(name) if name is not None else None


class _FrameConnection:
    """The few multiprocessing Connection methods rw.Peer uses, on a (TLS) socket."""

    def __init__(self, sock):
        self.sock = sock

    def send_bytes(self, body):
        rw.send_frame(self.sock, body)

    def recv_bytes(self):
        try:
            return rw.recv_frame(self.sock)
        except (ssl.SSLZeroReturnError, ConnectionResetError) as exc:
            raise EOFError(str(exc)) from exc

    def poll(self, timeout):
        if self.sock.pending():
            return True
        readable, _, _ = select.select([self.sock], [], [], timeout)
        return bool(readable)

    def fileno(self):
        return self.sock.fileno()

    def close(self):
        self.sock.close()
