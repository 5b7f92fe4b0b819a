"""One name space over three nodes: a name is held once in the whole cluster, even under a race;
`replace` hands it over from node to node; WATCH and LIST see every node (docs/CLUSTER.md)."""

import threading
import time

import pytest

import relaywire as rw
from clusternodes import AUTHKEY, NODES, errors_about, list_names, next_event, running_cluster, send_until, unique

TAKER_KEY = b"taker-key-2e81"

# Clients with the tests' usual key keep a name against a newcomer; the takers' key replaces.
PRINCIPALS = [
    {"name": "holders", "authkey": AUTHKEY.decode(), "may_register": ["*"], "may_send_to": ["*"], "may_list": True},
    {"name": "takers", "authkey": TAKER_KEY.decode(), "may_register": ["*"], "may_send_to": ["*"],
     "may_list": True, "on_name_conflict": "replace"},
]

RACES = 200


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    endpoints = [{"address": "127.0.0.1:0", "principals": ["holders", "takers"]}]
    with running_cluster(tmp_path_factory.mktemp("names"), "names", principals=PRINCIPALS,
                         endpoints=endpoints) as running:
        yield running


def _race(cluster, first, second, name):
    """Two authenticated connections on two nodes send HELLO `name` at the same instant; their
    answers, in node order."""
    peers = [cluster.peer(first), cluster.peer(second)]
    barrier = threading.Barrier(2)
    answers = [None, None]

    def register(i):
        barrier.wait()
        peers[i].send_raw(rw.hello(name))
        answers[i] = peers[i].recv(timeout=10)

    threads = [threading.Thread(target=register, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    for peer in peers:
        peer.close()
    return answers


def test_two_nodes_registering_one_name_at_once_give_it_to_exactly_one(cluster):
    wins = {node: 0 for node in NODES}
    start = time.monotonic()
    for i in range(RACES):
        first, second = NODES[i % 3], NODES[(i + 1) % 3]
        name = unique("contested")
        answers = _race(cluster, first, second, name)
        kinds = [answer.kind if answer else None for answer in answers]
        assert sorted(kinds) == [rw.WELCOME, rw.ERROR], "race %d on %s/%s for %s: %r" % (
            i, first, second, name, answers)
        loser = answers[kinds.index(rw.ERROR)].fields
        assert (loser["code"], loser["peer"], loser["cid"]) == (rw.E_NAME_TAKEN, name, 0), loser
        wins[(first, second)[kinds.index(rw.WELCOME)]] += 1
    print("%d races in %.1f s, wins per node: %r" % (RACES, time.monotonic() - start, wins))


def test_replace_hands_a_name_over_from_one_node_to_another(cluster):
    name = unique("handed-over")
    holder = cluster.peer("a", name)
    sender = cluster.peer("a", unique("writer"))
    watcher = cluster.peer("c", unique("onlooker"))
    for node in ("b", "c"):
        cluster.wait_listed(node, name)
    assert watcher.request(rw.watch(3), rw.ACK).fields["cid"] == 3

    taker = cluster.peer("b", name, authkey=TAKER_KEY)
    envelopes = holder.drain()
    assert [e.kind for e in envelopes] == [rw.ERROR], "the old holder got %r" % (envelopes,)
    assert (envelopes[0].fields["code"], envelopes[0].fields["peer"]) == (rw.E_REPLACED, name), envelopes
    events = [next_event(watcher, [name]), next_event(watcher, [name])]
    assert events == [(rw.LEFT, name), (rw.JOINED, name)], events

    # Messages to the name now reach the new holder, from the old holder's node too.
    deliver, seen = send_until(sender, taker, rw.DELIVER, timeout=5)
    assert deliver.fields["sender"] == sender.name, deliver
    assert not errors_about(seen, name), "errors for a name that was handed over: %r" % seen


def test_watchers_on_every_node_see_a_remote_peer_join_and_leave(cluster):
    watchers = {node: cluster.peer(node, unique("watcher-" + node)) for node in NODES}
    for watcher in watchers.values():
        assert watcher.request(rw.watch(1), rw.ACK).fields["cid"] == 1
    name = unique("visitor")
    visitor = cluster.peer("b", name)
    for node, watcher in watchers.items():
        assert next_event(watcher, [name]) == (rw.JOINED, name), "watcher on node %s" % node
    visitor.send_raw(rw.goodbye())
    visitor.expect_closed()
    for node, watcher in watchers.items():
        assert next_event(watcher, [name]) == (rw.LEFT, name), "watcher on node %s" % node


def test_a_watcher_sees_a_remote_peers_joined_before_its_first_message(cluster):
    watcher = cluster.peer("a", unique("first-sight"))
    assert watcher.request(rw.watch(2), rw.ACK).fields["cid"] == 2
    cluster.wait_listed("c", watcher.name)
    name = unique("eager")
    eager = cluster.peer("c", name)
    eager.send(watcher.name, b"hello at once", cid=1)
    assert next_event(watcher, [name]) == (rw.JOINED, name)
    deliver = watcher.recv_kind(rw.DELIVER)
    assert (deliver.fields["sender"], deliver.fields["payload"]) == (name, b"hello at once"), deliver


def test_list_on_any_node_names_the_peers_of_every_node(cluster):
    names = {node: unique("listed-" + node) for node in NODES}
    for node, name in names.items():
        cluster.peer(node, name)
    for node in NODES:
        for name in names.values():
            cluster.wait_listed(node, name)
    for node in NODES:
        listed = list_names(cluster.peer(node, unique("lister")), cid=9)
        assert listed == sorted(listed), "LIST on %s is not sorted bytewise: %r" % (node, listed)
        assert len(listed) == len(set(listed)), "LIST on %s names a peer twice: %r" % (node, listed)
