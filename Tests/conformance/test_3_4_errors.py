"""docs/PROTOCOL.md §3.4, ERROR: the layout, and every row of both tables (which code when, what
id and name it carries, whether the connection closes), each provoked against a real daemon."""

import pytest

import docwire as w
from backpressure import fill_queue_of, never_reading_client

FULL_KEY, NARROW_KEY, RENEWED_KEY = b"full-key", b"narrow-key", b"renewed-key"
PRINCIPALS = [
    {"name": "full", "authkey": FULL_KEY.decode(), "may_register": ["*"], "may_send_to": ["*"], "may_list": True},
    {"name": "narrow", "authkey": NARROW_KEY.decode(), "may_register": ["n-*"], "may_send_to": ["full-*"],
     "max_names": 1, "max_connections": 2},
    {"name": "replacing", "authkey": ["old-key", RENEWED_KEY.decode()], "may_register": ["r-*"],
     "on_name_conflict": "replace"},
]


def still_open(client):
    client.send(w.with_id(w.PING, 999))
    client.expect(w.PONG, cid=999)


# Each case provokes one situation and returns (client, ERROR envelope, whether it must close).

def unknown_peer(relay, connect):
    client = connect(relay, b"full-a", key=FULL_KEY)
    client.send(w.send(b"nobody", b"x", cid=1))
    return client, client.expect(w.ERROR, cid=1, name=b"nobody"), False


def refused_hello(relay, connect, key, body, name):
    """A client that sends HELLO `body` and gets an ERROR with id 0 and `name`, which closes."""
    client = connect(relay, key=key)
    client.send(body)
    return client, client.expect(w.ERROR, cid=0, name=name), True


def name_taken(relay, connect):
    connect(relay, b"full-held", key=FULL_KEY)
    return refused_hello(relay, connect, FULL_KEY, w.hello(b"full-held"), b"full-held")


def payload_too_large(relay, connect):
    connect(relay, b"full-b", key=FULL_KEY)
    client = connect(relay, b"full-a", key=FULL_KEY)
    client.send(w.send(b"full-b", b"x" * 16385, cid=3))
    return client, client.expect(w.ERROR, cid=3, name=b"full-b"), False


def frame_too_large(relay, connect):
    client = connect(relay, b"full-a", key=FULL_KEY)
    client.send_raw((16384 + w.LARGEST_ENVELOPE_HEADER + 1).to_bytes(4, "big"))
    return client, client.expect(w.ERROR, cid=0, name=b""), True


def malformed(relay, connect):
    client = connect(relay, b"full-a", key=FULL_KEY)
    client.send(w.with_id(w.PING, 1)[:5])
    return client, client.expect(w.ERROR, cid=0, name=b""), True


def send_not_permitted(relay, connect):
    connect(relay, b"full-b", key=FULL_KEY)
    client = connect(relay, b"n-a", key=NARROW_KEY)
    client.send(w.send(b"n-elsewhere", b"x", cid=5))
    return client, client.expect(w.ERROR, cid=5, name=b"n-elsewhere"), False


def list_not_permitted(relay, connect):
    client = connect(relay, b"n-a", key=NARROW_KEY)
    client.send(w.with_id(w.LIST, 6))
    return client, client.expect(w.ERROR, cid=6, name=b""), False


def watch_not_permitted(relay, connect):
    client = connect(relay, b"n-a", key=NARROW_KEY)
    client.send(w.watch(7))
    return client, client.expect(w.ERROR, cid=7, name=b""), False


def register_not_permitted(relay, connect):
    return refused_hello(relay, connect, NARROW_KEY, w.hello(b"full-not-mine"), b"full-not-mine")


def max_names_not_permitted(relay, connect):
    connect(relay, b"n-1", key=NARROW_KEY)
    return refused_hello(relay, connect, NARROW_KEY, w.hello(b"n-2"), b"n-2")


def max_connections_not_permitted(relay, connect):
    connect(relay, key=NARROW_KEY)
    connect(relay, key=NARROW_KEY)
    client = connect(relay, key=NARROW_KEY)
    return client, client.expect(w.ERROR, cid=0, name=b""), True


def peer_busy(relay, connect):
    sender = connect(relay, b"full-a", key=FULL_KEY)
    connect(relay, b"full-deaf", key=FULL_KEY, family="unix")
    _, env = fill_queue_of(sender, b"full-deaf", 16384)
    assert env.fields["name"] == b"full-deaf"
    return sender, env, False


def invalid_name(relay, connect):
    return refused_hello(relay, connect, FULL_KEY, w.hello(b"\xffbad"), b"\xffbad")


def unsupported_version(relay, connect):
    return refused_hello(relay, connect, FULL_KEY, w.hello(b"full-v9", version=9), b"full-v9")


def unexpected(relay, connect):
    return refused_hello(relay, connect, FULL_KEY, w.with_id(w.LIST, 9), b"")


def slow_consumer(relay, connect):
    client = never_reading_client(relay, connect, b"full-slow", key=FULL_KEY)
    envs = client.read_until_closed(timeout=10.0)
    assert envs and {e.kind for e in envs[:-1]} <= {w.PONG}, envs[-3:]
    return client, envs[-1], True


def kicked(relay, connect):
    client = connect(relay, b"r-kicked", key=b"old-key")
    renewed = [dict(p, authkey=RENEWED_KEY.decode()) if p["name"] == "replacing" else p for p in PRINCIPALS]
    relay.reload(principals=renewed)
    return client, client.expect(w.ERROR, cid=0, name=b""), True


def idle_timeout(relay, connect):
    client = connect(relay, b"full-idle", key=FULL_KEY)
    client.expect(w.PING)
    return client, client.expect(w.ERROR, cid=0, name=b""), True


def replaced(relay, connect):
    client = connect(relay, b"r-name", key=RENEWED_KEY)
    connect(relay, b"r-name", key=RENEWED_KEY)
    return client, client.expect(w.ERROR, cid=0, name=b"r-name"), True


# (code, case, the rows of both tables it checks)
ROWS = [
    (1, unknown_peer, "| 1 | unknown peer | SEND to a name nobody registered | stays open | / | the SEND's | the SEND's destination |"),
    (2, name_taken, "| 2 | name taken | HELLO with a name that is registered | closed | / | 0 | the HELLO's name | closes |"),
    (3, payload_too_large, "| 3 | message too large | SEND payload over `max_message_bytes` | open | / | the SEND's | the SEND's destination |"),
    (3, frame_too_large, "| 3 | ... or a frame header over the frame limit | closed for a frame header | / | 0 | empty | closes |"),
    (4, malformed, "| 4 | malformed frame | an envelope that does not decode | closed | / | 0 | empty | closes |"),
    (5, send_not_permitted, "| 5 | not permitted | ... | stays open | / | the SEND's | the SEND's destination | `may_send_to` |"),
    (5, list_not_permitted, "| 5 not permitted | the LIST's or WATCH's | empty | `may_list` | (LIST)"),
    (5, watch_not_permitted, "| 5 not permitted | the LIST's or WATCH's | empty | `may_list` | (WATCH)"),
    (5, register_not_permitted, "| 5 | (closed after HELLO) | / | 0 | the HELLO's name | `may_register` ...; closes |"),
    (5, max_names_not_permitted, "| 5 | (closed after HELLO) | / | 0 | the HELLO's name | ... `max_names`; closes |"),
    (5, max_connections_not_permitted, "| 5 not permitted | 0 | empty | the principal's `max_connections`, right after the handshake; closes |"),
    (6, peer_busy, "| 6 | peer busy | the receiver's outbound queue is full | stays open | / | the SEND's | the SEND's destination |"),
    (7, invalid_name, "| 7 | invalid name | HELLO name breaks §3.1 | closed | / | 0 | the HELLO's name bytes, as sent | closes |"),
    (8, unsupported_version, "| 8 | unsupported version | HELLO version is not 1 | closed | / | 0 | the HELLO's name | closes |"),
    (9, unexpected, "| 9 | unexpected envelope | any envelope but HELLO before HELLO, ... | closed | / | 0 | empty | closes |"),
    (10, slow_consumer, "| 10 | slow consumer | the peer left its queue over the bound too long | closed | / | 0 | empty | closes |"),
    (11, kicked, "| 11 | kicked | an operator disconnected the peer | closed | / | 0 | empty | closes |"),
    (12, idle_timeout, "| 12 | idle timeout | the peer did not answer a PING | closed | / | 0 | empty | closes |"),
    (13, replaced, "| 13 | replaced | another connection took this name | closed | / | 0 | the name taken over | closes |"),
]


@pytest.mark.parametrize("code, case, row", ROWS, ids=[case.__name__ for _, case, _ in ROWS])
def test_each_row_of_the_error_tables(daemon, connect, code, case, row):
    """§3.4, both tables, one row each (the row is the test's `row` parameter): the code, the
    correlation id ("An ERROR about one envelope the client sent carries that envelope's
    correlation id and the name from it; one about the connection as a whole carries id 0"), the
    name field, and whether the connection closes ("An ERROR that closes the connection is the
    last envelope the broker sends on it")."""
    relay = daemon(principals=PRINCIPALS, max_message_bytes=16384, max_outbound_bytes=65536,
                   slow_consumer_timeout=1.0, idle_timeout=0.4 if case is idle_timeout else 60.0)
    client, env, closes = case(relay, connect)
    assert env.kind == w.ERROR and env.fields["code"] == code, (row, env)
    assert env.fields["text"], "an ERROR without text for people: %r" % (env,)
    if closes:
        client.expect_closed()
    else:
        still_open(client)


def test_every_code_has_a_row():
    """§3.4: the code table lists codes 1 to 14, and each but 14 is provoked above; 14 (`cluster
    unavailable`) needs a cluster node whose NATS servers are gone, which Tests/cluster provokes."""
    assert sorted({code for code, _, _ in ROWS}) == list(range(1, 14))
    assert sorted(w.ERROR_NAMES) == list(range(1, 15))


def test_the_error_layout(relay, connect):
    """§3.4, layout: "kind `0x05`", "2 error code", "8 correlation id of the envelope at fault, or
    0", "1 name length `L` (0-255)", "L the peer the error is about", "rest UTF-8 text for
    people": the raw bytes of an `unknown peer` answer."""
    client = connect(relay, b"layout")
    client.send(w.send(b"ghost", b"", cid=0xA1B2))
    body = client.recv_frame()
    assert body[:17] == bytes([0x05, 0x00, 0x01]) + (0xA1B2).to_bytes(8, "big") + b"\x05ghost"
    assert body[17:].decode("utf-8")
