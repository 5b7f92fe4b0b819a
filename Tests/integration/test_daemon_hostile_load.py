"""mprelayd under hostile load: slowloris handshakes, a flood into a receiver that never reads,
and connection churn. Each test prints its figures (run pytest with -s to see them) and is
bounded in time. Absurd length prefixes and random bytes are in test_daemon_hostile_bytes.py.

The heavy ones (slowloris, outbound flood, churn) run only under the newest interpreter present,
so that the six-interpreter run of `make test` stays short; see relayharness.heavy_test_skip_reason.
"""

import resource
import socket
import threading
import time
from multiprocessing.connection import Client

import pytest

import relaywire as rw
from relayharness import heavy_test_skip_reason

_SKIP = heavy_test_skip_reason()
heavy = pytest.mark.skipif(_SKIP is not None, reason=_SKIP or "")

MIB = 1024 * 1024


def raise_nofile(want):
    """Raises this process's soft RLIMIT_NOFILE to `want`; returns the old limits to restore."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip("RLIMIT_NOFILE hard limit %d is below the %d descriptors needed" % (hard, want))
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return soft, hard


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def round_trip(a, b, i):
    """a -> b, b answers with reply set -> a; returns the seconds it took."""
    started = time.perf_counter()
    a.send(b.name, b"ping %d" % i, cid=i)
    d = b.recv_kind(rw.DELIVER, timeout=5)
    assert (d.fields["cid"], d.fields["payload"]) == (i, b"ping %d" % i), d.fields
    b.send(a.name, b"pong %d" % i, cid=i, options=rw.OPT_REPLY)
    d = a.recv_kind(rw.DELIVER, timeout=5)
    assert (d.fields["cid"], d.fields["options"], d.fields["payload"]) == (i, rw.OPT_REPLY, b"pong %d" % i), d.fields
    return time.perf_counter() - started


class RssSampler:
    """Samples the daemon's VmRSS every `interval` seconds in a thread; `peak` is the largest."""

    def __init__(self, relay, interval=0.02):
        self.relay = relay
        self.peak = relay.rss_kib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval):
        while not self._stop.wait(interval):
            try:
                self.peak = max(self.peak, self.relay.rss_kib())
            except (OSError, AssertionError):
                return

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self.peak


@heavy
def test_slowloris_handshakes_do_not_stall_a_registered_pair(start_relay):
    flood_size = 1000
    limits = raise_nofile(flood_size + 512)
    try:
        # max_handshakes above the flood, and no penalty: each timed-out handshake counts as a
        # failure from 127.0.0.1, and the point here is the flood itself, not the limiter.
        relay = start_relay(log_level="info", max_handshakes=flood_size + 500, auth_failure_penalty=0.0,
                            handshake_timeout=6.0)
        inet = relay.by_kind("inet")
        a = rw.Peer(inet, relay.authkey, "pair-a")
        b = rw.Peer(inet, relay.authkey, "pair-b")
        for i in range(50):  # warm up
            round_trip(a, b, i + 1)
        idle = [round_trip(a, b, 1000 + i) for i in range(500)]
        fd_before = relay.fd_count()

        flood, opened_at = [], []

        def open_flood():
            for _ in range(flood_size):
                s = socket.socket(socket.AF_INET)
                s.connect(inet)  # and never says a word
                flood.append(s)
            opened_at.append(time.monotonic())

        opener = threading.Thread(target=open_flood, daemon=True)
        started = time.monotonic()
        opener.start()
        loaded, stamps, held_fds, i, sampled = [], [], 0, 10000, 0.0
        # Round trips while the flood opens, while it is held, and while the daemon times it out.
        while time.monotonic() - started < 12.0:
            i += 1
            loaded.append(round_trip(a, b, i))
            stamps.append(time.monotonic())
            if time.monotonic() - sampled > 0.05:
                sampled = time.monotonic()
                held_fds = max(held_fds, relay.fd_count())
            if opened_at and time.monotonic() - opened_at[0] > relay.broker["handshake_timeout"] + 2.0:
                break
        opener.join(10)
        assert opened_at, "the flood did not open in time"
        # Every flood connection was held (challenge sent), then closed by the daemon.
        closed = 0
        for s in flood:
            s.settimeout(3.0)
            data = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        closed += 1
                        break
                    data += chunk
            except (ConnectionResetError, socket.timeout):
                pass
            s.close()
        fd_after = relay.fd_count()
        a.close()
        b.close()
        print("\nslowloris: %d silent connections opened in %.2f s; daemon fds %d idle, %d at most, %d after"
              % (flood_size, opened_at[0] - started, fd_before, held_fds, fd_after))
        expiry = opened_at[0] + relay.broker["handshake_timeout"]
        phases = [
            ("idle broker", idle),
            ("flood, all", loaded),
            ("flood opening", [x for x, t in zip(loaded, stamps) if t <= opened_at[0] + 0.5]),
            ("flood held", [x for x, t in zip(loaded, stamps) if opened_at[0] + 0.5 < t < expiry - 1.0]),
            ("mass timeout", [x for x, t in zip(loaded, stamps) if expiry - 1.0 <= t <= expiry + 1.5]),
        ]
        print("pair round trip (2 relays), ms   p50     p99     max      n")
        for label, xs in phases:
            if xs:
                print("  %-28s %6.3f  %6.3f  %7.3f  %d" % (label, percentile(xs, 50) * 1e3,
                                                          percentile(xs, 99) * 1e3, max(xs) * 1e3, len(xs)))
        assert held_fds >= fd_before + flood_size * 0.95, \
            "the daemon held %d descriptors (idle %d): the flood was not accepted" % (held_fds, fd_before)
        assert closed == flood_size, "%d of %d silent connections were closed by the daemon" % (closed, flood_size)
        assert max(loaded) < 1.0, "a round trip took %.3f s under the flood" % max(loaded)
        assert len(loaded) > 100, "only %d round trips in the flood window" % len(loaded)
        relay.wait_for_log(r"authentication failed from 127\.0\.0\.1:\d+ .*handshake_timeout")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)


@heavy
def test_flood_into_a_receiver_that_never_reads_stays_bounded(start_relay):
    bound = 1 * MIB
    relay = start_relay(log_level="info", max_message_bytes=65536, max_outbound_bytes=bound)
    unix = relay.by_kind("unix")
    stuck = rw.Peer(unix, relay.authkey, "never-reads")
    senders = [rw.Peer(relay.by_kind("inet" if i % 2 else "unix"), relay.authkey, "flooder-%d" % i) for i in range(4)]
    time.sleep(0.2)
    baseline = relay.rss_kib()
    sampler = RssSampler(relay)
    payload = b"f" * 65000
    stats = [{"sent": 0, "busy": 0, "other": []} for _ in senders]

    def flood(peer, st, until):
        try:
            while time.monotonic() < until:
                st["sent"] += 1
                peer.send("never-reads", payload, cid=st["sent"])
                while peer.conn.poll(0):
                    env = peer.recv()
                    if env.kind == rw.ERROR and env.fields["code"] == rw.E_PEER_BUSY:
                        st["busy"] += 1
                    else:
                        st["other"].append(env)
            # Everything the broker says about our SENDs comes before the PONG.
            peer.send_raw(rw.ping(777))
            while True:
                env = peer.recv(timeout=10)
                if env.kind == rw.PONG:
                    break
                if env.kind == rw.ERROR and env.fields["code"] == rw.E_PEER_BUSY:
                    st["busy"] += 1
                else:
                    st["other"].append(env)
        except BaseException as exc:
            st["other"].append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=flood, args=(p, st, started + 5.0), daemon=True) for p, st in zip(senders, stats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - started
    peak = sampler.stop()
    during = relay.rss_kib()
    sent = sum(st["sent"] for st in stats)
    busy = sum(st["busy"] for st in stats)
    for st in stats:
        assert not st["other"], "a flooder got %r" % st["other"][:3]
    # Nothing silently dropped: the receiver gets exactly what was not refused, in order per sender.
    got = {p.name: [] for p in senders}
    while stuck.conn.poll(1.0):
        d = stuck.recv_kind(rw.DELIVER)
        got[d.fields["sender"]].append(d.fields["cid"])
    for p, st in zip(senders, stats):
        assert len(got[p.name]) == st["sent"] - st["busy"], \
            "%s: %d sent, %d refused, %d delivered" % (p.name, st["sent"], st["busy"], len(got[p.name]))
        assert got[p.name] == sorted(got[p.name])
    after = relay.rss_kib()
    print("\nflood: %d SENDs of %d bytes (%.0f MiB) in %.1f s, %d refused busy, %d queued and delivered"
          % (sent, len(payload), sent * len(payload) / MIB, elapsed, busy, sent - busy))
    print("daemon VmRSS: baseline %.1f MiB, peak %.1f MiB, after the flood %.1f MiB, after draining %.1f MiB "
          "(limit baseline + %.0f MiB bound + 64 MiB)" % (baseline / 1024, peak / 1024, during / 1024, after / 1024, bound / MIB))
    assert busy > sent // 2, "the receiver's queue was rarely full: the flood proves nothing"
    assert peak < baseline + bound // 1024 + 64 * 1024, "daemon VmRSS peaked at %.1f MiB (baseline %.1f)" % (peak / 1024, baseline / 1024)
    for p in senders:
        p.close()
    stuck.close()


@heavy
def test_connection_churn_returns_to_baseline(start_relay):
    cycles, workers = 10000, 4
    relay = start_relay(log_level="info", auth_failure_penalty=0.0)
    addresses = [relay.by_kind("inet"), relay.by_kind("unix"), relay.by_kind("abstract")]
    rw.exchange_check(addresses[0], relay.authkey, "warm-a", "warm-b")
    time.sleep(0.3)
    rss_before, fd_before = relay.rss_kib(), relay.fd_count()
    sampler = RssSampler(relay, interval=0.05)
    errors = []

    def churn(worker):
        try:
            for i in range(worker, cycles, workers):
                conn = Client(addresses[i % len(addresses)], authkey=relay.authkey)
                name = "churn-%05d" % i
                conn.send_bytes(rw.hello(name))
                env = rw.decode(conn.recv_bytes())
                assert env.kind == rw.WELCOME, (name, env)
                if i % 2:
                    conn.send_bytes(rw.goodbye(0, b"bye"))
                conn.close()
        except BaseException as exc:
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=churn, args=(w,), daemon=True) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    assert not errors, errors[:3]
    # Wait for the daemon to process the last closes.
    deadline = time.monotonic() + 10
    while relay.fd_count() != fd_before and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    peak = sampler.stop()
    rss_after, fd_after = relay.rss_kib(), relay.fd_count()
    print("\nchurn: %d connect/handshake/HELLO/close cycles in %.1f s (%.0f cycles/s, %d threads)"
          % (cycles, elapsed, cycles / elapsed, workers))
    print("daemon VmRSS: before %.1f MiB, peak %.1f MiB, after %.1f MiB; open fds: before %d, after %d"
          % (rss_before / 1024, peak / 1024, rss_after / 1024, fd_before, fd_after))
    assert relay.log().count("] registered as churn-") == cycles
    assert fd_after == fd_before, "the daemon holds %d descriptors after the churn, %d before" % (fd_after, fd_before)
    assert rss_after < rss_before + 20 * 1024, "daemon VmRSS %.1f MiB after the churn, %.1f before" % (rss_after / 1024, rss_before / 1024)
    rw.exchange_check(addresses[1], relay.authkey, "after-churn-a", "after-churn-b")
