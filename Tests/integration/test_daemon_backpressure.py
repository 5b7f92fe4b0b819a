"""Backpressure on a connection's own answers (docs/PROTOCOL.md §4): while the answers the broker
owes a client are at max_outbound_bytes, the broker stops reading from it, so the client's writes
wait in TCP whatever its write pattern; only a client that reads nothing for slow_consumer_timeout
is disconnected, and then ERROR `slow consumer` comes before the close."""

import struct
import threading
import time

import pytest

import relaywire as rw

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


def test_a_client_that_never_reads_gets_slow_consumer_before_the_close(start_relay):
    """§4: a client that reads nothing for slow_consumer_timeout is disconnected, and ERROR
    `slow consumer` is queued behind its answers, before the close. On the socket-file endpoint,
    whose kernel buffers are small and fixed, so the answers soon wait in the broker's queue."""
    relay = start_relay(max_outbound_bytes=65536, max_message_bytes=16384, slow_consumer_timeout=1.0)
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
    relay.wait_for_log(r"\(peer deaf\): slow consumer: the outbound queue stayed full", timeout=10.0)
    envs = read_until_closed(sock, timeout=10.0)
    kinds = [env.kind for env in envs]
    assert kinds, "nothing was read before the close"
    assert kinds[-1] == rw.ERROR and set(kinds[:-1]) == {rw.PONG}, kinds[-3:]
    assert envs[-1].fields["code"] == rw.E_SLOW_CONSUMER, envs[-1].fields
    ids = [env.fields["cid"] for env in envs[:-1]]
    assert ids == [1 + i % 10000 for i in range(len(ids))]
    print("\nnever-reading client: %d PONGs, then ERROR slow consumer, then the close" % len(ids))
    assert "does not read its replies" not in relay.log()
    peer.close()


def read_until_closed(sock, timeout):
    """Every envelope until the broker closes, read in large chunks."""
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
    envs, offset = [], 0
    while offset + 4 <= len(data):
        (length,) = struct.unpack_from(">i", data, offset)
        assert offset + 4 + length <= len(data), "a frame cut short by the close"
        envs.append(rw.decode(bytes(data[offset + 4:offset + 4 + length])))
        offset += 4 + length
    assert offset == len(data)
    return envs
