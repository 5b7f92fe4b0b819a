"""Keys, [[principal]] tables and wire and log checks shared by the test_daemon_principals*.py
suites.
"""

import re
import time

import relaywire as rw

WORKERS_KEY = b"workers-key-5b1f"
COORDINATOR_KEY = b"coordinator-key-93c2"
MUTE_KEY = b"mute-key-0d4e"

PRINCIPALS = [
    {"name": "workers", "authkey": WORKERS_KEY.decode(), "may_register": ["worker-*"],
     "may_send_to": ["coordinator", "worker-*"]},
    {"name": "coordinator", "authkey": COORDINATOR_KEY.decode(), "may_register": ["coordinator"],
     "may_send_to": ["worker-*"], "may_list": True},
    # No may_send_to and no may_list: deny by default.
    {"name": "mute", "authkey": MUTE_KEY.decode(), "may_register": ["mute-*"]},
]


def local_address(peer):
    """The client's own address as the daemon logs it: `127.0.0.1:PORT`."""
    s = rw.raw_socket(peer.conn)
    try:
        host, port = s.getsockname()[:2]
    finally:
        s.close()
    return "%s:%d" % (host, port)


def connection_of(relay, address):
    """The daemon's `Connection-N` label for the client at `address` (from its accept line)."""
    m = relay.wait_for_log(r"^\[\w+/(Connection-\d+)\] authenticated from %s " % re.escape(address))
    return m.group(1)


def lines_of(relay, connection, level=None):
    pattern = r"^\[%s/%s\] .*$" % (level or r"\w+", re.escape(connection))
    return re.findall(pattern, relay.log(), re.M)


def wait_count(relay, pattern, count, timeout=5.0):
    """Waits until the log has exactly `count` matches of `pattern` (fails on more, or on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        found = len(re.findall(pattern, relay.log(), re.M))
        assert found <= count, "%d matches of %r, expected %d" % (found, pattern, count)
        if found == count:
            return
        assert time.monotonic() < deadline, "%d matches of %r after %.1f s, expected %d" % (found, pattern, timeout, count)
        time.sleep(0.02)


def assert_open(peer, cid=0x5151):
    """The connection still answers: a PING gets its PONG."""
    peer.send_raw(rw.ping(cid))
    env = peer.recv()
    assert (env.kind, env.fields.get("cid")) == (rw.PONG, cid), "expected PONG %d, got %r" % (cid, env)


def assert_nothing_for(peer, wait=0.3):
    assert not peer.conn.poll(wait), "%s received %r" % (peer.name, peer.recv())


def one_error_then_closed(peer, code, peer_name="", cid=0):
    envs = peer.drain()
    assert [e.kind for e in envs] == [rw.ERROR], "expected one ERROR %d then close, got %r" % (code, envs)
    f = envs[0].fields
    assert (f["code"], f["peer"], f["cid"]) == (code, peer_name, cid), f
    return f

