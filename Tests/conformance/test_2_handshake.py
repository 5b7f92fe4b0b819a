"""docs/PROTOCOL.md §2, Handshake: the six messages, every reply and challenge form both ways,
refusals, allow_legacy_md5 = false, and handshake_timeout up to the HELLO."""

import hmac
import multiprocessing.connection
import os
import re
import subprocess
import time

import pytest

import docwire as w
import dochandshake as hs
from docclient import DocClient, HandshakeRefused
from labels import case


def test_a_stock_multiprocessing_client_gets_in(relay):
    """Opening: "`multiprocessing.connection.Client(address, authkey=...)` from CPython 3.8 to
    3.13 gets in", and "every frame after the handshake carries one envelope of protocol v1".
    (The stock Client of the interpreter running this suite; the other interpreters' forms are
    the legacy and `{sha256}` forms tested below.)"""
    conn = multiprocessing.connection.Client(relay.addr, authkey=relay.authkey)
    conn.send_bytes(w.hello(b"stock"))
    assert w.decode(conn.recv_bytes()).fields == {"version": 1, "max_message_bytes": 16 * 1024 * 1024}
    conn.close()


def pyenv_interpreters():
    """{"3.N": path} of the CPython 3.8-3.13 interpreters that pyenv lists (empty without pyenv)."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return {}
    found = {}
    for version in versions:
        m = re.match(r"^(3\.(?:8|9|10|11|12|13))\.\d+$", version)
        path = m and os.path.join(root, "versions", version, "bin", "python" + m.group(1))
        if path and os.access(path, os.X_OK):
            found[m.group(1)] = path
    return found


INTERPRETERS = pyenv_interpreters()
STOCK_CLIENT = """
import sys
from multiprocessing.connection import Client
conn = Client((sys.argv[1], int(sys.argv[2])), authkey=sys.argv[3].encode())
conn.send_bytes(bytes.fromhex(sys.argv[4]))
sys.stdout.write(conn.recv_bytes().hex())
"""


def test_pyenv_offers_a_legacy_and_a_modern_cpython():
    """Opening: "from CPython 3.8 to 3.13": the test below needs at least one interpreter that
    speaks the legacy handshake (3.8-3.11) and one that speaks `{sha256}` (3.12+)."""
    minors = {int(v.split(".")[1]) for v in INTERPRETERS}
    assert any(m <= 11 for m in minors) and any(m >= 12 for m in minors), (
        "pyenv lists CPython %s; install a 3.8-3.11 and a 3.12+" % sorted(INTERPRETERS))


@pytest.mark.parametrize("minor", sorted(INTERPRETERS), ids=lambda v: "CPython-" + v)
def test_the_stock_client_of_each_cpython_gets_in(relay, minor):
    """Opening: "`multiprocessing.connection.Client(address, authkey=...)` from CPython 3.8 to
    3.13 gets in", and §2: "CPython 3.12 and later reply `{sha256}` + 32-byte MAC and challenge
    with `{sha256}` + 40 bytes. CPython 3.8 to 3.11 reply with a raw 16-byte HMAC-MD5 and
    challenge with 20 raw bytes." Each interpreter's own Client, in a subprocess."""
    host, port = relay.by_kind("inet")
    out = subprocess.run([INTERPRETERS[minor], "-c", STOCK_CLIENT, host, str(port), relay.authkey.decode(),
                          w.hello(b"cpython-" + minor.encode()).hex()],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert w.decode(bytes.fromhex(out.stdout)).kind == w.WELCOME


def test_the_broker_speaks_first_with_a_fresh_sha256_challenge(relay):
    """§2: "The broker speaks first" and message 1 is "`#CHALLENGE#` + `{sha256}` + 40 random
    bytes (a CSPRNG)": two connections get different 40-byte tails without sending anything."""
    tails = []
    for _ in range(2):
        client = DocClient(relay.addr)
        body = client.recv_frame()
        assert body.startswith(hs.CHALLENGE + b"{sha256}") and len(body) == 11 + 8 + 40, body
        tails.append(body[19:])
        client.close()
    assert tails[0] != tails[1]


def test_every_reply_form_is_accepted(relay, connect):
    """§2, checking a reply: "a 16-byte `R` is a legacy reply: `R` must equal
    `HMAC-MD5(authkey, M)`; else `R` must be `{D}` + MAC with `D` as above and MAC the
    full-length `HMAC-D(authkey, M)`", where `M` includes the `{sha256}` prefix ("the `{...}`
    prefix is part of `M` and is covered by the MAC")."""
    for form in hs.FORMS:
        with case(form):
            connect(relay, reply_form=form).hello(b"reply-" + form.encode())


def test_the_broker_replies_to_every_challenge_form(relay, connect):
    """§2, replying to a challenge `M` (the broker in message 5): "if `len(M) == 20` ... the reply
    is the raw 16-byte `HMAC-MD5(authkey, M)`; else `M` must start with `{D}` ...: the reply is
    `{D}` followed by `HMAC-D(authkey, M)`"."""
    for form in hs.FORMS:
        with case(form):
            client = connect(relay, challenge_form=form)
            m = hs.strip_challenge(client.challenge_sent)
            assert client.broker_reply == hs.reply(relay.authkey, m, hs.natural_form(m))
            client.hello(b"challenge-" + form.encode())


@pytest.mark.parametrize("bad", ["wrong-key-legacy", "wrong-key-sha256", "truncated-mac", "unknown-digest",
                                 "mac-without-prefix"])
def test_a_wrong_reply_gets_failure_and_a_close(relay, bad):
    """§2, message 3: "`#WELCOME#` if the reply is right, else `#FAILURE#` and the broker closes";
    a MAC over the 40 random bytes alone is wrong, since "the `{...}` prefix is part of `M` and
    is covered by the MAC"."""
    client = DocClient(relay.addr)
    m = hs.strip_challenge(client.recv_frame())
    replies = {
        "wrong-key-legacy": hs.reply(b"not the key", m, "legacy"),
        "wrong-key-sha256": hs.reply(b"not the key", m, "sha256"),
        "truncated-mac": hs.reply(relay.authkey, m, "sha256")[:-1],
        "unknown-digest": b"{sha1}" + hmac.new(relay.authkey, m, "sha1").digest(),
        "mac-without-prefix": hs.reply(relay.authkey, m[len(b"{sha256}"):], "sha256"),
    }
    client.send_frame(replies[bad])
    assert client.recv_frame() == hs.FAILURE
    client.expect_closed()


@pytest.mark.parametrize("challenge", [b"x" * 19, b"{sha1}" + b"x" * 40, b"{sha256" + b"x" * 40],
                         ids=["19-bytes", "sha1", "unterminated"])
def test_a_bad_client_challenge_is_a_protocol_error(relay, challenge):
    """§2: "a challenge shorter than 20 bytes, or with no known `{D}`, is a protocol error": the
    broker does not answer message 4, it closes."""
    client = DocClient(relay.addr)
    m = hs.strip_challenge(client.recv_frame())
    client.send_frame(hs.reply(relay.authkey, m, "sha256"))
    assert client.recv_frame() == hs.WELCOME
    client.send_frame(hs.CHALLENGE + challenge)
    client.expect_closed()


def test_message_6_must_be_welcome(relay):
    """§2, message 6: "`#WELCOME#` (anything else: the broker closes)"."""
    client = DocClient(relay.addr)
    m = hs.strip_challenge(client.recv_frame())
    client.send_frame(hs.reply(relay.authkey, m, "sha256"))
    assert client.recv_frame() == hs.WELCOME
    client.send_frame(hs.challenge_body("sha256"))
    client.recv_frame()
    client.send_frame(hs.FAILURE)
    client.expect_closed()


def test_without_legacy_md5_a_legacy_reply_gets_failure(daemon):
    """§2: "A broker with `allow_legacy_md5 = false` refuses both legacy forms (message 3 is
    `#FAILURE#`, ...), and logs why." A raw 16-byte reply; `{md5}` is a named digest, not legacy,
    and is still accepted."""
    relay = daemon(allow_legacy_md5=False)
    legacy = DocClient(relay.addr)
    with pytest.raises(HandshakeRefused, match="#FAILURE#"):
        legacy.authenticate(relay.authkey, reply_form="legacy")
    legacy.expect_closed()
    named = DocClient(relay.addr)
    named.authenticate(relay.authkey, reply_form="md5", challenge_form="md5")
    named.hello(b"named-md5")
    assert "legacy" in relay.wait_for_log(r"^.*authentication failed.*$").group(0).lower()


def test_without_legacy_md5_a_legacy_challenge_is_closed_at_message_4(daemon):
    """§2: "A broker with `allow_legacy_md5 = false` refuses both legacy forms (... or the
    connection is closed at message 4), and logs why." A 20-byte client challenge."""
    relay = daemon(allow_legacy_md5=False)
    client = DocClient(relay.addr)
    with pytest.raises(HandshakeRefused, match="message 4"):
        client.authenticate(relay.authkey, challenge_form="legacy")
    assert "legacy" in relay.wait_for_log(r"^.*authentication failed.*$").group(0).lower()


def test_a_stalled_handshake_is_closed_without_a_byte(daemon):
    """§2, time limit: "a client that has not finished the handshake by then is closed without
    another byte (it has proved no key, so it gets no envelope), and the failure is counted as a
    failed handshake". Counted: with `auth_failure_limit = 1` (docs/CONFIG.md) the address is
    refused at accept afterwards, without even a challenge."""
    relay = daemon(handshake_timeout=0.5, auth_failure_limit=1, auth_failure_penalty=60.0)
    client = DocClient(relay.addr)
    client.recv_frame()
    started = time.monotonic()
    client.expect_closed(timeout=5.0)
    assert 0.3 < time.monotonic() - started < 3.0
    refused = DocClient(relay.addr)
    refused.expect_closed()


def test_an_authenticated_client_without_hello_gets_error_9(daemon, connect):
    """§2, time limit: "a client that authenticated but sent no HELLO by then gets ERROR
    `unexpected envelope` (9) with the text `no HELLO within handshake_timeout (N s)`, then the
    close"."""
    relay = daemon(handshake_timeout=0.5)
    client = connect(relay)
    env = client.expect_error_and_close(w.UNEXPECTED_ENVELOPE)
    assert env.fields["text"] == "no HELLO within handshake_timeout (0.5 s)"


def test_the_time_limit_runs_from_accept_to_the_hello(daemon):
    """§2: "`handshake_timeout` ... runs from the moment the broker accepts the connection until
    the client's HELLO (§3.2), not just to the end of this handshake": a handshake that takes
    most of the time leaves only the rest of it for the HELLO."""
    relay = daemon(handshake_timeout=1.0)
    client = DocClient(relay.addr)
    body = client.recv_frame()
    time.sleep(0.7)
    client.send_frame(hs.reply(relay.authkey, hs.strip_challenge(body), "sha256"))
    assert client.recv_frame() == hs.WELCOME
    ours = hs.challenge_body("sha256")
    client.send_frame(ours)
    client.recv_frame()
    client.send_frame(hs.WELCOME)
    started = time.monotonic()
    env = client.expect(w.ERROR, code=w.UNEXPECTED_ENVELOPE, cid=0, name=b"")
    assert time.monotonic() - started < 0.6, "the HELLO deadline restarted after the handshake"
    assert "no HELLO within handshake_timeout" in env.fields["text"]
