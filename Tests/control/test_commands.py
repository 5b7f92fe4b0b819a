"""Every mprelayctl command against a real mprelayd with real peers connected."""

import os
import re
import socket
import subprocess
import sys
from multiprocessing import AuthenticationError

import pytest

import relaywire as rw
from mprelayd_harness import mprelayctl_binary

DIGEST = "sha256" if sys.version_info >= (3, 12) else "legacy md5"


def exchange(a, b, count, size):
    """`count` messages of `size` bytes each way between two registered peers."""
    for i in range(count):
        a.send(b.name, b"a" * size, cid=i + 1)
        b.send(a.name, b"b" * size, cid=i + 1)
    for i in range(count):
        assert b.recv_kind(rw.DELIVER).fields["payload"] == b"a" * size
        assert a.recv_kind(rw.DELIVER).fields["payload"] == b"b" * size


def parse_metrics(text):
    """{series: value} from the Prometheus text format, with TYPE lines checked."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            samples[series] = float(value)
    for series in samples:
        assert series.split("{")[0] in types, "no TYPE line for %s" % series
    return samples, types


def test_status_counts_connections_peers_and_totals(control_relay):
    relay = control_relay()
    tcp = rw.Peer(relay.by_kind("inet"), relay.authkey, "status-tcp")
    unix = rw.Peer(relay.by_kind("unix"), relay.authkey, "status-unix")
    half = rw.Client(relay.by_kind("inet"), authkey=relay.authkey)  # authenticated, never says HELLO
    exchange(tcp, unix, 25, 100)
    status = relay.ask("status")
    assert status["version"] and status["pid"] == relay.proc.pid
    assert status["configuration"] == relay.config_path
    assert status["log_level"] == "debug"
    assert (status["connections"], status["peers"], status["handshakes_in_progress"]) == (3, 2, 0)
    assert status["totals"]["messages_relayed"] == 50
    assert status["totals"]["bytes_relayed"] == 5000
    assert status["totals"]["connections_accepted"] == 3
    assert status["totals"]["auth_failures"] == 0
    assert status["totals"]["errors"] == []
    assert status["uptime_seconds"] > 0
    endpoints = status["endpoints"]
    assert [(e["address"], e["bound_address"], e["family"], e["state"], e["peers"]) for e in endpoints] == [
        ("127.0.0.1:0", "127.0.0.1:%d" % relay.by_kind("inet")[1], "tcp", "listening", 1),
        (relay.by_kind("unix"), relay.by_kind("unix"), "unix", "listening", 1),
    ]
    human = relay.ctl("status")
    assert human.code == 0, human
    assert human.out.startswith("mprelayd %s  pid %d  up " % (status["version"], relay.proc.pid)), human.out
    assert re.search(r"^messages relayed +50 \(4\.9 KiB\)$", human.out, re.M), human.out
    assert re.search(r"^127\.0\.0\.1:0 +127\.0\.0\.1:%d +tcp +listening +1$" % relay.by_kind("inet")[1], human.out, re.M), human.out
    for peer in (tcp, unix):
        peer.close()
    half.close()


def test_peers_and_peer_describe_each_peer(control_relay):
    relay = control_relay()
    tcp = rw.Peer(relay.by_kind("inet"), relay.authkey, "peer-b-tcp")
    unix = rw.Peer(relay.by_kind("unix"), relay.authkey, "peer-a-unix")
    exchange(tcp, unix, 10, 1000)
    tcp.send("peer-a-unix", b"x" * 10, cid=99, options=rw.OPT_CONFIRM)  # peer-a-unix does not read it yet
    assert tcp.recv_kind(rw.ACK).fields["cid"] == 99  # it is queued
    peers = relay.ask("peers")["peers"]
    assert [p["name"] for p in peers] == ["peer-a-unix", "peer-b-tcp"]
    by_name = {p["name"]: p for p in peers}
    local = socket.socket(fileno=os.dup(tcp.conn.fileno()))
    tcp_address = "%s:%d" % local.getsockname()
    local.close()
    assert by_name["peer-b-tcp"]["remote"] == tcp_address
    assert by_name["peer-a-unix"]["remote"] == "pid %d uid %d" % (os.getpid(), os.getuid())
    assert by_name["peer-b-tcp"]["endpoint"] == "127.0.0.1:%d" % relay.by_kind("inet")[1]
    assert by_name["peer-a-unix"]["endpoint"] == relay.by_kind("unix")
    for p in peers:
        assert p["digest"] == DIGEST
        assert p["connection_id"] >= 1
        assert 0 <= p["connected_seconds"] < 60
    assert (by_name["peer-b-tcp"]["messages_in"], by_name["peer-b-tcp"]["bytes_in"]) == (11, 10010)
    assert (by_name["peer-a-unix"]["messages_in"], by_name["peer-a-unix"]["bytes_in"]) == (10, 10000)
    # Frames queued to each since it connected: 3 of the handshake, WELCOME, 10 deliveries, and the
    # ACK to peer-b-tcp or the unread delivery to peer-a-unix.
    assert by_name["peer-b-tcp"]["messages_out"] == 15
    assert by_name["peer-a-unix"]["messages_out"] == 15
    assert by_name["peer-a-unix"]["bytes_out"] > 10 * 1000 + 10
    one = relay.ask("peer", "peer-a-unix")
    assert {k: v for k, v in one.items() if k != "connected_seconds"} == \
        {k: v for k, v in by_name["peer-a-unix"].items() if k != "connected_seconds"}
    table = relay.ctl("peers")
    assert table.code == 0, table
    lines = table.out.splitlines()
    assert lines[0].split() == ["NAME", "CONN", "ENDPOINT", "REMOTE", "DIGEST", "TLS", "CONNECTED", "MSGS", "IN", "BYTES", "IN",
                                "MSGS", "OUT", "BYTES", "OUT", "QUEUED", "QUEUED", "BYTES"]
    assert lines[1].startswith("peer-a-unix ") and lines[2].startswith("peer-b-tcp ")
    detail = relay.ctl("peer", "peer-b-tcp")
    assert detail.code == 0 and re.search(r"^remote +%s$" % re.escape(tcp_address), detail.out, re.M), detail
    assert unix.recv_kind(rw.DELIVER).fields["cid"] == 99
    tcp.close()
    unix.close()


def test_peer_and_kick_of_an_unknown_name_exit_1(control_relay):
    relay = control_relay()
    for args in (["peer", "nobody-here"], ["kick", "nobody-here"]):
        result = relay.ctl(*args)
        assert result.code == 1, result
        assert 'no peer named "nobody-here" is registered' in result.err
        answer = relay.ctl(*(args + ["--json"])).answer
        assert answer["ok"] is False and answer["error"]["code"] == "unknown_peer", answer
    assert relay.ctl("kick", "bad name").code == 1


def test_kick_sends_error_11_then_closes(control_relay):
    relay = control_relay()
    victim = rw.Peer(relay.by_kind("inet"), relay.authkey, "victim")
    other = rw.Peer(relay.by_kind("unix"), relay.authkey, "stays")
    result = relay.ctl("kick", "victim", "--reason", "maintenance: bye")
    assert result.code == 0, result
    assert result.out == "kicked victim: maintenance: bye\n"
    got = victim.drain(timeout=5)
    assert [(e.kind, e.fields.get("code"), e.fields.get("text")) for e in got] == [(rw.ERROR, rw.E_KICKED, "maintenance: bye")]
    assert [p["name"] for p in relay.ask("peers")["peers"]] == ["stays"]
    assert relay.ask("status")["totals"]["errors"] == [{"code": 11, "name": "kicked", "count": 1}]
    relay.wait_for_log(r"^\[INFO/Control\] control client pid \d+ uid 0 \(root\): kick victim: maintenance: bye$")
    # The default reason, and the name is free again.
    again = rw.Peer(relay.by_kind("inet"), relay.authkey, "victim")
    assert relay.ask("kick", "victim") == {"name": "victim", "reason": "disconnected by an operator"}
    assert again.drain(timeout=5)[0].fields["text"] == "disconnected by an operator"
    other.close()


def test_log_level_changes_what_is_logged(control_relay):
    relay = control_relay(log_level="info")
    assert relay.ask("log-level", "DEBUG") == {"previous": "info", "level": "debug"}
    assert relay.ask("status")["log_level"] == "debug"
    rw.Peer(relay.by_kind("inet"), relay.authkey, "now-logged").close()
    relay.wait_for_log(r"^\[DEBUG/Connection-\d+\] ")
    result = relay.ctl("log-level", "warning")
    assert (result.code, result.out) == (0, "log level: debug -> warning\n"), result
    assert relay.ctl("log-level", "chatty").code == 2


def test_metrics_count_what_the_relay_did(control_relay):
    relay = control_relay()
    a = rw.Peer(relay.by_kind("inet"), relay.authkey, "metric-a")
    b = rw.Peer(relay.by_kind("unix"), relay.authkey, "metric-b")
    exchange(a, b, 7, 300)
    a.send("no-such-peer", b"lost", cid=5)
    assert a.recv_kind(rw.ERROR).fields["code"] == rw.E_UNKNOWN_PEER
    with pytest.raises(AuthenticationError):
        rw.Client(relay.by_kind("inet"), authkey=b"wrong key")
    relay.wait_for_log(r"authentication failed")
    result = relay.ctl("metrics")
    assert result.code == 0, result
    samples, types = parse_metrics(result.out)
    assert types["mprelay_messages_relayed_total"] == "counter"
    assert types["mprelay_peers"] == "gauge"
    assert samples["mprelay_messages_relayed_total"] == 14
    assert samples["mprelay_bytes_relayed_total"] == 14 * 300
    assert samples["mprelay_connections_accepted_total"] == 3
    assert samples["mprelay_auth_failures_total"] == 1
    assert samples['mprelay_errors_total{code="1",name="unknown peer"}'] == 1
    assert samples['mprelay_errors_total{code="11",name="kicked"}'] == 0
    assert samples["mprelay_peers"] == 2
    assert samples["mprelay_connections"] == 2
    assert samples["mprelay_endpoints_listening"] == 2
    assert samples["mprelay_control_clients"] == 1
    assert samples["mprelay_uptime_seconds"] > 0
    answer = relay.ctl("metrics", "--json").answer["result"]
    assert answer["content_type"].startswith("text/plain; version=0.0.4")
    a.close()
    b.close()


def mprelayctl(*args):
    return subprocess.run([mprelayctl_binary()] + list(args), capture_output=True, text=True, timeout=30)


def test_exit_codes_for_usage_and_an_absent_daemon(control_relay, tmp_path):
    relay = control_relay()
    assert relay.ctl("status", "--no-such-option").code == 2
    assert relay.ctl("peer").code == 2
    assert relay.ctl("status", "--watch", "0").code == 2
    assert mprelayctl("status", "--socket", relay.control_socket, "--config", relay.config_path).returncode == 2
    absent = str(tmp_path / "none.sock")
    gone = mprelayctl("status", "--socket", absent)
    assert gone.returncode == 3, gone
    assert "is mprelayd running? socket: %s" % absent in gone.stderr, gone.stderr
    config = tmp_path / "other.toml"
    config.write_text('[control]\nsocket = "%s"\n' % relay.control_socket)
    via_config = mprelayctl("peers", "--config", str(config))
    assert (via_config.returncode, via_config.stdout) == (0, "no peers registered\n"), via_config



def test_config_reads_only_the_control_socket_and_names_what_is_wrong(control_relay, tmp_path):
    relay = control_relay()
    own = mprelayctl("status", "--json", "--config", relay.config_path)
    assert own.returncode == 0 and '"configuration"' in own.stdout, own
    # The daemon would refuse this file (an unknown user, a missing key file); mprelayctl reads
    # only [control] socket.
    lenient = tmp_path / "lenient.toml"
    lenient.write_text(
        '[control]\nsocket = "%s"\nallow_users = ["no-such-user-here"]\n\n'
        '[[endpoint]]\naddress = "127.0.0.1:1"\nauthkey_file = "%s"\n' % (relay.control_socket, tmp_path / "none.key")
    )
    assert mprelayctl("peers", "--config", str(lenient)).returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[control]\nsocket = "relative.sock"\n')
    refused = mprelayctl("peers", "--config", str(bad))
    assert refused.returncode == 2, refused
    assert "%s:2:1: control.socket: " % bad in refused.stderr and "not an absolute path" in refused.stderr, refused.stderr
    bad.write_text("[control\n")
    refused = mprelayctl("peers", "--config", str(bad))
    assert refused.returncode == 2 and "%s:1:" % bad in refused.stderr, refused
    missing = tmp_path / "missing.toml"
    refused = mprelayctl("peers", "--config", str(missing))
    assert refused.returncode == 2, refused
    assert "%s: cannot read the configuration: open: No such file or directory" % missing in refused.stderr, refused.stderr

def test_every_subcommand_has_a_manual_page():
    for sub in ("status", "peers", "peer", "kick", "reload", "log-level", "metrics"):
        page = mprelayctl(sub, "--help")
        assert page.returncode == 0, page
        for part in ("OVERVIEW:", "Examples:", "--socket <path>", "--config <path>", "--json", "--timeout <seconds>"):
            assert part in page.stdout, "%s --help lacks %s:\n%s" % (sub, part, page.stdout)
    assert "--watch <seconds>" in mprelayctl("peers", "--help").stdout
    overview = mprelayctl("--help")
    assert "Exit status: 0 ok; 1" in overview.stdout.replace("\n", " "), overview.stdout


def test_relay_endpoints_never_take_control_commands(control_relay):
    relay = control_relay()
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(relay.by_kind("unix"))
        first = s.recv(4096)
        assert b"#CHALLENGE#" in first, first  # the relay speaks the multiprocessing handshake
        s.sendall(b'{"version":1,"command":"status"}\n')
        rest = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                rest += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        assert b'"ok"' not in rest and b'"result"' not in rest, rest
    relay.wait_for_log(r"authentication failed")
