"""Backpressure on a connection's own answers (docs/PROTOCOL.md §4): while the answers the broker
owes a client are at max_outbound_bytes, the broker stops reading from it, so the client's writes
wait in TCP whatever its write pattern; only a client that reads nothing for slow_consumer_timeout
is disconnected, and then ERROR `slow consumer` comes before the close."""

import struct
import threading
import time

import pytest

import relaywire as rw
from relayharness import heavy_test_skip_reason

PINGS = 20000


def registered_socket(relay, name):
    """A TCP connection through the handshake and HELLO, as a plain blocking socket."""
    peer = rw.Peer(relay.by_kind("inet"), relay.authkey, name)
    return peer, rw.raw_socket(peer.conn)


def ping_burst(count):
    """`count` PING frames, ids 1..count, in one buffer (13 bytes each)."""
    return b"".join(rw.frame_header(9) + rw.ping(cid) for cid in range(1, count + 1))


def read_pongs(sock, count, timeout):
    """The ids of `count` PONGs read from `sock`, failing on anything else."""
    sock.settimeout(timeout)
    ids = []
    while len(ids) < count:
        env = rw.decode(rw.recv_frame(sock))
        assert env.kind == rw.PONG, "PONG %d of %d was %r" % (len(ids) + 1, count, env)
        ids.append(env.fields["cid"])
    return ids


@pytest.mark.parametrize("bound", [65536, None], ids=["smallest-bound", "default-bound"])
def test_a_burst_written_at_once_waits_instead_of_closing(start_relay, bound):
    """§4: "A client that sends faster than it reads its answers therefore sees its writes wait,
    not its connection closed." 20,000 PINGs (260 KB) in one sendall, nothing read meanwhile."""
    settings = {} if bound is None else dict(max_outbound_bytes=bound, max_message_bytes=16384)
    relay = start_relay(**settings)
    peer, sock = registered_socket(relay, "burst")
    burst = ping_burst(PINGS)
    written = threading.Event()
    failure = []

    def write_all():
        try:
            sock.sendall(burst)
        except OSError as exc:
            failure.append(repr(exc))
        written.set()

    writer = threading.Thread(target=write_all, daemon=True)
    writer.start()
    time.sleep(1.0)  # the answers pile up while the client reads nothing
    ids = read_pongs(sock, PINGS, timeout=20.0)
    assert written.wait(20.0) and not failure, failure
    assert ids == list(range(1, PINGS + 1))
    log = relay.log()
    assert "does not read its replies" not in log and "slow consumer" not in log, log[-2000:]
    # Still registered and answering.
    rw.send_frame(sock, rw.ping(PINGS + 1))
    assert read_pongs(sock, 1, timeout=5.0) == [PINGS + 1]
    peer.close()


_HEAVY = heavy_test_skip_reason()


@pytest.mark.parametrize("bound", [
    65536,
    pytest.param(None, marks=pytest.mark.skipif(_HEAVY is not None, reason=_HEAVY or "")),
], ids=["smallest-bound", "default-bound"])
def test_a_client_that_never_reads_gets_slow_consumer_before_the_close(start_relay, bound):
    """§4: a client that reads nothing for slow_consumer_timeout is disconnected, and ERROR
    `slow consumer` is queued behind its answers, before the close. On the socket-file endpoint,
    whose kernel buffers are small and fixed, so the answers soon wait in the broker's queue (at
    the default bound, 64 MiB of PONGs: about five million PINGs)."""
    settings = {} if bound is None else dict(max_outbound_bytes=bound, max_message_bytes=16384)
    relay = start_relay(slow_consumer_timeout=1.0, **settings)
    peer = rw.Peer(relay.by_kind("unix"), relay.authkey, "deaf")
    sock = rw.raw_socket(peer.conn)
    burst = ping_burst(10000)

    def write_until_closed():
        try:
            while True:
                sock.sendall(burst)
        except OSError:
            pass  # the broker closed the connection: expected

    threading.Thread(target=write_until_closed, daemon=True).start()
    relay.wait_for_log(r"\(peer deaf\): slow consumer: the outbound queue stayed full", timeout=60.0)
    data = read_until_closed(sock, timeout=30.0)
    pongs, last = pongs_then_last(data, cycle=10000)
    assert pongs > 0, "nothing was read before the close"
    assert last.kind == rw.ERROR and last.fields["code"] == rw.E_SLOW_CONSUMER, last
    print("\nnever-reading client: %d PONGs in order, then ERROR slow consumer, then the close" % pongs)
    assert "does not read its replies" not in relay.log()
    peer.close()


def read_until_closed(sock, timeout):
    """Every byte until the broker closes, read in large chunks."""
    sock.settimeout(timeout)
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def pongs_then_last(data, cycle):
    """Checks that `data` is PONGs with ids 1..cycle repeating, then one last envelope: returns
    how many PONGs and the last envelope, decoded. Frames are checked in place, not decoded one
    by one, since there may be millions."""
    offset, count, last = 0, 0, None
    pong = rw.PONG
    while offset + 4 <= len(data):
        (length,) = struct.unpack_from(">i", data, offset)
        assert offset + 4 + length <= len(data), "a frame cut short by the close"
        if offset + 4 + length == len(data):
            last = rw.decode(bytes(data[offset + 4:]))
            break
        kind, cid = struct.unpack_from(">BQ", data, offset + 4)
        assert (length, kind, cid) == (9, pong, 1 + count % cycle), "frame %d: %r" % (count, (length, kind, cid))
        count += 1
        offset += 4 + length
    assert last is not None, "no final envelope before the close"
    return count, last
