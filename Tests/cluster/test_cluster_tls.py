"""TLS between mprelayd and NATS (docs/CLUSTER.md, docs/CONFIG.md `nats_tls_*`): nodes given the
CA join through a nats-server that requires TLS of its clients and relay across it; a node given
another CA fails to start, naming the certificate problem.

One nats-server (JetStream alone) and two nodes are enough here. The node with the wrong CA is
started with the others; it gives up at its first refusal."""

import os
import re
import signal
import subprocess

import pytest

import relaywire as rw
from clusternodes import running_cluster, unique
from mprelayd_harness import mprelayd_binary, render_config
from relaytls import make_certificates

NODES = ("a", "b")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, certificates):
    directory = tmp_path_factory.mktemp("tls")
    server = (os.path.join(certificates, "server.pem"), os.path.join(certificates, "server.key"))
    ca = {"nats_tls_ca_file": os.path.join(certificates, "ca.pem")}
    with running_cluster(directory, "tls", nodes=NODES, nats_size=1, nats_tls=server, cluster=ca) as running:
        yield running


@pytest.fixture(scope="module")
def rogue(cluster, certificates, tmp_path_factory):
    """A node whose CA is not the one of the nats-server's certificate, started at once: the
    running process, and its log's path. Stopped by its PID if a test left it running."""
    directory = tmp_path_factory.mktemp("rogue")
    table = {"node": "rogue", "name": cluster.name, "nats": cluster.nats.urls,
             "nats_tls_ca_file": os.path.join(certificates, "rogue-ca.pem")}
    config_path = str(directory / "rogue.toml")
    with open(config_path, "w") as f:
        f.write(render_config({"log_level": "info"}, [{"address": "127.0.0.1:0", "authkey": "k"}],
                              tables={"cluster": table}))
    log_path = str(directory / "rogue.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([mprelayd_binary(), "--config", config_path], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=log)
    yield proc, log_path
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def test_nodes_join_through_a_nats_server_that_requires_tls_and_relay_across_it(cluster, rogue):
    for node in NODES:
        assert "tls://" in cluster.nodes[node].tables["cluster"]["nats"][0]
        assert re.search(r"joined cluster tls as node %s through NATS server tls://" % node, cluster.nodes[node].log())
    sender_name, receiver_name = unique("tls-sender"), unique("tls-receiver")
    sender = cluster.peer("a", sender_name)
    receiver = cluster.client("b", receiver_name)
    cluster.wait_listed("a", receiver_name)
    for index in range(100):
        sender.send(receiver_name, b"through TLS %d" % index, cid=index + 1)
    messages = [receiver.recv(timeout=5) for _ in range(100)]
    assert [(m.sender, m.data) for m in messages] == [(sender_name, b"through TLS %d" % i) for i in range(100)]
    receiver.send_bytes(sender_name, b"and back")
    deliver = sender.recv_kind(rw.DELIVER)
    assert (deliver.fields["sender"], deliver.fields["payload"]) == (receiver_name, b"and back"), deliver


def test_a_node_given_another_ca_fails_to_start_naming_the_certificate_problem(rogue):
    proc, log_path = rogue
    # Every server refuses its certificate: it gives up at once rather than for its join
    # patience (docs/CONFIG.md: 20 s), since trying again cannot change the answer.
    assert proc.wait(timeout=45) == 1
    with open(log_path) as f:
        log = f.read()
    critical = re.findall(r"^\[CRITICAL/[^\]]*\] cannot join the cluster: .*$", log, re.M)
    assert critical, log[-3000:]
    assert "certificate verify failed" in critical[0], critical[0]
    assert "trying again cannot help" in critical[0], critical[0]
    assert "trying again in 1 s" not in log, "a refusal is not retried:\n" + log[-3000:]
    assert not re.search(r"\] ready: ", log), "a node that cannot join its cluster must not serve:\n" + log[-3000:]
