"""Access rules (docs/CONFIG.md, `[[principal]]`) decide the same way whether the other peer is on
the sender's node or on another one: each check is made once with a local peer and once with a
remote one, and the answers must be the same envelopes."""

import pytest

import relaywire as rw
from clusternodes import PROBE_PRINCIPAL, list_names, running_cluster, unique
from relayprincipals import COORDINATOR_KEY, MUTE_KEY, PRINCIPALS, WORKERS_KEY


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    principals = PRINCIPALS + [PROBE_PRINCIPAL]
    endpoints = [{"address": "127.0.0.1:0", "principals": [p["name"] for p in principals]}]
    with running_cluster(tmp_path_factory.mktemp("access"), "access", principals=principals,
                         endpoints=endpoints) as running:
        yield running


def _delivered(sender, receiver, cid):
    """Whether an unconfirmed SEND reaches `receiver`, stamped, with no ERROR for `sender`."""
    sender.send(receiver.name, b"knock", cid=cid)
    deliver = receiver.recv_kind(rw.DELIVER)
    assert (deliver.fields["sender"], deliver.fields["cid"], deliver.fields["payload"]) == (sender.name, cid, b"knock")
    return not sender.conn.poll(0.2)


def _refusal(sender, dest, cid):
    """The ERROR an unconfirmed SEND to `dest` gets: (code, correlation id, name)."""
    sender.send(dest, b"knock", cid=cid)
    error = sender.recv_kind(rw.ERROR).fields
    return error["code"], error["cid"], error["peer"]


def test_may_send_to_allows_and_refuses_alike_for_local_and_remote_receivers(cluster):
    sender = cluster.peer("a", unique("worker-sender"), authkey=WORKERS_KEY)
    receivers = {}
    for where, node in (("local", "a"), ("remote", "b")):
        receivers[where] = {
            "worker": cluster.peer(node, unique("worker-" + where), authkey=WORKERS_KEY),
            "mute": cluster.peer(node, unique("mute-" + where), authkey=MUTE_KEY),
        }
        for peer in receivers[where].values():
            cluster.wait_listed("a", peer.name)

    for where, peers in receivers.items():
        allowed = peers["worker"]
        assert _delivered(sender, allowed, 21), "to a %s worker" % where

        refused = peers["mute"]
        assert _refusal(sender, refused.name, 22) == (rw.E_NOT_PERMITTED, 22, refused.name), (
            "to a %s mute peer" % where)
        assert not refused.conn.poll(0.3), "a refused message reached %s: %r" % (refused.name, refused.recv())
    # Refused before the registry is consulted: a name nobody holds gets the same answer.
    assert _refusal(sender, "mute-nobody", 23) == (rw.E_NOT_PERMITTED, 23, "mute-nobody")


def test_a_principal_without_may_send_to_reaches_nobody_on_any_node(cluster):
    mute = cluster.peer("c", unique("mute-talker"), authkey=MUTE_KEY)
    targets = [cluster.peer(node, unique("worker-target"), authkey=WORKERS_KEY) for node in ("c", "a")]
    for target in targets:
        cluster.wait_listed("c", target.name)
        assert _refusal(mute, target.name, 31) == (rw.E_NOT_PERMITTED, 31, target.name)


def test_may_register_refuses_a_name_whether_it_is_free_or_held_on_another_node(cluster):
    coordinator = cluster.peer("b", "coordinator", authkey=COORDINATOR_KEY)
    cluster.wait_listed("c", coordinator.name)
    for name in ("coordinator", unique("coordinator-free")):
        intruder = cluster.peer("c", authkey=WORKERS_KEY)
        intruder.send_raw(rw.hello(name))
        envelopes = intruder.drain()
        assert [(e.kind, e.fields["code"], e.fields["peer"]) for e in envelopes] == [
            (rw.ERROR, rw.E_NOT_PERMITTED, name)], "a worker's HELLO %s on node c: %r" % (name, envelopes)
    # The coordinator kept its name and is reached from another node.
    worker = cluster.peer("c", unique("worker-reporting"), authkey=WORKERS_KEY)
    assert _delivered(worker, coordinator, 41)
    coordinator.close()
    cluster.wait_listed("c", "coordinator", present=False)


def test_may_list_shows_every_node_to_the_coordinator_and_nothing_to_others(cluster):
    workers = [cluster.peer(node, unique("worker-listed"), authkey=WORKERS_KEY) for node in ("a", "b", "c")]
    coordinator = cluster.peer("a", "coordinator", authkey=COORDINATOR_KEY)
    for worker in workers:
        cluster.wait_listed("a", worker.name)
    listed = list_names(coordinator, cid=51)
    assert all(w.name.encode() in listed for w in workers), listed

    for node in ("a", "b"):
        refused = cluster.peer(node, unique("worker-curious"), authkey=WORKERS_KEY)
        for body, cid in ((rw.list_peers(52), 52), (rw.watch(53), 53)):
            refused.send_raw(body)
            error = refused.recv_kind(rw.ERROR)
            assert (error.fields["code"], error.fields["cid"], error.fields["peer"]) == (
                rw.E_NOT_PERMITTED, cid, ""), "on node %s: %r" % (node, error)
    coordinator.close()
    cluster.wait_listed("b", "coordinator", present=False)
