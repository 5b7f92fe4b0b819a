"""mprelayd fed bytes no client should send: a length prefix of 2**62 and random bytes, before and
after HELLO. The broker ends the connection with an ERROR, stops reading it, and its memory and
the peers exchanging beside it are not affected. The load tests (slowloris, outbound flood,
churn) are in test_daemon_hostile_load.py.
"""

import random
import select
import socket
import struct
from multiprocessing.connection import Client

import pytest

import relaywire as rw
from relaywire import read_until_closed

MIB = 1024 * 1024


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
