"""docs/PROTOCOL.md §3.1, Names: what a name may be, byte-for-byte comparison, and the ERROR name
field that echoes what the client sent."""

import unicodedata

import docwire as w
from labels import case

VALID = {
    "one-byte": b"a",
    "255-bytes": b"n" * 255,
    "punctuation": b"worker-1.pool_A:7/x@y",
    "accented": "café".encode(),
    "cjk": "名前".encode(),
    "emoji": "\U0001F680".encode(),
}

INVALID = {
    "empty": b"",
    "not-utf8": b"\xff\xfename",
    "overlong-utf8": b"\xc0\xaf",
    "lone-surrogate": b"\xed\xa0\x80",
    "nul": b"a\x00b",
    "c0-control": b"a\x1fb",
    "del": b"a\x7fb",
    "c1-control-nel": "a\u0085b".encode(),
    "space": b"a b",
    "tab": b"a\tb",
    "no-break-space": "a\u00a0b".encode(),
    "em-space": "a\u2003b".encode(),
    "ideographic-space": "a\u3000b".encode(),
    "line-separator": "a\u2028b".encode(),
    "star": b"worker-*",
    "question": b"worker?",
    "open-bracket": b"w[",
    "close-bracket": b"w]",
}


def test_a_valid_name_registers(relay, connect):
    """§3.1: "A peer name is 1 to 255 bytes of UTF-8 with no control characters (Unicode category
    Cc), no white space (Unicode White_Space) and none of `*`, `?`, `[`, `]`". Names at the edges
    and beyond ASCII register, and LIST shows them as sent."""
    for label, name in VALID.items():
        with case(label):
            client = connect(relay, name)
            assert name in client.list_names()


def test_an_invalid_name_is_refused_with_its_bytes_echoed(relay, connect):
    """§3.1 (each rule) with §3.2: "The broker answers WELCOME, or an ERROR and closes: `invalid
    name` (7)", and "The name field of an ERROR ... echoes the bytes the client sent (..., a
    HELLO's name) unchanged, so after ERROR `invalid name` ... it may be empty, or bytes that are
    not UTF-8 at all"."""
    for label, name in INVALID.items():
        with case(label):
            client = connect(relay)
            client.send(w.hello(name))
            client.expect_error_and_close(w.INVALID_NAME, name=name)


def test_names_are_compared_byte_for_byte(relay, connect):
    """§3.1: "Names are compared byte for byte." Case and Unicode normalization are not folded:
    `peer`, `Peer`, NFC `é` and NFD `é` are four names, and each gets its own messages."""
    nfc = unicodedata.normalize("NFC", "é").encode()
    nfd = unicodedata.normalize("NFD", "é").encode()
    names = [b"peer", b"Peer", nfc, nfd]
    clients = [connect(relay, name) for name in names]
    sender = connect(relay, b"sender")
    for i, name in enumerate(names):
        sender.send(w.send(name, b"%d" % i))
    for i, client in enumerate(clients):
        client.expect(w.DELIVER, name=b"sender", payload=b"%d" % i)
        client.expect_silence(0.1)


def test_a_send_error_echoes_the_destination_bytes(relay, connect):
    """§3.1: "The name field of an ERROR is different: it echoes the bytes the client sent (a
    SEND's destination, ...) unchanged, so after ERROR ... `unknown peer` it may be empty, or
    bytes that are not UTF-8 at all. A client must treat it as bytes"; §3.3 and §6: "A SEND whose
    destination has length 0 is answered ERROR `unknown peer` with its correlation id, and the
    connection stays open"."""
    client = connect(relay, b"echo")
    for cid, dest in enumerate([b"", b"\xff\xfe", b"a b", b"w*", "a\u0085".encode()], start=1):
        client.send(w.send(dest, b"x", cid=cid))
        client.expect(w.ERROR, code=w.UNKNOWN_PEER, cid=cid, name=dest)
    client.send(w.with_id(w.PING, 78))
    client.expect(w.PONG, cid=78)


def test_names_the_broker_sends_are_registered_names(relay, connect):
    """§3.1: "Every name the broker sends in DELIVER, PEERS, JOINED and LEFT is a registered name,
    so it follows these rules." A watcher sees the JOINED, DELIVER, PEERS and LEFT of a peer with
    a non-ASCII name carry exactly the name it registered."""
    name = "Grüße-名".encode()
    watcher = connect(relay, b"watcher")
    watcher.watch()
    peer = connect(relay, name)
    watcher.expect(w.JOINED, name=name)
    peer.send(w.send(b"watcher", b"hi"))
    watcher.expect(w.DELIVER, name=name)
    watcher.send(w.with_id(w.LIST, 2))
    watcher.expect(w.PEERS, names=sorted([name, b"watcher"]))
    peer.close()
    watcher.expect(w.LEFT, name=name)
