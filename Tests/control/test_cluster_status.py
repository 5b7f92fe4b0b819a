"""mprelayctl on a node of a cluster: two mprelayd nodes joined through a real three-server NATS
cluster, a peer registered on each, and `status`, `peers --cluster` and `metrics` on one node
naming both (docs/CONTROL.md, docs/CLUSTER.md)."""

import re
import time

import pytest

import relaywire as rw
from mprelayd_harness import RelayFactory
from natsservers import NATSCluster


@pytest.fixture
def two_nodes(tmp_path):
    """Relays (node-a, node-b) of cluster "ops", each with a control socket and one TCP endpoint."""
    nats = NATSCluster(tmp_path / "nats").start()
    factory = RelayFactory(tmp_path)
    try:
        nodes = []
        for node in ("node-a", "node-b"):
            cluster = {"node": node, "name": "ops", "nats": nats.urls}
            relay = factory.create(endpoints=("inet",), control={}, tables={"cluster": cluster})
            # Joining waits for the bucket's replicas; the daemon retries for 30 s.
            nodes.append(relay.start(timeout=45.0))
        yield nodes
    finally:
        factory.close()
        nats.stop()


def wait_for(ask, ready, what, timeout=15.0):
    """The first answer of `ask()` that `ready` accepts, polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        answer = ask()
        if ready(answer):
            return answer
        assert time.monotonic() < deadline, "%s: still %r after %.0f s" % (what, answer, timeout)
        time.sleep(0.2)


def test_status_peers_and_metrics_of_one_node_name_both(two_nodes):
    node_a, node_b = two_nodes
    alice = rw.Peer(node_a.by_kind("inet"), node_a.authkey, "alice")
    bob = rw.Peer(node_b.by_kind("inet"), node_b.authkey, "bob")
    try:
        cluster = wait_for(lambda: node_a.ask("status")["cluster"],
                           lambda c: c["nodes"] == ["node-b"] and c["remote_peers"] == 1, "node-a's cluster")
        assert cluster["name"] == "ops" and cluster["node"] == "node-a", cluster
        assert cluster["nats_connected"] is True and re.match(r"^nats://127\.0\.0\.1:\d+$", cluster["nats_server"])

        text = node_a.ctl("status")
        assert text.code == 0, text
        for row in (r"cluster\s+ops", r"node\s+node-a", r"nats server\s+nats://127\.0\.0\.1:\d+",
                    r"other nodes\s+node-b", r"remote peers\s+1"):
            assert re.search(r"^%s$" % row, text.out, re.M), "%s not in:\n%s" % (row, text.out)

        listed = node_a.ask("peers", "--cluster")
        assert [p["name"] for p in listed["peers"]] == ["alice"] and listed["node"] == "node-a", listed
        assert listed["remote_peers"] == [{"name": "bob", "node": "node-b"}], listed
        assert "remote_peers" not in node_a.ask("peers"), "peers without --cluster must stay as on one node"

        table = node_a.ctl("peers", "--cluster")
        assert table.code == 0, table
        lines = table.out.splitlines()
        assert lines[0].startswith("NAME   NODE    CONN  ENDPOINT"), table.out
        assert re.match(r"^alice  node-a\s+\d+  127\.0\.0\.1:\d+", lines[1]), table.out
        assert lines[2] == "bob    node-b", table.out

        # A message across nodes counts as a frame sent on node-a and received on node-b.
        alice.send("bob", b"hello")
        delivered = bob.recv_kind(rw.DELIVER)
        assert delivered.fields["sender"] == "alice" and delivered.fields["payload"] == b"hello", delivered
        metrics = node_a.ask("metrics")["text"]
        assert re.search(r"^mprelay_cluster_frames_sent_total [1-9]", metrics, re.M), metrics
        for line in ("mprelay_cluster_nodes 1.0", "mprelay_cluster_remote_peers 1.0",
                     "mprelay_cluster_nats_connected 1.0", "mprelay_cluster_frame_errors_total 0"):
            assert "\n%s\n" % line in metrics, "%s not in:\n%s" % (line, metrics)
        received = node_b.ask("status")["cluster"]["frames_received"]
        assert received >= 1, received
    finally:
        alice.close()
        bob.close()
