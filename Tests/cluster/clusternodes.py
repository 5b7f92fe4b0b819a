"""An mprelay cluster for the tests: three nats-servers (natsservers.py) and three mprelayd nodes
"a", "b" and "c", each started through the shared daemon harness with a `[cluster]` table.

`running_cluster(directory, name, **options)` is a context manager a test module wraps in a
module-scoped fixture; it yields a `Cluster` whose `peer(node, name)` opens a stock
`multiprocessing.connection.Client` on a node (Tests/integration/relaywire.py speaks the
envelopes), whose `client(node, name)` opens the `mprelay` Python client there, and which closes
every connection a test opened (`close_peers()`), stops the daemons by PID (failing on an unclean
exit or a CRITICAL line) and then the nats-servers. CPython 3.8 syntax only.
"""

import contextlib
import itertools
import os
import re
import sys
import time

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(TESTS, "fixtures"), os.path.join(TESTS, "integration"),
                os.path.join(os.path.dirname(TESTS), "clients", "python", "src")]

import mprelay  # noqa: E402
import relaywire as rw  # noqa: E402
from mprelayd_harness import AUTHKEY, REPO, RelayFactory  # noqa: E402
from natsservers import NATSCluster  # noqa: E402

NODES = ("a", "b", "c")

# Seconds after which a dead node's names must be free: the tests' `name_lease`.
NAME_LEASE = 3.0

# The principal of the nodes' probes, for a module whose endpoints name principals: a probe
# registers `probe-<node>` with the tests' usual key and lists.
PROBE_PRINCIPAL = {"name": "probes", "authkey": AUTHKEY.decode(), "may_register": ["probe-*"], "may_list": True}

_COUNTER = itertools.count(1)
_CIDS = itertools.count(1001)


def unique(prefix):
    """A name no other test of the run uses: `prefix-N`."""
    return "%s-%d" % (prefix, next(_COUNTER))


def documented_error_code(name):
    """The number docs/PROTOCOL.md's ERROR table gives the error `name` (e.g. "cluster
    unavailable"), so that the tests follow the document rather than a copy of it."""
    with open(os.path.join(REPO, "docs", "PROTOCOL.md")) as f:
        text = f.read()
    m = re.search(r"^\| (\d+) \| %s \|" % re.escape(name), text, re.M)
    assert m, "docs/PROTOCOL.md's ERROR table has no row for %r" % name
    return int(m.group(1))


def list_names(peer, cid=1):
    """The names a LIST on `peer` answers, answering the node's PINGs on the way."""
    peer.send_raw(rw.list_peers(cid))
    while True:
        envelope = peer.recv()
        if envelope.kind == rw.PING:
            peer.send_raw(rw.pong(envelope.fields["cid"]))
            continue
        assert (envelope.kind, envelope.fields.get("cid")) == (rw.PEERS, cid), envelope
        return envelope.fields["names"]


def next_event(watcher, names, timeout=10.0):
    """The next JOINED or LEFT about one of `names` that `watcher` gets, as (kind, name); events
    about other peers (those of earlier tests leaving, say) are passed over."""
    deadline = time.monotonic() + timeout
    while True:
        envelope = watcher.recv(max(0.01, deadline - time.monotonic()))
        if envelope.kind in (rw.JOINED, rw.LEFT) and envelope.fields["name"] not in names:
            continue
        return envelope.kind, envelope.fields.get("name")


def send_until(sender, receiver, wanted, timeout=10.0, sent=None):
    """Sends numbered unconfirmed SENDs from `sender` to `receiver` every 0.5 s until `receiver`
    gets a DELIVER (`wanted` DELIVER) or `sender` an ERROR (`wanted` ERROR): that envelope, and
    every envelope either got on the way. Each SEND has a correlation id no other SEND of the run
    has, appended to the list `sent` if one is given. Fails after `timeout`."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cid = next(_CIDS)
        sender.send(receiver.name, b"attempt %d" % cid, cid=cid)
        if sent is not None:
            sent.append(cid)
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            for peer in (sender, receiver):
                if peer.conn.poll(0.02):
                    envelope = peer.recv()
                    seen.append(envelope)
                    if envelope.kind == wanted:
                        return envelope, seen
    raise AssertionError("no %s for SENDs from %s to %s within %.0f s; got %r"
                         % ("DELIVER" if wanted == rw.DELIVER else "ERROR", sender.name, receiver.name, timeout, seen))


def errors_about(envelopes, name):
    """The ERRORs among `envelopes` whose name field is `name`."""
    return [e for e in envelopes if e.kind == rw.ERROR and e.fields["peer"] == name]


class Cluster:
    """Three nats-servers and three mprelayd nodes serving one name space."""

    def __init__(self, nats, factory, name):
        self.nats = nats
        self.factory = factory
        self.name = name
        self.nodes = {}
        self._peers = []
        self._probes = {}

    def start_node(self, node, settings):
        """Starts node `node` with the [cluster] table (more keys in `settings["cluster"]`); its NATS
        list begins with its own server, so that the three nodes spread over the three nats-servers."""
        index = NODES.index(node)
        urls = self.nats.urls[index:] + self.nats.urls[:index]
        tables = dict(settings.pop("tables", None) or {})
        tables["cluster"] = {"node": node, "name": self.name, "nats": urls, "name_lease": NAME_LEASE}
        tables["cluster"].update(settings.pop("cluster", None) or {})
        relay = self.factory.create(tables=tables, **settings)
        # A node keeps trying to join for 30 s at start (docs/CONFIG.md), then exits.
        self.nodes[node] = relay.start(timeout=45.0)
        self._probes[node] = rw.Peer(relay.addr, AUTHKEY, "probe-" + node)

    def restart_node(self, node):
        """Starts node `node` again (after a kill, say) on its earlier addresses, with a new probe."""
        self._probes[node].close()
        self.nodes[node].restart(timeout=45.0)
        self._probes[node] = rw.Peer(self.nodes[node].addr, AUTHKEY, "probe-" + node)

    def addr(self, node):
        """The first (TCP) address of node `node`."""
        return self.nodes[node].addr

    def peer(self, node, name=None, authkey=AUTHKEY):
        """A stock multiprocessing Client on node `node`, registered as `name` unless it is None."""
        peer = rw.Peer(self.addr(node), authkey, name)
        self._peers.append(peer)
        return peer

    def client(self, node, name, authkey=AUTHKEY, **options):
        """The mprelay Python client on node `node` (or on a list of nodes), registered as `name`."""
        address = [self.addr(n) for n in node] if isinstance(node, (list, tuple)) else self.addr(node)
        options.setdefault("timeout", 10.0)
        client = mprelay.connect(address, authkey=authkey, name=name, **options)
        self._peers.append(client)
        return client

    def wait_listed(self, node, name, present=True, timeout=10.0):
        """Waits until a LIST on node `node` shows `name` (or no longer shows it): the moment the
        node's view of the cluster has caught up with a registration elsewhere. Returns the
        seconds waited. The LIST comes from the node's probe, registered when the node started,
        so that asking shows no watcher a new peer."""
        probe = self._probes[node]
        start = time.monotonic()
        while True:
            names = list_names(probe)
            if (name.encode() in names) == present:
                return time.monotonic() - start
            assert time.monotonic() - start < timeout, (
                "LIST on node %s %s %r after %.1f s: %r"
                % (node, "still lacks" if present else "still shows", name, timeout, names))
            time.sleep(0.02)

    def close_peers(self, probes=False):
        """Closes every connection the tests opened (those already closed are left alone), and
        with `probes` the nodes' probes too."""
        for peer in self._peers + (list(self._probes.values()) if probes else []):
            try:
                peer.close()
            except Exception:  # a peer whose node is gone may fail in any way while closing
                pass
        self._peers = []

    def describe(self, lines=25):
        """The last lines of every daemon's and nats-server's log, for a failure report."""
        parts = []
        for node, relay in sorted(self.nodes.items()):
            tail = relay.log().splitlines()[-lines:]
            state = "pid %s" % relay.pid if relay.returncode is None else "exited %s" % relay.returncode
            parts.append("--- mprelayd node %s (%s, log %s):\n%s" % (node, state, relay.log_path, "\n".join(tail)))
        parts.append(self.nats.describe(lines))
        return "\n".join(parts)


@contextlib.contextmanager
def running_cluster(directory, name, nodes=NODES, nats_size=3, nats_tls=None, **settings):
    """A started Cluster named `name` (unique per test module), torn down on exit: the `nodes`
    (some of NODES) on `nats_size` nats-servers, which require TLS with `nats_tls` (certificate
    file, key file; see NATSCluster). `settings` go to every node's `RelayFactory.create` (broker
    keys, `principals`, `endpoints`, `tables`) but `cluster`, more keys of the [cluster] table;
    nodes listen on one TCP endpoint each unless `endpoints` says otherwise."""
    nats = NATSCluster(os.path.join(str(directory), "nats"), cluster_name="nats-" + name, size=nats_size, tls=nats_tls)
    factory = RelayFactory(directory)
    cluster = Cluster(nats, factory, name)
    try:
        nats.start()
        for node in nodes:
            options = dict(settings)
            options.setdefault("endpoints", ("inet",))
            # Long enough that the nodes never ping the tests' idle probes and watchers.
            options.setdefault("idle_timeout", 600.0)
            cluster.start_node(node, options)
        yield cluster
    finally:
        cluster.close_peers(probes=True)
        try:
            factory.close()
        finally:
            nats.stop()
