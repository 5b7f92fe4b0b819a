"""Principals across a reload: key rotation (connections on the old key are kicked, handshakes in
progress with it are refused), access rules changed for connected peers, and an endpoint's
min_digest.
"""

import hmac
import os
import re
import socket
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest

import relaywire as rw
from relaywire import send_frame, recv_frame
from relayprincipals import PRINCIPALS, WORKERS_KEY, assert_nothing_for, assert_open, one_error_then_closed, wait_count


ROTATION = [
    {"name": "rotating", "authkey": ["rot-old-key", "rot-new-key"], "may_register": ["rot-*"], "may_send_to": ["rot-*"]},
    {"name": "bystanders", "authkey": "bystander-key", "may_register": ["by-*"], "may_send_to": ["by-*"]},
]


def test_key_rotation_with_reload(start_relay, short_dir):
    unix_path = os.path.join(short_dir, "rot.sock")
    endpoints = [
        {"address": "127.0.0.1:0", "principals": ["rotating", "bystanders"]},
        {"address": unix_path, "principals": ["rotating", "bystanders"]},
    ]
    relay = start_relay(principals=ROTATION, endpoints=endpoints, auth_failure_penalty=0.0)
    inet, unix = relay.addresses
    old_a = rw.Peer(inet, b"rot-old-key", "rot-old-a")
    old_b = rw.Peer(unix, b"rot-old-key", "rot-old-b")
    old_unregistered = rw.Peer(inet, b"rot-old-key")
    new_a = rw.Peer(inet, b"rot-new-key", "rot-new-a")
    new_b = rw.Peer(unix, b"rot-new-key", "rot-new-b")
    by_a = rw.Peer(inet, b"bystander-key", "by-a")
    by_b = rw.Peer(unix, b"bystander-key", "by-b")
    # Both keys are accepted and bind the same principal.
    peers = [old_a, old_b, new_a, new_b]
    for i, src in enumerate(peers):
        dst = peers[(i + 1) % len(peers)]
        src.send(dst.name, b"before %d" % i, cid=i + 1)
        d = dst.recv_kind(rw.DELIVER)
        assert (d.fields["sender"], d.fields["payload"]) == (src.name, b"before %d" % i)
    wait_count(relay, r"as principal rotating ", 5)

    rotated = [dict(ROTATION[0], authkey="rot-new-key"), ROTATION[1]]
    relay.reload(principals=rotated)

    for peer in (old_a, old_b, old_unregistered):
        f = one_error_then_closed(peer, rw.E_KICKED)
        assert re.search(r"reload|key", f["text"]), "ERROR kicked carries no reason: %r" % f
    relay.wait_for_log(r"^\[WARNING/Connection-\d+\] closing connection from \S+ \(peer rot-old-a\): kicked: .*reload")
    # Peers that proved the new key stay and keep exchanging, in both directions, on both endpoints.
    for i in range(20):
        new_a.send("rot-new-b", b"after %d" % i, cid=100 + i)
        new_b.send("rot-new-a", b"back %d" % i, cid=200 + i)
    for i in range(20):
        d = new_b.recv_kind(rw.DELIVER)
        assert (d.fields["sender"], d.fields["cid"], d.fields["payload"]) == ("rot-new-a", 100 + i, b"after %d" % i)
        d = new_a.recv_kind(rw.DELIVER)
        assert (d.fields["sender"], d.fields["cid"], d.fields["payload"]) == ("rot-new-b", 200 + i, b"back %d" % i)
    new_a.send("rot-old-a", b"gone?", cid=300)
    env = new_a.recv_kind(rw.ERROR)
    assert (env.fields["code"], env.fields["cid"]) == (rw.E_UNKNOWN_PEER, 300), env.fields
    # The other principal was not touched.
    by_a.send("by-b", b"untouched", cid=5)
    assert by_b.recv_kind(rw.DELIVER).fields["payload"] == b"untouched"
    # New connections: the old key is refused, the new one gets in.
    for addr in (inet, unix):
        with pytest.raises(AuthenticationError):
            Client(addr, authkey=b"rot-old-key")
    late = rw.Peer(unix, b"rot-new-key", "rot-late")
    new_a.send("rot-late", b"hi late", cid=6)
    assert late.recv_kind(rw.DELIVER).fields["payload"] == b"hi late"
    for p in (new_a, new_b, by_a, by_b, late):
        assert_open(p)
        p.close()


def test_key_rotation_revokes_handshakes_in_progress(start_relay):
    """A connection accepted before the reload that proves the old key after it must not get in:
    otherwise a revoked key keeps working for handshake_timeout after every rotation."""
    relay = start_relay(principals=ROTATION, endpoints=[{"address": "127.0.0.1:0", "principals": ["rotating"]}],
                        auth_failure_penalty=0.0, handshake_timeout=10.0)
    s = socket.create_connection(relay.addr)
    s.settimeout(5.0)
    challenge = recv_frame(s)  # the handshake has begun
    assert challenge.startswith(b"#CHALLENGE#{sha256}")
    relay.reload(principals=[dict(ROTATION[0], authkey="rot-new-key"), ROTATION[1]])
    send_frame(s, b"{sha256}" + hmac.new(b"rot-old-key", challenge[11:], "sha256").digest())
    got_in = False
    try:
        verdict = recv_frame(s)
        if verdict == b"#WELCOME#":
            ours = b"{sha256}" + os.urandom(40)
            send_frame(s, b"#CHALLENGE#" + ours)
            recv_frame(s)
            send_frame(s, b"#WELCOME#")
            send_frame(s, rw.hello("rot-revoked"))
            env = rw.decode(recv_frame(s))
            got_in = env.kind == rw.WELCOME
    except (EOFError, ConnectionResetError, socket.timeout):
        pass
    s.close()
    assert not got_in, "the revoked key registered rot-revoked after the reload:\n" + "\n".join(
        l for l in relay.log().splitlines() if "Connection-1]" in l or "reload" in l)
    assert "registered as rot-revoked" not in relay.log()


def test_reload_changes_rules_of_connected_peers(start_relay):
    principals = [
        {"name": "team", "authkey": "team-key", "may_register": ["t-*"], "may_send_to": ["t-*"]},
    ]
    relay = start_relay(principals=principals, endpoints=[{"address": "127.0.0.1:0", "principals": ["team"]}])
    a = rw.Peer(relay.addr, b"team-key", "t-a")
    b = rw.Peer(relay.addr, b"team-key", "t-b")
    a.send("t-b", b"allowed", cid=1)
    assert b.recv_kind(rw.DELIVER).fields["payload"] == b"allowed"
    relay.reload(principals=[dict(principals[0], may_send_to=["t-a"], may_list=True)])
    a.send("t-b", b"now forbidden", cid=2)  # the route cache must not keep the old verdict
    env = a.recv_kind(rw.ERROR)
    assert (env.fields["code"], env.fields["cid"], env.fields["peer"]) == (rw.E_NOT_PERMITTED, 2, "t-b"), env.fields
    assert_nothing_for(b, 0.2)
    b.send("t-a", b"still allowed", cid=3)
    assert a.recv_kind(rw.DELIVER).fields["payload"] == b"still allowed"
    assert a.request(rw.list_peers(4), rw.PEERS).fields["names"] == [b"t-a", b"t-b"]
    a.close()
    b.close()


# min_digest: the client side written out with hmac, as in test_daemon_handshake_forms.py.


def hand_handshake(address, key, reply_form, our_challenge):
    """Messages 1-6 by hand. Returns (verdict, socket or None): the socket when the broker answered
    our challenge correctly and we sent #WELCOME#."""
    if isinstance(address, tuple):
        s = socket.create_connection(address)
    else:
        s = socket.socket(socket.AF_UNIX)
        s.connect(address)
    s.settimeout(5.0)
    _, verdict, answer = rw.hand_handshake(s, key, reply_form, our_challenge)
    if answer is None:
        return verdict, None
    if len(our_challenge) == 20:
        assert answer == hmac.new(key, our_challenge, "md5").digest()
    else:
        digest = our_challenge[1:our_challenge.index(b"}")].decode()
        assert answer == b"{%s}" % digest.encode() + hmac.new(key, our_challenge, digest).digest()
    send_frame(s, b"#WELCOME#")
    return verdict, s


def test_min_digest_refuses_legacy_md5(start_relay, short_dir):
    relay = start_relay(
        principals=[PRINCIPALS[0]],
        endpoints=[
            {"address": "127.0.0.1:0", "principals": ["workers"], "min_digest": "sha256"},
            {"address": os.path.join(short_dir, "lax.sock"), "principals": ["workers"]},
        ],
        auth_failure_penalty=0.0,
    )
    strict, lax = relay.addresses
    sha = lambda d: b"{%s}" % d + os.urandom(40)
    refused_forms = [("legacy", sha(b"sha256")), ("md5", sha(b"sha256")),
                     ("sha256", os.urandom(20)), ("sha256", sha(b"md5"))]
    for reply, challenge in refused_forms:
        verdict, s = hand_handshake(strict, WORKERS_KEY, reply, challenge)
        assert s is None, "min_digest sha256 accepted reply %s with challenge %r" % (reply, challenge[:8])
        if reply in ("legacy", "md5"):
            assert verdict == b"#FAILURE#", (reply, verdict)
    failures = relay.wait_for_lines(r"\] authentication failed from ", len(refused_forms))
    assert len(failures) == len(refused_forms), failures
    for line in failures:
        assert "min_digest" in line or "legacy" in line.lower(), "the log does not say why: %s" % line
    # Strong enough forms get in and are bound to the principal.
    for reply, challenge in [("sha256", sha(b"sha256")), ("sha384", sha(b"sha3_256"))]:
        verdict, s = hand_handshake(strict, WORKERS_KEY, reply, challenge)
        assert verdict == b"#WELCOME#" and s is not None, (reply, verdict)
        send_frame(s, rw.hello("worker-%s" % reply))
        assert rw.decode(recv_frame(s)).kind == rw.WELCOME
        s.close()
    # The endpoint without min_digest still takes the legacy form with the same key.
    verdict, s = hand_handshake(lax, WORKERS_KEY, "legacy", os.urandom(20))
    assert verdict == b"#WELCOME#" and s is not None
    s.close()
    # The stock client of this interpreter: legacy up to 3.11 (refused), sha256 from 3.12 (accepted).
    if sys.version_info < (3, 12):
        with pytest.raises(AuthenticationError):
            Client(strict, authkey=WORKERS_KEY)
    else:
        rw.Peer(strict, WORKERS_KEY, "worker-stock").close()
    rw.Peer(lax, WORKERS_KEY, "worker-stock-lax").close()
