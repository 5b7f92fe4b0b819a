"""SIGTERM drain and GOODBYE; socket files: stale ones replaced, live or foreign ones refused."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

import relaywire as rw
from relayharness import AUTHKEY, render_config


def test_sigterm_delivers_queued_then_goodbye_and_removes_socket(start_relay):
    relay = start_relay(drain_timeout=5.0)
    path = relay.by_kind("unix")
    assert os.path.exists(path)
    a = rw.Peer(path, relay.authkey, "stayer-a")
    b = rw.Peer(relay.by_kind("inet"), relay.authkey, "stayer-b")
    # More than the kernel buffers hold: part of it is still queued in the broker at SIGTERM.
    count = 600
    for i in range(1, count + 1):
        a.send("stayer-b", b"%06d" % i + b"." * 1018, cid=i, options=rw.OPT_CONFIRM if i == count else 0)
    assert a.recv_kind(rw.ACK).fields["cid"] == count  # everything is queued for b
    relay.terminate()
    got_b = b.drain(timeout=8.0)
    got_a = a.drain(timeout=8.0)
    code = relay.stop()
    assert code == 0, relay.log()
    deliveries = [e for e in got_b if e.kind == rw.DELIVER]
    assert [e.fields["cid"] for e in deliveries] == list(range(1, count + 1)), \
        "b got %d of %d queued messages before the close" % (len(deliveries), count)
    assert [e.kind for e in got_b[len(deliveries):]] == [rw.GOODBYE], got_b[len(deliveries):]
    assert got_b[-1].fields["reason"] == 1, got_b[-1]
    assert [e.kind for e in got_a] == [rw.GOODBYE] and got_a[0].fields["reason"] == 1, got_a
    assert not os.path.exists(path), "socket file left behind after shutdown"
    log = relay.log()
    assert "received SIGTERM" in log, log


def test_sigterm_with_idle_peers_and_no_peers(start_relay):
    relay = start_relay()
    peers = [rw.Peer(relay.addresses[i], relay.authkey, "idle-%d" % i) for i in range(3)]
    half = rw.Peer(relay.addresses[0], relay.authkey)  # authenticated, no HELLO: closed, no GOODBYE
    started = time.monotonic()
    relay.terminate()
    for p in peers:
        got = p.drain(timeout=5.0)
        assert [(e.kind, e.fields.get("reason")) for e in got] == [(rw.GOODBYE, 1)], got
    assert half.drain(timeout=5.0) == []
    assert relay.stop() == 0
    assert time.monotonic() - started < 4.0, "shutdown with idle peers took %.1f s" % (time.monotonic() - started)
    assert not os.path.exists(relay.by_kind("unix"))


def test_sigterm_gives_up_on_a_peer_that_never_reads_after_drain_timeout(start_relay):
    relay = start_relay(drain_timeout=1.0)
    sender = rw.Peer(relay.by_kind("unix"), relay.authkey, "talker")
    stuck = rw.Peer(relay.by_kind("unix"), relay.authkey, "stuck")  # never reads
    for i in range(1, 2001):
        sender.send("stuck", b"." * 1024, cid=i, options=rw.OPT_CONFIRM if i == 2000 else 0)
    env = sender.recv()
    while env.kind != rw.ACK:  # peer busy errors may come first
        assert env.kind == rw.ERROR and env.fields["code"] == rw.E_PEER_BUSY, env
        env = sender.recv()
    started = time.monotonic()
    relay.terminate()
    assert [e.kind for e in sender.drain(timeout=5.0) if e.kind != rw.ERROR] == [rw.GOODBYE]
    try:
        code = relay.proc.wait(6.0)
    except Exception:
        raise AssertionError("mprelayd still running 6 s after SIGTERM with drain_timeout 1.0:\n" + relay.log())
    elapsed = time.monotonic() - started
    assert relay.stop() == 0 and code == 0
    assert elapsed < 4.0, "shutdown took %.1f s with drain_timeout 1.0" % elapsed
    stuck.close()


def run_expecting_refusal(mprelayd, tmp_path, name, address):
    config = tmp_path / ("%s.toml" % name)
    config.write_text(render_config({"log_level": "debug"}, [{"address": address, "authkey": AUTHKEY.decode()}]))
    try:
        proc = subprocess.run([mprelayd, "--config", str(config)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError("mprelayd started on %s instead of refusing it" % address)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode != 0, "mprelayd exited 0 on %s:\n%s" % (address, out)
    assert "] ready" not in out, out
    return out


def test_stale_socket_file_is_replaced(start_relay, short_dir):
    path = os.path.join(short_dir, "stale.sock")
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)
    dead.close()  # the file stays; nobody listens
    assert os.path.exists(path)
    with pytest.raises(ConnectionRefusedError):
        socket.socket(socket.AF_UNIX).connect(path)
    relay = start_relay(endpoints=[{"address": path, "authkey": AUTHKEY.decode()}])
    peer = rw.Peer(path, relay.authkey, "on-replaced-socket")
    assert peer.welcome.fields["version"] == 1
    peer.close()


def test_socket_where_another_daemon_listens_is_refused(start_relay, mprelayd, tmp_path, short_dir):
    path = os.path.join(short_dir, "taken.sock")
    first = start_relay(endpoints=[{"address": path, "authkey": AUTHKEY.decode()}])
    inode = os.stat(path).st_ino
    out = run_expecting_refusal(mprelayd, tmp_path, "second", path)
    assert path in out and "listening" in out, "unclear refusal: %r" % out
    # The first daemon keeps its socket file and keeps serving.
    assert os.path.exists(path) and os.stat(path).st_ino == inode, "the second daemon touched the live socket"
    peer = rw.Peer(path, first.authkey, "first-still-serves")
    peer.close()


def test_socket_where_a_plain_listener_is_is_refused(mprelayd, tmp_path, short_dir):
    path = os.path.join(short_dir, "plain.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(1)
    try:
        out = run_expecting_refusal(mprelayd, tmp_path, "plain", path)
        assert path in out and "listening" in out, out
        assert os.path.exists(path)
    finally:
        listener.close()


def test_regular_file_at_socket_path_is_refused(mprelayd, tmp_path, short_dir):
    path = os.path.join(short_dir, "precious.sock")
    with open(path, "w") as f:
        f.write("do not delete me\n")
    out = run_expecting_refusal(mprelayd, tmp_path, "regular", path)
    assert path in out and "not a socket" in out, "unclear refusal: %r" % out
    with open(path) as f:
        assert f.read() == "do not delete me\n"


def test_abstract_name_in_use_is_refused(start_relay, mprelayd, tmp_path):
    first = start_relay()
    printed = first.printed[2]
    assert printed.startswith("@")
    out = run_expecting_refusal(mprelayd, tmp_path, "abstract-dup", printed)
    assert printed in out, out
    rw.Peer(first.by_kind("abstract"), first.authkey, "abstract-owner").close()


@pytest.mark.parametrize("text, place", [
    ("[=\n", "1:2"),
    ("b=[1,}\n", "1:6"),
    ("t=1979-05-27T:\n", "1:13"),
    # Nesting far past the parser's limit is refused at the limit, on the reload thread's stack.
    ("a = " + "[" * 200000 + "\n", "1:37"),
    ("\xff\n", "1:1"),
], ids=["table-header", "array-element", "date-without-time", "deep-nesting", "invalid-utf8"])
def test_reload_of_a_malformed_file_is_refused_with_its_place(start_relay, text, place):
    """A malformed file fails the reload with the file, line and column in the ERROR line; the
    relay keeps running on its old configuration."""
    relay = start_relay()
    peer = rw.Peer(relay.by_kind("inet"), relay.authkey, "survivor")
    with open(relay.config_path, "wb") as f:
        f.write(text.encode("latin-1"))
    relay.proc.send_signal(signal.SIGHUP)
    relay.wait_for_log(r"^\[ERROR/MainProcess\] reload rejected, the running configuration is unchanged: %s:%s: "
                       % (re.escape(relay.config_path), place))
    assert relay.proc.poll() is None, "the daemon died on a reload"
    names = peer.request(rw.list_peers(7), rw.PEERS).fields["names"]
    assert names == [b"survivor"], names
    peer.close()
