"""Frames and envelopes of mprelay protocol v1, written from docs/PROTOCOL.md alone.

Pure code: bytes in, bytes or `Envelope` out, no sockets. Everything here follows a table or a
sentence of the doc (section numbers in the comments), so that a test built on it checks the
daemon against the doc and not against the daemon's own code.
"""

import struct
from typing import NamedTuple

# §1: the two header forms.
LONG_FORM_MARKER = b"\xff\xff\xff\xff"
HANDSHAKE_FRAME_LIMIT = 256
LARGEST_ENVELOPE_HEADER = 12 + 255

# §3: the kind byte.
HELLO, WELCOME, SEND, DELIVER, ERROR, ACK = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
PING, PONG, GOODBYE, LIST, PEERS, WATCH, JOINED, LEFT = 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E
KIND_NAMES = {
    HELLO: "HELLO", WELCOME: "WELCOME", SEND: "SEND", DELIVER: "DELIVER", ERROR: "ERROR",
    ACK: "ACK", PING: "PING", PONG: "PONG", GOODBYE: "GOODBYE", LIST: "LIST", PEERS: "PEERS",
    WATCH: "WATCH", JOINED: "JOINED", LEFT: "LEFT",
}
BROKER_ONLY_KINDS = (WELCOME, DELIVER, ERROR, ACK, PEERS, JOINED, LEFT)

# §3.3: SEND options.
CONFIRM, REPLY = 0x01, 0x02

# §3.4: error codes.
UNKNOWN_PEER, NAME_TAKEN, MESSAGE_TOO_LARGE, MALFORMED_FRAME, NOT_PERMITTED = 1, 2, 3, 4, 5
PEER_BUSY, INVALID_NAME, UNSUPPORTED_VERSION, UNEXPECTED_ENVELOPE, SLOW_CONSUMER = 6, 7, 8, 9, 10
KICKED, IDLE_TIMEOUT, REPLACED, CLUSTER_UNAVAILABLE = 11, 12, 13, 14
ERROR_NAMES = {
    1: "unknown peer", 2: "name taken", 3: "message too large", 4: "malformed frame",
    5: "not permitted", 6: "peer busy", 7: "invalid name", 8: "unsupported version",
    9: "unexpected envelope", 10: "slow consumer", 11: "kicked", 12: "idle timeout", 13: "replaced",
    14: "cluster unavailable",
}

# §3.8: GOODBYE reasons.
LEAVING, SHUTTING_DOWN = 0, 1


class WireError(ValueError):
    """Bytes that break a layout of docs/PROTOCOL.md; the message names the kind and the rule."""


class Envelope(NamedTuple):
    """One decoded envelope: its kind byte and the fields its layout names."""

    kind: int
    fields: dict

    def __repr__(self):
        return "%s%r" % (KIND_NAMES.get(self.kind, "kind 0x%02x" % self.kind), self.fields)


# §1 Framing.

def frame(body, long_form=False):
    """A frame: the 4-byte signed header, or -1 and an 8-byte unsigned length (`long_form`)."""
    if long_form:
        return LONG_FORM_MARKER + struct.pack(">Q", len(body)) + body
    return struct.pack(">i", len(body)) + body


def split_frames(data):
    """The frame bodies in `data`, which must hold whole frames only."""
    bodies, offset = [], 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise WireError("a frame header cut short at offset %d" % offset)
        (n,) = struct.unpack_from(">i", data, offset)
        offset += 4
        if n == -1:
            (n,) = struct.unpack_from(">Q", data, offset)
            offset += 8
        elif n < 0:
            raise WireError("a negative frame length %d at offset %d" % (n, offset - 4))
        if offset + n > len(data):
            raise WireError("a frame of %d bytes cut short at offset %d" % (n, offset))
        bodies.append(bytes(data[offset:offset + n]))
        offset += n
    return bodies


# §3.1 Names on the wire: a length byte, then the bytes.

def pack_name(name):
    """A length byte, then the name's bytes."""
    return bytes([len(name)]) + name


def unpack_name(body, offset, what):
    """The name at `offset` of `body` and the offset after it; `what` names the envelope."""
    if offset >= len(body):
        raise WireError("%s: no name length byte at offset %d" % (what, offset))
    n = body[offset]
    end = offset + 1 + n
    if end > len(body):
        raise WireError("%s: a name of %d bytes runs past the end" % (what, n))
    return bytes(body[offset + 1:end]), end


# Envelopes, client → broker (and the broker-only ones, which a test sends to provoke ERROR 9).

def hello(name, version=1):
    """§3.2 HELLO: kind, version, name."""
    return bytes([HELLO, version]) + pack_name(name)


def send(dest, payload=b"", cid=0, options=0, flags=0, kind=SEND):
    """§3.3 SEND (or, with kind=DELIVER, a DELIVER of the same layout)."""
    return struct.pack(">BBBQ", kind, options, flags, cid) + pack_name(dest) + payload


def with_id(kind, cid):
    """§3.5 ACK, PING, PONG and LIST: a kind byte and an 8-byte correlation id."""
    return struct.pack(">BQ", kind, cid)


def watch(cid, start=1):
    """§3.7 WATCH: kind, correlation id, 1 start / 0 stop."""
    return struct.pack(">BQB", WATCH, cid, start)


def goodbye(reason=LEAVING, text=b""):
    """§3.8 GOODBYE: kind, 2-byte reason, UTF-8 text."""
    return struct.pack(">BH", GOODBYE, reason) + text


def welcome(max_message_bytes):
    """§3.2 WELCOME (broker-only: a client sending it gets ERROR 9)."""
    return struct.pack(">BBQ", WELCOME, 1, max_message_bytes)


def error(code, cid=0, name=b"", text=b""):
    """§3.4 ERROR (broker-only)."""
    return struct.pack(">BHQ", ERROR, code, cid) + pack_name(name) + text


def peers(cid, names):
    """§3.6 PEERS (broker-only)."""
    return struct.pack(">BQI", PEERS, cid, len(names)) + b"".join(pack_name(n) for n in names)


def presence(kind, name):
    """§3.7 JOINED or LEFT: a kind byte and a name."""
    return bytes([kind]) + pack_name(name)


# Envelopes, broker → client: each layout checked to the byte.

def _exact(body, size, what):
    if len(body) != size:
        raise WireError("%s must be %d bytes, got %d: %r" % (what, size, len(body), body))


def decode(body):
    """The envelope in a frame body, strictly by the layouts of §3."""
    if not body:
        raise WireError("an empty frame body")
    kind = body[0]
    if kind == WELCOME:
        _exact(body, 10, "WELCOME")
        _, version, limit = struct.unpack(">BBQ", body)
        return Envelope(kind, {"version": version, "max_message_bytes": limit})
    if kind in (SEND, DELIVER):
        if len(body) < 12:
            raise WireError("%s shorter than its 12-byte header" % KIND_NAMES[kind])
        _, options, flags, cid = struct.unpack_from(">BBBQ", body)
        name, end = unpack_name(body, 11, KIND_NAMES[kind])
        return Envelope(kind, {"options": options, "flags": flags, "cid": cid, "name": name,
                               "payload": bytes(body[end:])})
    if kind == ERROR:
        if len(body) < 12:
            raise WireError("ERROR shorter than its 12-byte header")
        _, code, cid = struct.unpack_from(">BHQ", body)
        name, end = unpack_name(body, 11, "ERROR")
        return Envelope(kind, {"code": code, "cid": cid, "name": name, "text": body[end:].decode("utf-8")})
    if kind in (ACK, PING, PONG):
        _exact(body, 9, KIND_NAMES[kind])
        return Envelope(kind, {"cid": struct.unpack_from(">Q", body, 1)[0]})
    if kind == GOODBYE:
        if len(body) < 3:
            raise WireError("GOODBYE shorter than 3 bytes")
        (reason,) = struct.unpack_from(">H", body, 1)
        return Envelope(kind, {"reason": reason, "text": body[3:].decode("utf-8")})
    if kind == PEERS:
        if len(body) < 13:
            raise WireError("PEERS shorter than its 13-byte header")
        cid, count = struct.unpack_from(">QI", body, 1)
        names, offset = [], 13
        for _ in range(count):
            name, offset = unpack_name(body, offset, "PEERS")
            names.append(name)
        if offset != len(body):
            raise WireError("PEERS has %d bytes after its %d names" % (len(body) - offset, count))
        return Envelope(kind, {"cid": cid, "names": names})
    if kind in (JOINED, LEFT):
        name, end = unpack_name(body, 1, KIND_NAMES[kind])
        if end != len(body):
            raise WireError("%s has %d bytes after its name" % (KIND_NAMES[kind], len(body) - end))
        return Envelope(kind, {"name": name})
    raise WireError("kind 0x%02x is not in the table of §3" % kind)
