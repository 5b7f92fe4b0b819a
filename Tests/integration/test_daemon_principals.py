"""[[principal]] tables: which key binds which principal, and the access rules (may_register,
may_send_to, may_list), with their refusal warnings throttled.

Every refusal is checked on the wire (ERROR code, correlation id, the name it is about, whether the
connection stays open) and in the log (a WARNING naming the principal, the peer and the rule).
Quotas and name conflicts are in test_daemon_principals_quotas.py; key rotation, reloads and
min_digest in test_daemon_principals_keys.py; the checks they share in relayprincipals.py.
"""

import os
import re
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest

import relaywire as rw
from relayprincipals import (COORDINATOR_KEY, MUTE_KEY, PRINCIPALS, WORKERS_KEY, assert_nothing_for, assert_open,
                             connection_of, lines_of, local_address, one_error_then_closed)


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
        # The log is written from a thread of its own: the line can follow the ERROR by a moment.
        relay.wait_for_log(r"^\[WARNING/%s\] not permitted" % re.escape(conn))
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
