"""`kill -9` of one mprelayd: the other nodes free its names within `name_lease`, announce each
LEFT to their watchers, and a client given every node's address registers again elsewhere and
receives again (docs/CLUSTER.md, "Node leases, and what a dead node costs")."""

import threading
import time

import pytest

import relaywire as rw
from clusternodes import NAME_LEASE, errors_about, next_event, running_cluster, send_until, unique

# How much later than `name_lease` a name may come free: 5/6 of the lease plus a NATS round trip
# is the design's bound; the rest is room for a machine busy compiling.
SLACK = 2.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("node-loss"), "node-loss") as running:
        yield running


def _claim_when_free(cluster, node, name, deadline):
    """Registers `name` on `node` as soon as the cluster lets it; the Peer, or None by `deadline`."""
    while time.monotonic() < deadline:
        peer = cluster.peer(node)
        peer.send_raw(rw.hello(name))
        answer = peer.recv(10)
        if answer.kind == rw.WELCOME:
            peer.name = name
            return peer
        assert (answer.kind, answer.fields["code"]) == (rw.ERROR, rw.E_NAME_TAKEN), answer
        peer.close()
        time.sleep(0.05)
    return None


def _receive_again(client, name, sender, errors):
    """Sends to `name`, held by `client`, from `sender` every 0.1 s until `client.recv()` returns
    one: (what it returned, the seconds it took)."""
    got = []

    def receive():
        try:
            got.append(client.recv(timeout=3 * NAME_LEASE + 10))
        except Exception as error:  # reported by the test
            errors.append("the reconnecting client's recv() raised %r" % (error,))

    thread = threading.Thread(target=receive)
    thread.start()
    start = time.monotonic()
    i = 0
    while thread.is_alive() and time.monotonic() - start < 3 * NAME_LEASE + 10:
        i += 1
        sender.send(name, b"are you back? %d" % i, cid=i)
        time.sleep(0.1)
    thread.join(5)
    return got, time.monotonic() - start


def test_kill_9_of_a_node_frees_its_names_tells_watchers_and_its_clients_move(cluster):
    doomed = ["doomed-%d-%s" % (i, unique("x")) for i in range(3)]
    victims = [cluster.peer("b", name) for name in doomed]
    mover_name = unique("mover")
    addresses = ["b", "c", "a"]
    mover = cluster.client(addresses, mover_name, reconnect=True)
    assert mover.address == cluster.addr("b"), mover.address
    watchers = {node: cluster.peer(node, unique("mourner-" + node)) for node in ("a", "c")}
    for node, watcher in watchers.items():
        assert watcher.request(rw.watch(1), rw.ACK).fields["cid"] == 1
        for name in doomed + [mover_name]:
            cluster.wait_listed(node, name)
    sender = cluster.peer("a", unique("caller"))

    killed_at = time.monotonic()
    cluster.nodes["b"].kill()
    for victim in victims:
        victim.close()

    # Its names come free: measured with a HELLO for each, on node a, retried until it succeeds.
    freed = {}
    for name in doomed:
        peer = _claim_when_free(cluster, "a", name, killed_at + NAME_LEASE + SLACK)
        assert peer is not None, "%s still taken %.1f s after kill -9 of node b" % (name, NAME_LEASE + SLACK)
        freed[name] = time.monotonic() - killed_at
        peer.close()
    print("kill -9 of node b: its names free again after %s s (name_lease %.1f)"
          % (", ".join("%.2f" % t for t in sorted(freed.values())), NAME_LEASE))

    for node, watcher in watchers.items():
        events = set()
        while len(events) < len(doomed):
            kind, name = next_event(watcher, doomed)
            if kind == rw.LEFT:
                events.add(name)
        assert events == set(doomed), "watcher on node %s saw LEFT for %s" % (node, sorted(events))

    errors = []
    got, waited = _receive_again(mover, mover_name, sender, errors)
    assert not errors, errors
    assert got and got[0].sender == sender.name, got
    assert mover.address in (cluster.addr("c"), cluster.addr("a")), mover.address
    print("the client on node b received again through %r %.2f s after the kill"
          % (mover.address, time.monotonic() - killed_at))
    assert waited < 3 * NAME_LEASE + 10


def test_a_killed_node_started_again_under_its_id_serves_the_cluster(cluster):
    if cluster.nodes["b"].returncode is None:
        cluster.nodes["b"].kill()
    cluster.restart_node("b")
    name = unique("returning")
    returning = cluster.peer("b", name)
    caller = cluster.peer("c", unique("welcomer"))
    cluster.wait_listed("c", name)
    deliver, seen = send_until(caller, returning, rw.DELIVER, timeout=5)
    assert deliver.fields["sender"] == caller.name, deliver
    assert not errors_about(seen, name), seen
