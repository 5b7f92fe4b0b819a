"""Memory with many idle authenticated and registered connections."""

import resource
import time

import pytest

import relaywire as rw

CONNECTIONS = 1000
RSS_BOUND_MIB = 200


def test_rss_with_a_thousand_idle_registered_connections(start_relay):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = CONNECTIONS * 2 + 256  # our sockets, plus the daemon's if it inherits this limit
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip("RLIMIT_NOFILE hard limit %d is below the %d descriptors needed" % (hard, want))
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        relay = start_relay(log_level="info", max_connections=CONNECTIONS + 100)
        rss_before = relay.rss_kib()
        peers = []
        started = time.monotonic()
        try:
            # Authenticate all, then HELLO all, then read the WELCOMEs: pipelined, so no client
            # waits for its own round trips one by one.
            for i in range(CONNECTIONS):
                peers.append(rw.Peer(relay.addresses[i % 3], relay.authkey))
            for i, p in enumerate(peers):
                p.name = "idle-%04d" % i
                p.send_raw(rw.hello(p.name))
            for p in peers:
                assert p.recv_kind(rw.WELCOME).fields["version"] == 1
            opened = time.monotonic() - started
            time.sleep(0.5)
            rss_after = relay.rss_kib()
            # All of them are registered and the broker still answers.
            names = peers[0].request(rw.list_peers(1), rw.PEERS).fields["names"]
            assert len(names) == CONNECTIONS
            rw.exchange_check(relay.by_kind("unix"), relay.authkey, "busy-a", "busy-b")
            peers[-1].send("idle-0000", b"still here", cid=5)
            assert peers[0].recv_kind(rw.DELIVER).fields["payload"] == b"still here"
        finally:
            for p in peers:
                p.close()
        print("\ndaemon VmRSS: %.1f MiB before, %.1f MiB with %d idle registered connections "
              "(%.1f KiB each); opened in %.1f s"
              % (rss_before / 1024, rss_after / 1024, CONNECTIONS, (rss_after - rss_before) / CONNECTIONS, opened))
        assert rss_after < RSS_BOUND_MIB * 1024, "daemon VmRSS %.1f MiB with %d connections" % (rss_after / 1024, CONNECTIONS)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
