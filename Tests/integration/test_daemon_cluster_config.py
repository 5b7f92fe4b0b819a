"""The `[cluster]` table in a running daemon: checked with the rest of the file, and never
changed by a reload (joining, leaving or moving a node needs a restart)."""

import re
import signal
import subprocess

import relaywire as rw

CLUSTER = '\n[cluster]\nnode = "node-a"\nnats = ["nats://127.0.0.1:4222"]\n'


def test_check_config_names_a_bad_cluster_key(mprelayd, tmp_path):
    path = tmp_path / "cluster.toml"
    path.write_text('[[endpoint]]\naddress = "127.0.0.1:0"\nauthkey = "k"\n'
                    '[cluster]\nnode = "a.b"\nnats = ["nats://127.0.0.1:4222"]\n')
    proc = subprocess.run([mprelayd, "--check-config", "--config", str(path)],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 1, out
    assert "%s:5:1: cluster.node: \"a.b\" is not a node id" % path in out, out


def test_a_reload_that_adds_a_cluster_is_refused_and_the_relay_keeps_serving(start_relay):
    relay = start_relay()
    peer = rw.Peer(relay.by_kind("inet"), relay.authkey, "survivor")
    with open(relay.config_path, "a") as f:
        f.write(CLUSTER)
    relay.proc.send_signal(signal.SIGHUP)
    relay.wait_for_log(r"^\[ERROR/MainProcess\] reload rejected, the running configuration is unchanged: %s: "
                       r"\[cluster\] was added: joining a cluster needs a restart$" % re.escape(relay.config_path))
    assert relay.proc.poll() is None, "the daemon died on a reload"
    names = peer.request(rw.list_peers(7), rw.PEERS).fields["names"]
    assert names == [b"survivor"], names
    peer.close()
