"""Per-principal quotas (max_connections, max_names) and on_name_conflict (replace, reject, and
replace while the principal is at max_names), checked on the wire and in the log.
"""

import os
import re
import time

import pytest

import relaywire as rw
from relayprincipals import assert_open, local_address, one_error_then_closed


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
