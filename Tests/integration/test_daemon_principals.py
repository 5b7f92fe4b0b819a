"""[[principal]] tables: which key binds which principal, the access rules (may_register,
may_send_to, may_list), per-principal quotas (max_connections, max_names), on_name_conflict,
key rotation with a reload, and an endpoint's min_digest.

Every refusal is checked on the wire (ERROR code, correlation id, the name it is about, whether the
connection stays open) and in the log (a WARNING naming the principal, the peer and the rule).
"""

import hmac
import os
import re
import socket
import sys
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest

import relaywire as rw
from relaywire import send_frame, recv_frame

WORKERS_KEY = b"workers-key-5b1f"
COORDINATOR_KEY = b"coordinator-key-93c2"
MUTE_KEY = b"mute-key-0d4e"

PRINCIPALS = [
    {"name": "workers", "authkey": WORKERS_KEY.decode(), "may_register": ["worker-*"],
     "may_send_to": ["coordinator", "worker-*"]},
    {"name": "coordinator", "authkey": COORDINATOR_KEY.decode(), "may_register": ["coordinator"],
     "may_send_to": ["worker-*"], "may_list": True},
    # No may_send_to and no may_list: deny by default.
    {"name": "mute", "authkey": MUTE_KEY.decode(), "may_register": ["mute-*"]},
]


def local_address(peer):
    """The client's own address as the daemon logs it: `127.0.0.1:PORT`."""
    s = rw.raw_socket(peer.conn)
    try:
        host, port = s.getsockname()[:2]
    finally:
        s.close()
    return "%s:%d" % (host, port)


def connection_of(relay, address):
    """The daemon's `Connection-N` label for the client at `address` (from its accept line)."""
    m = relay.wait_for_log(r"^\[\w+/(Connection-\d+)\] authenticated from %s " % re.escape(address))
    return m.group(1)


def lines_of(relay, connection, level=None):
    pattern = r"^\[%s/%s\] .*$" % (level or r"\w+", re.escape(connection))
    return re.findall(pattern, relay.log(), re.M)


def wait_count(relay, pattern, count, timeout=5.0):
    """Waits until the log has exactly `count` matches of `pattern` (fails on more, or on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        found = len(re.findall(pattern, relay.log(), re.M))
        assert found <= count, "%d matches of %r, expected %d" % (found, pattern, count)
        if found == count:
            return
        assert time.monotonic() < deadline, "%d matches of %r after %.1f s, expected %d" % (found, pattern, timeout, count)
        time.sleep(0.02)


def assert_open(peer, cid=0x5151):
    """The connection still answers: a PING gets its PONG."""
    peer.send_raw(rw.ping(cid))
    env = peer.recv()
    assert (env.kind, env.fields.get("cid")) == (rw.PONG, cid), "expected PONG %d, got %r" % (cid, env)


def assert_nothing_for(peer, wait=0.3):
    assert not peer.conn.poll(wait), "%s received %r" % (peer.name, peer.recv())


def one_error_then_closed(peer, code, peer_name="", cid=0):
    envs = peer.drain()
    assert [e.kind for e in envs] == [rw.ERROR], "expected one ERROR %d then close, got %r" % (code, envs)
    f = envs[0].fields
    assert (f["code"], f["peer"], f["cid"]) == (code, peer_name, cid), f
    return f


@pytest.fixture
def acl_relay(start_relay, short_dir):
    """Three principals on a TCP endpoint; a socket-file endpoint admits the coordinator only."""
    return start_relay(
        principals=PRINCIPALS,
        endpoints=[
            {"address": "127.0.0.1:0", "principals": ["workers", "coordinator", "mute"]},
            {"address": os.path.join(short_dir, "acl.sock"), "principals": ["coordinator"]},
        ],
    )


def test_key_binds_its_principal(acl_relay):
    relay = acl_relay
    inet, unix = relay.addresses
    for key, name, principal in [(WORKERS_KEY, "worker-1", "workers"),
                                 (COORDINATOR_KEY, "coordinator", "coordinator"),
                                 (MUTE_KEY, "mute-1", "mute")]:
        peer = rw.Peer(inet, key, name)
        addr = local_address(peer)
        m = relay.wait_for_log(r"^\[INFO/(Connection-\d+)\] authenticated from %s on \S+ as principal (\S+) "
                               % re.escape(addr))
        assert m.group(2) == principal, m.group(0)
        peer.close()
    # The socket-file endpoint lists only the coordinator: its key gets in there, the others do not.
    coordinator = rw.Peer(unix, COORDINATOR_KEY, "coordinator")
    relay.wait_for_log(r"^\[INFO/Connection-\d+\] authenticated from pid %d uid \d+ on \S+acl\.sock as principal coordinator "
                       % os.getpid())
    for key in (WORKERS_KEY, MUTE_KEY, b"no-such-key"):
        with pytest.raises(AuthenticationError):
            Client(unix, authkey=key)
    coordinator.close()


def test_hello_outside_may_register_is_refused_and_closed(acl_relay):
    relay = acl_relay
    inet = relay.addr
    holder = rw.Peer(inet, COORDINATOR_KEY, "coordinator")
    for name in ("coordinator", "mute-1", "workers-1", "worker"):
        intruder = rw.Peer(inet, WORKERS_KEY)
        addr = local_address(intruder)
        intruder.send_raw(rw.hello(name))
        f = one_error_then_closed(intruder, rw.E_NOT_PERMITTED, peer_name=name)
        assert "workers" in f["text"] and name in f["text"], f
        intruder.close()
        conn = connection_of(relay, addr)
        warnings = [l for l in lines_of(relay, conn, "WARNING") if "not permitted" in l]
        assert len(warnings) == 1, lines_of(relay, conn)
        line = warnings[0]
        assert "principal workers" in line and '"%s"' % name in line, line
        assert 'may_register ["worker-*"]' in line, "the WARNING does not cite the rule: %s" % line
        assert "(HELLO for %s)" % name in line, "the WARNING does not name the peer: %s" % line
        assert not [l for l in lines_of(relay, conn) if "registered as" in l], lines_of(relay, conn)
    # The holder of the name was not disturbed, and a permitted name still registers.
    worker = rw.Peer(inet, WORKERS_KEY, "worker-ok")
    worker.send("coordinator", b"report", cid=11)
    d = holder.recv_kind(rw.DELIVER)
    assert (d.fields["sender"], d.fields["payload"], d.fields["cid"]) == ("worker-ok", b"report", 11)
    worker.close()
    holder.close()


def test_send_outside_may_send_to_is_refused_and_not_delivered(acl_relay):
    relay = acl_relay
    inet = relay.addr
    worker = rw.Peer(inet, WORKERS_KEY, "worker-1")
    other = rw.Peer(inet, WORKERS_KEY, "worker-2")
    mute = rw.Peer(inet, MUTE_KEY, "mute-1")
    # A registered name outside the rule, and one nobody holds: both "not permitted", so a
    # forbidden sender learns nothing about who is registered.
    for cid, dest, options in [(42, "mute-1", 0), (43, "nobody-here", 0), (44, "mute-1", rw.OPT_CONFIRM)]:
        worker.send(dest, b"forbidden", cid=cid, options=options)
        env = worker.recv()
        assert env.kind == rw.ERROR, env
        assert (env.fields["code"], env.fields["cid"], env.fields["peer"]) == (rw.E_NOT_PERMITTED, cid, dest), env.fields
        assert not worker.conn.poll(0.1), "an ACK or more after a refused SEND: %r" % (worker.recv(),)
    assert_nothing_for(mute)
    # The connection stays open and permitted destinations still work.
    assert_open(worker)
    worker.send("worker-2", b"allowed", cid=45, options=rw.OPT_CONFIRM)
    assert worker.recv_kind(rw.ACK).fields["cid"] == 45
    d = other.recv_kind(rw.DELIVER)
    assert (d.fields["sender"], d.fields["cid"], d.fields["payload"]) == ("worker-1", 45, b"allowed")
    conn = connection_of(relay, local_address(worker))
    line = [l for l in lines_of(relay, conn, "WARNING") if "not permitted" in l][0]
    assert "principal workers" in line and "(peer worker-1)" in line and '"mute-1"' in line, line
    assert 'may_send_to ["coordinator", "worker-*"]' in line, line
    assert_nothing_for(mute, 0.1)
    for p in (worker, other, mute):
        p.close()


def test_principal_without_may_send_to_reaches_nobody(acl_relay):
    inet = acl_relay.addr
    mute = rw.Peer(inet, MUTE_KEY, "mute-1")
    mute2 = rw.Peer(inet, MUTE_KEY, "mute-2")
    worker = rw.Peer(inet, WORKERS_KEY, "worker-1")
    coordinator = rw.Peer(inet, COORDINATOR_KEY, "coordinator")
    for cid, dest in enumerate(["worker-1", "mute-2", "coordinator", "mute-1", "unregistered"], start=1):
        mute.send(dest, b"hello?", cid=cid, options=rw.OPT_CONFIRM)
        env = mute.recv()
        assert env.kind == rw.ERROR and env.fields["code"] == rw.E_NOT_PERMITTED, (dest, env)
        assert (env.fields["cid"], env.fields["peer"]) == (cid, dest), env.fields
    for p in (mute2, worker, coordinator):
        assert_nothing_for(p, 0.2)
    assert_open(mute)
    acl_relay.wait_for_log(r"not permitted: principal mute \(peer mute-1\) may not send to \"worker-1\" \(rule: may_send_to \[\]\)")
    for p in (mute, mute2, worker, coordinator):
        p.close()


def test_list_and_watch_need_may_list(acl_relay):
    inet = acl_relay.addr
    worker = rw.Peer(inet, WORKERS_KEY, "worker-1")
    mute = rw.Peer(inet, MUTE_KEY, "mute-1")
    for peer in (worker, mute):
        for cid, body in [(7, rw.list_peers(7)), (8, rw.watch(8))]:
            peer.send_raw(body)
            env = peer.recv()
            assert env.kind == rw.ERROR, env
            assert (env.fields["code"], env.fields["cid"]) == (rw.E_NOT_PERMITTED, cid), env.fields
        assert_open(peer)
    # Refused WATCH means no presence events.
    late = rw.Peer(inet, WORKERS_KEY, "worker-late")
    assert_nothing_for(worker, 0.2)
    # The coordinator may list and watch.
    coordinator = rw.Peer(inet, COORDINATOR_KEY, "coordinator")
    names = coordinator.request(rw.list_peers(9), rw.PEERS).fields["names"]
    assert names == [b"coordinator", b"mute-1", b"worker-1", b"worker-late"], names
    assert coordinator.request(rw.watch(10), rw.ACK).fields["cid"] == 10
    late.close()
    env = coordinator.recv_kind(rw.LEFT)
    assert env.fields["name"] == "worker-late"
    acl_relay.wait_for_log(r"not permitted: principal workers \(peer worker-1\) may not list peers \(rule: may_list = false\)")
    for p in (worker, mute, coordinator):
        p.close()


def test_refusal_warnings_are_throttled_while_others_work(acl_relay):
    relay = acl_relay
    inet = relay.addr
    target = rw.Peer(inet, MUTE_KEY, "mute-target")
    steady = rw.Bystander(inet, WORKERS_KEY, prefix="worker-steady")
    coordinator = rw.Peer(inet, COORDINATOR_KEY, "coordinator")
    flooder = rw.Peer(inet, WORKERS_KEY, "worker-flood")
    conn = connection_of(relay, local_address(flooder))
    bursts = [500, 499, 1]  # 1,000 refusals; the pauses make the throttle log again
    cid = 0
    for n, burst in enumerate(bursts):
        if n:
            time.sleep(1.2)
        first = cid + 1
        for _ in range(burst):
            cid += 1
            flooder.send("mute-target", b"x" * 32, cid=cid)
        for want in range(first, cid + 1):
            env = flooder.recv()
            assert env.kind == rw.ERROR and env.fields["code"] == rw.E_NOT_PERMITTED, env
            assert env.fields["cid"] == want, "refusal for cid %d came as %r" % (want, env.fields)
        # Meanwhile the coordinator still reaches a worker.
        coordinator.send("worker-flood", b"carry on %d" % n, cid=900 + n)
        d = flooder.recv_kind(rw.DELIVER)
        assert (d.fields["sender"], d.fields["payload"]) == ("coordinator", b"carry on %d" % n)
    assert cid == 1000
    assert_nothing_for(target, 0.2)
    assert_open(flooder)
    rounds = steady.stop()
    assert rounds > 0, "the bystander pair exchanged nothing during the flood"
    warnings = [l for l in lines_of(relay, conn, "WARNING") if "not permitted" in l]
    print("\n%d refused SENDs -> %d WARNING lines:\n  %s" % (cid, len(warnings), "\n  ".join(warnings)))
    assert 2 <= len(warnings) <= 5, "expected a few throttled WARNING lines, got %d" % len(warnings)
    suppressed = [int(m) for l in warnings for m in re.findall(r"\((\d+) more refusals not logged\)", l)]
    assert suppressed, "no WARNING line says how many refusals were not logged: %r" % warnings
    assert not re.search(r"more refusals not logged", warnings[0]), warnings[0]
    for line in warnings[1:]:
        assert re.search(r"\(\d+ more refusals not logged\)", line), "a later line lacks the count: %s" % line
    assert len(warnings) + sum(suppressed) == cid, \
        "%d lines + %d counted as not logged != %d refusals" % (len(warnings), sum(suppressed), cid)
    for p in (target, coordinator, flooder):
        p.close()


def test_principal_max_connections(start_relay):
    relay = start_relay(
        principals=[
            {"name": "capped", "authkey": "capped-key", "may_register": ["capped-*"], "may_send_to": ["capped-*"],
             "max_connections": 2},
            {"name": "free", "authkey": "free-key", "may_register": ["free-*"], "may_send_to": ["*"]},
        ],
        endpoints=[{"address": "127.0.0.1:0", "principals": ["capped", "free"]}],
    )
    inet = relay.addr
    first = rw.Peer(inet, b"capped-key", "capped-1")
    second = rw.Peer(inet, b"capped-key")  # authenticated, not registered: it counts too
    extra = rw.Peer(inet, b"capped-key")  # the handshake succeeds, then the quota is checked
    f = one_error_then_closed(extra, rw.E_NOT_PERMITTED)
    assert "max_connections" in f["text"] and "capped" in f["text"], f
    relay.wait_for_log(r"^\[WARNING/Connection-\d+\] closing connection from 127\.0\.0\.1:\d+: not permitted: "
                       r"principal capped already has max_connections \(2\)")
    # Another principal is not affected by capped's quota.
    other = rw.Peer(inet, b"free-key", "free-1")
    other.send("capped-1", b"ping", cid=1)
    assert first.recv_kind(rw.DELIVER).fields["payload"] == b"ping"
    # A slot comes back when a connection ends, however it ends.
    second.close()
    deadline = time.monotonic() + 5
    while True:
        again = rw.Peer(inet, b"capped-key")
        if not again.conn.poll(0.3):
            break
        one_error_then_closed(again, rw.E_NOT_PERMITTED)
        assert time.monotonic() < deadline, "the closed connection's slot never came back"
    again.register("capped-2")
    again.send("capped-1", b"back", cid=2)
    assert first.recv_kind(rw.DELIVER).fields["payload"] == b"back"
    for p in (first, again, other):
        p.close()


def test_principal_max_names(start_relay):
    relay = start_relay(
        principals=[{"name": "named", "authkey": "named-key", "may_register": ["n-*"], "may_send_to": ["n-*"],
                     "may_list": True, "max_names": 2}],
        endpoints=[{"address": "127.0.0.1:0", "principals": ["named"]}],
    )
    inet = relay.addr
    a = rw.Peer(inet, b"named-key", "n-a")
    b = rw.Peer(inet, b"named-key", "n-b")
    c = rw.Peer(inet, b"named-key")  # a third connection is fine; a third name is not
    c.send_raw(rw.hello("n-c"))
    f = one_error_then_closed(c, rw.E_NOT_PERMITTED, peer_name="n-c")
    assert "max_names" in f["text"] and "named" in f["text"], f
    relay.wait_for_log(r"^\[WARNING/Connection-\d+\] closing connection from 127\.0\.0\.1:\d+ \(HELLO for n-c\): not permitted: "
                       r"principal named already has max_names \(2\)")
    names = a.request(rw.list_peers(1), rw.PEERS).fields["names"]
    assert names == [b"n-a", b"n-b"], names
    # A name given back makes room.
    b.close()
    deadline = time.monotonic() + 5
    while True:
        d = rw.Peer(inet, b"named-key")
        d.send_raw(rw.hello("n-d"))
        env = d.recv()
        if env.kind == rw.WELCOME:
            break
        assert env.kind == rw.ERROR and env.fields["code"] == rw.E_NOT_PERMITTED, env
        d.close()
        assert time.monotonic() < deadline, "the released name never made room"
        time.sleep(0.1)
    d.name = "n-d"
    a.send("n-d", b"welcome", cid=3)
    assert d.recv_kind(rw.DELIVER).fields["payload"] == b"welcome"
    a.close()
    d.close()


NAME_CONFLICT_PRINCIPALS = [
    {"name": "replacers", "authkey": "replacer-key", "may_register": ["job-*"], "may_send_to": ["job-*"],
     "on_name_conflict": "replace"},
    {"name": "rejecters", "authkey": "rejecter-key", "may_register": ["task-*"], "may_send_to": ["task-*"],
     "on_name_conflict": "reject"},
    {"name": "watchers", "authkey": "watcher-key", "may_register": ["watcher"], "may_list": True},
]


@pytest.fixture
def conflict_relay(start_relay, short_dir):
    return start_relay(
        principals=NAME_CONFLICT_PRINCIPALS,
        endpoints=[
            {"address": "127.0.0.1:0", "principals": ["replacers", "rejecters", "watchers"]},
            {"address": os.path.join(short_dir, "conflict.sock"), "principals": ["replacers", "rejecters"]},
        ],
    )


def test_on_name_conflict_replace(conflict_relay):
    relay = conflict_relay
    inet, unix = relay.addresses
    watcher = rw.Peer(inet, b"watcher-key", "watcher")
    assert watcher.request(rw.watch(1), rw.ACK).fields["cid"] == 1
    old = rw.Peer(unix, b"replacer-key", "job-1")
    sender = rw.Peer(unix, b"replacer-key", "job-sender")
    sender.send("job-1", b"to the old one", cid=1)
    assert old.recv_kind(rw.DELIVER).fields["payload"] == b"to the old one"
    new = rw.Peer(inet, b"replacer-key", "job-1")  # registers: the old holder is replaced
    new_addr = local_address(new)
    f = one_error_then_closed(old, rw.E_REPLACED, peer_name="job-1")
    assert "replacers" in f["text"] and new_addr in f["text"], \
        "ERROR replaced does not name the new principal and address %s: %r" % (new_addr, f["text"])
    relay.wait_for_log(r"^\[INFO/Connection-\d+\] registered as job-1 from %s" % re.escape(new_addr))
    # The name now reaches the new connection, also after the old one has gone.
    time.sleep(0.2)
    sender.send("job-1", b"to the new one", cid=2, options=rw.OPT_CONFIRM)
    assert sender.recv_kind(rw.ACK).fields["cid"] == 2
    d = new.recv_kind(rw.DELIVER)
    assert (d.fields["sender"], d.fields["payload"]) == ("job-sender", b"to the new one")
    # Presence: the watcher's last word about job-1 is that it is there.
    events = []
    while watcher.conn.poll(0.3):
        env = watcher.recv()
        if env.kind in (rw.JOINED, rw.LEFT) and env.fields["name"] == "job-1":
            events.append("joined" if env.kind == rw.JOINED else "left")
    assert events and events[-1] == "joined", "watcher saw %r for job-1 after the replacement" % events
    names = watcher.request(rw.list_peers(3), rw.PEERS).fields["names"]
    assert b"job-1" in names, names
    for p in (watcher, sender, new):
        p.close()


def test_on_name_conflict_reject(conflict_relay):
    inet, unix = conflict_relay.addresses
    owner = rw.Peer(unix, b"rejecter-key", "task-1")
    newcomer = rw.Peer(inet, b"rejecter-key")
    newcomer.send_raw(rw.hello("task-1"))
    one_error_then_closed(newcomer, rw.E_NAME_TAKEN, peer_name="task-1")
    sender = rw.Peer(inet, b"rejecter-key", "task-sender")
    sender.send("task-1", b"still yours", cid=4)
    d = owner.recv_kind(rw.DELIVER)
    assert (d.fields["sender"], d.fields["payload"]) == ("task-sender", b"still yours")
    assert_open(owner)
    owner.close()
    sender.close()


def test_on_name_conflict_replace_at_max_names(start_relay):
    """A service that reconnects after a crash replaces its stale connection. Taking over a name
    the principal already holds does not add a name, so max_names must not refuse it."""
    relay = start_relay(
        principals=[{"name": "service", "authkey": "service-key", "may_register": ["svc"], "may_send_to": ["*"],
                     "max_names": 1, "on_name_conflict": "replace"},
                    {"name": "clients", "authkey": "client-key", "may_register": ["client"], "may_send_to": ["svc"]}],
        endpoints=[{"address": "127.0.0.1:0", "principals": ["service", "clients"]}],
    )
    stale = rw.Peer(relay.addr, b"service-key", "svc")
    fresh = rw.Peer(relay.addr, b"service-key")
    fresh.send_raw(rw.hello("svc"))
    env = fresh.recv()
    assert env.kind == rw.WELCOME, \
        "HELLO svc by the only name holder's principal (max_names 1, on_name_conflict replace) was " \
        "answered %r instead of replacing the old holder" % (env.fields,)
    fresh.name = "svc"
    one_error_then_closed(stale, rw.E_REPLACED, peer_name="svc")
    client = rw.Peer(relay.addr, b"client-key", "client")
    client.send("svc", b"request", cid=1)
    assert fresh.recv_kind(rw.DELIVER).fields["payload"] == b"request"
    # Still one name at most: a second name is refused.
    other = rw.Peer(relay.addr, b"service-key")
    other.send_raw(rw.hello("svc-2"))
    assert other.drain()[0].fields["code"] == rw.E_NOT_PERMITTED
    fresh.close()
    client.close()


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
