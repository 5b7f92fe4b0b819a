"""docs/PROTOCOL.md, the transport paragraph before §1: TLS endpoints."""

import os
import ssl
import subprocess

import pytest

import docwire as w
from docclient import DocClient

CERTIFICATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "make-test-certificates.sh")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("certs"))
    done = subprocess.run(["bash", CERTIFICATES, directory], capture_output=True, text=True)
    assert done.returncode == 0, "cannot make the test certificates:\n" + done.stderr
    return directory


@pytest.fixture
def tls_relay(daemon, certs):
    return daemon(tls={"tls_cert_file": os.path.join(certs, "server.pem"),
                       "tls_key_file": os.path.join(certs, "server.key")}, handshake_timeout=1.0)


def test_everything_runs_inside_tls(tls_relay, certs):
    """Transport: "the client starts with a TLS handshake ...; everything in this document, the
    multiprocessing handshake included, then runs inside TLS, unchanged": the handshake, HELLO and
    a SEND to oneself, over TLS with the certificate checked."""
    context = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    client = DocClient(tls_relay.by_kind("inet"), tls=context)
    client.authenticate(tls_relay.authkey)
    client.hello(b"inside")
    client.send(w.send(b"inside", b"hi", cid=7, options=w.CONFIRM))
    client.expect(w.DELIVER, cid=7, name=b"inside", payload=b"hi")
    client.expect(w.ACK, cid=7)
    client.close()


def test_a_clear_text_client_gets_nothing_and_is_closed(tls_relay):
    """Transport: "The broker sends nothing before the client's TLS handshake, so a client that
    waits for the challenge in clear text on a TLS endpoint gets nothing and is closed at
    `handshake_timeout`"."""
    client = DocClient(tls_relay.by_kind("inet"))
    client.expect_closed(timeout=5.0)
    client.close()
