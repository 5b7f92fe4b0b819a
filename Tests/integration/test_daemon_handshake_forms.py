"""Every handshake form of docs/PROTOCOL.md section 2, on every interpreter.

The stock Client of one interpreter speaks only one form (legacy md5 up to 3.11, sha256 from
3.12), so here the client side is written out with `hmac` and `struct` to cover the others.
"""

import hmac
import os
import socket

import pytest

import relaywire as rw
from relaywire import send_frame, recv_frame

DIGESTS = ["md5", "sha256", "sha384", "sha3_256", "sha3_384"]



def connect(relay):
    s = socket.create_connection(relay.by_kind("inet"))
    s.settimeout(5.0)
    return s


def client_handshake(relay, key, reply_digest, our_challenge):
    """Runs messages 1-5; returns the broker's verdict and (socket, its answer to our challenge),
    or None for the second when it refused."""
    s = connect(relay)
    first, verdict, answer = rw.hand_handshake(s, key, reply_digest, our_challenge)
    assert len(first) == 11 + 8 + 40, first
    return verdict, None if answer is None else (s, answer)


@pytest.mark.parametrize("reply_digest", ["legacy"] + DIGESTS)
@pytest.mark.parametrize("challenge_digest", ["legacy"] + DIGESTS)
def test_every_reply_and_challenge_form(start_relay, reply_digest, challenge_digest):
    relay = start_relay()
    key = relay.authkey
    if challenge_digest == "legacy":
        ours = os.urandom(20)
    else:
        ours = b"{%s}" % challenge_digest.encode() + os.urandom(40)
    verdict, rest = client_handshake(relay, key, reply_digest, ours)
    assert verdict == b"#WELCOME#"
    s, answer = rest
    if challenge_digest == "legacy":
        assert answer == hmac.new(key, ours, "md5").digest()
    else:
        assert answer == b"{%s}" % challenge_digest.encode() + hmac.new(key, ours, challenge_digest).digest()
    send_frame(s, b"#WELCOME#")
    send_frame(s, rw.hello("forms"))
    env = rw.decode(recv_frame(s))
    assert env.kind == rw.WELCOME, env
    s.close()


def test_without_legacy_md5_both_legacy_forms_are_refused(start_relay):
    relay = start_relay(allow_legacy_md5=False)
    key = relay.authkey
    # Legacy reply (raw 16-byte HMAC-MD5): #FAILURE#.
    verdict, _ = client_handshake(relay, key, "legacy", b"{sha256}" + os.urandom(40))
    assert verdict == b"#FAILURE#"
    # Modern reply, then a legacy 20-byte challenge: closed at message 4.
    verdict, rest = client_handshake(relay, key, "sha256", os.urandom(20))
    assert verdict == b"#WELCOME#"
    assert rest is None, "the broker answered a legacy challenge: %r" % (rest[1],)
    # {md5} is not legacy (it is a named digest): still accepted.
    verdict, rest = client_handshake(relay, key, "md5", b"{md5}" + os.urandom(40))
    assert verdict == b"#WELCOME#" and rest is not None
    rest[0].close()
    log = relay.log()
    reasons = [l for l in log.splitlines() if "] authentication failed from " in l]
    assert len(reasons) == 2, reasons
    for line in reasons:
        assert "md5" in line.lower() or "legacy" in line.lower(), "the log does not say why: %s" % line


def test_wrong_mac_in_each_form_is_refused(start_relay):
    relay = start_relay()
    for digest in ["legacy"] + DIGESTS:
        verdict, rest = client_handshake(relay, b"wrong key", digest, os.urandom(20))
        assert verdict == b"#FAILURE#" and rest is None, digest
    # A truncated MAC and an unknown digest name are refused too.
    for reply in [b"{sha256}" + b"\x00" * 16, b"{sha512}" + b"\x00" * 64, b"{sha256}", b"\x00" * 15]:
        s = connect(relay)
        recv_frame(s)
        send_frame(s, reply)
        try:
            verdict = recv_frame(s)
        except (EOFError, ConnectionResetError):
            verdict = b""
        assert verdict in (b"#FAILURE#", b""), (reply, verdict)
        s.close()
    assert len(relay.wait_for_lines(r"\] authentication failed from ", 10)) == 10
    assert "authenticated from" not in relay.log()


@pytest.mark.parametrize("challenge", [b"", b"short", b"\x00" * 19, b"{nope}" + b"\x00" * 40])
def test_bad_client_challenge_closes(start_relay, challenge):
    relay = start_relay()
    verdict, rest = client_handshake(relay, relay.authkey, "sha256", challenge)
    assert verdict == b"#WELCOME#"
    assert rest is None, "the broker answered the challenge %r with %r" % (challenge, rest[1])
