"""Bounded queues from the outside (docs/PROTOCOL.md §4): filling a receiver's queue until `peer
busy`, bursts of PINGs, and a client that writes without ever reading."""

import re
import threading

import docwire as w


def ping_burst(count, first=1):
    """`count` PING frames with ids first..first+count-1, in one buffer (13 bytes each)."""
    return b"".join(w.frame(w.with_id(w.PING, cid)) for cid in range(first, first + count))


def fill_queue_of(sender, dest, size, limit=1000):
    """SENDs of `size` bytes with `confirm` from `sender` to `dest`, which reads nothing, until one
    is refused. Returns (how many were ACKed, the refusing ERROR); asserts it is `peer busy` with
    that SEND's id and the destination."""
    for cid in range(1, limit + 1):
        sender.send(w.send(dest, b"q" * size, cid=cid, options=w.CONFIRM))
        env = sender.recv()
        if env.kind == w.ERROR:
            assert env.fields["code"] == w.PEER_BUSY and env.fields["cid"] == cid, env
            return cid - 1, env
        assert env.kind == w.ACK and env.fields["cid"] == cid, env
    raise AssertionError("%d SENDs of %d bytes to %r, and no peer busy" % (limit, size, dest))


def write_until_closed(client, data):
    """Writes `data` again and again from a thread until the broker closes the connection."""

    def run():
        try:
            while True:
                client.send_raw(data)
        except OSError:
            pass  # the broker closed the connection: what the caller waits for

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def never_reading_client(relay, connect, name, key=None):
    """A registered client on the socket-file endpoint (small, fixed kernel buffers, so the
    broker's queue fills soon) that writes PINGs and reads nothing until the broker logs that it
    drops it as a slow consumer. The caller then reads what was queued."""
    client = connect(relay, name, key=key, family="unix")
    client.sock.settimeout(None)
    write_until_closed(client, ping_burst(10000))
    relay.wait_for_log(r"^\[WARNING/.*%s.*slow consumer" % re.escape(name.decode()), timeout=15.0)
    return client
