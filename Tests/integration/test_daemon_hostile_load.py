"""mprelayd under hostile load: slowloris handshakes, absurd length prefixes, random bytes, a flood
into a receiver that never reads, and connection churn. Each test prints its figures (run pytest
with -s to see them) and is bounded in time.

The heavy ones (slowloris, outbound flood, churn) run only under the newest interpreter present,
so that the six-interpreter run of `make test` stays short; see relayharness.heavy_test_skip_reason.
"""

import random
import resource
import select
import socket
import struct
import threading
import time
from multiprocessing.connection import Client

import pytest

import relaywire as rw
from relaywire import read_until_closed
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



def split_frames(data):
    frames = []
    while data:
        (n,) = struct.unpack(">i", data[:4])
        assert 0 <= n <= len(data) - 4, "broker wrote a bad frame: %r" % data[:200]
        frames.append(rw.decode(data[4:4 + n]))
        data = data[4 + n:]
    return frames


@pytest.mark.parametrize("registered", [True, False], ids=["after-hello", "before-hello"])
def test_length_prefix_of_2_to_the_62(start_relay, registered):
    relay = start_relay()
    steady = rw.Bystander(relay.by_kind("abstract"), relay.authkey, prefix="huge-bystander")
    rss_before, hwm_before = relay.rss_kib(), relay.status_kib("VmHWM")
    for i in range(10):
        conn = Client(relay.by_kind("inet" if i % 2 else "unix"), authkey=relay.authkey)
        if registered:
            rw.Peer.wrap(conn).register("huge-%d" % i)
        sock = rw.raw_socket(conn)
        sock.sendall(struct.pack(">iQ", -1, 2 ** 62) + b"x" * 4096)
        frames = split_frames(read_until_closed(sock, timeout=3.0))
        sock.close()
        conn.close()
        assert [f.kind for f in frames] == [rw.ERROR], "expected one ERROR then the close, got %r" % frames
        assert frames[0].fields["code"] == rw.E_TOO_LARGE, frames[0].fields
    rss_after, hwm_after = relay.rss_kib(), relay.status_kib("VmHWM")
    print("\n10 headers of 2**62: VmRSS %d -> %d KiB, VmHWM %d -> %d KiB" % (rss_before, rss_after, hwm_before, hwm_after))
    assert hwm_after - hwm_before < 16 * 1024, "the daemon's peak RSS grew by %d KiB" % (hwm_after - hwm_before)
    assert steady.stop() > 0
    rw.exchange_check(relay.by_kind("inet"), relay.authkey, "huge-after-a", "huge-after-b")
    relay.wait_for_log(r"closing connection from .*message too large.*body was not read")


def random_bytes(rng, n):
    return rng.getrandbits(8 * n).to_bytes(n, "little")


def random_chunk(rng, framed):
    """16 KiB of random bytes; with `framed`, random envelope bodies in well-formed frames, so the
    envelope decoder (not only the frame header check) gets the noise."""
    if not framed:
        return random_bytes(rng, 16384)
    out = b""
    while len(out) < 16384:
        body = random_bytes(rng, rng.randint(1, 300))
        out += struct.pack(">i", len(body)) + body
    return out


def feed_random_until_closed(sock, rng, cap, framed=False):
    """Writes random bytes, reading whatever the broker says meanwhile, until it closes the
    connection (or `cap` bytes are written); returns what it sent and how much was written."""
    sock.settimeout(2.0)
    data, written = b"", 0
    while written < cap:
        readable, _, _ = select.select([sock], [], [], 0.01)
        if readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return data, written
            if not chunk:
                return data, written
            data += chunk
            continue
        try:
            chunk = random_chunk(rng, framed)
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        except socket.timeout:
            continue
        written += len(chunk)
    return data + read_until_closed(sock, timeout=5.0), written


SEEDS = [1, 2, 3, 5, 8, 13]
CLOSING_CODES = {rw.E_TOO_LARGE, rw.E_MALFORMED, rw.E_INVALID_NAME, rw.E_UNSUPPORTED_VERSION, rw.E_UNEXPECTED}


def noise_case(relay, seed, registered, framed):
    """One authenticated connection (registered or not) that sends random bytes; returns a line
    saying what happened. Asserts the broker answered with ERRORs only and closed."""
    rng = random.Random(seed)
    # A socket file: on TCP a reset could discard the ERROR before it is read.
    conn = Client(relay.by_kind("unix"), authkey=relay.authkey)
    if registered:
        rw.Peer.wrap(conn).register("noise-%d" % seed)
    sock = rw.raw_socket(conn)
    data, written = feed_random_until_closed(sock, rng, cap=4 * MIB, framed=framed)
    sock.close()
    conn.close()
    frames = split_frames(data)
    line = "seed %2d %-6s %-12s %7d bytes written -> %s" % (
        seed, "framed" if framed else "raw", "after HELLO" if registered else "before HELLO", written,
        ", ".join("ERROR %s" % f.fields.get("code") if f.kind == rw.ERROR else "kind %d" % f.kind for f in frames)
        or "closed without ERROR")
    assert written < 4 * MIB, "%s: the broker kept reading random bytes" % line
    assert all(f.kind in (rw.ERROR, rw.PONG) for f in frames), line
    assert frames and frames[-1].kind == rw.ERROR and frames[-1].fields["code"] in CLOSING_CODES, \
        "%s: expected an ERROR that closes, then the close" % line
    return line


def test_random_bytes_after_a_good_handshake(start_relay):
    relay = start_relay(max_message_bytes=1 * MIB)
    victim = rw.Peer(relay.by_kind("unix"), relay.authkey, "victim")
    steady = rw.Bystander(relay.by_kind("abstract"), relay.authkey, prefix="random-bystander")
    rss_before = relay.rss_kib()
    outcomes = [noise_case(relay, seed, registered, framed)
                for seed in SEEDS for registered in (False, True) for framed in (False, True)]
    print("\n" + "\n".join(outcomes))
    rss_after = relay.rss_kib()
    print("daemon VmRSS %d -> %d KiB" % (rss_before, rss_after))
    assert rss_after - rss_before < 32 * 1024
    assert not victim.conn.poll(0.2), "the victim received %r" % (victim.recv(),)
    assert steady.stop() > 0, "the bystander pair exchanged nothing"
    rw.exchange_check(relay.by_kind("inet"), relay.authkey, "random-after-a", "random-after-b")
    victim.close()


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
