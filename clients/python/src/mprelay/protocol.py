"""Envelopes of the mprelay wire protocol, version 1 (docs/PROTOCOL.md, section 3).

This module only turns envelopes into frame bodies and back; it does no I/O. The envelope types
and constants live in :mod:`mprelay.envelopes` and are re-exported here; :mod:`mprelay.framing`
cuts frames from a stream and builds batches of SENDs with the same layouts. Every envelope kind can be encoded and
decoded, including the broker's, so the codec can be tested (and used by tools) without a broker.

All integers are big-endian. Names travel as one length byte and that many UTF-8 bytes.
"""

from __future__ import annotations

import struct
from typing import Callable, Dict, Iterable, Tuple, Union

from .errors import InvalidNameError, ProtocolError

# The envelope types and constants are re-exported from mprelay.envelopes (the "X as X" imports
# below); __all__ names what this module adds.
__all__ = [
    "validate_name",
    "encode",
    "encode_hello",
    "encode_send",
    "encode_message",
    "encode_id",
    "encode_watch",
    "encode_goodbye",
    "decode",
    "frame",
]

from .envelopes import (
    FLAG_PICKLE as FLAG_PICKLE,
    MAX_HEADER_BYTES as MAX_HEADER_BYTES,
    MAX_NAME_BYTES as MAX_NAME_BYTES,
    MESSAGE_HEADER_BYTES as MESSAGE_HEADER_BYTES,
    OPT_CONFIRM as OPT_CONFIRM,
    OPT_REPLY as OPT_REPLY,
    VERSION as VERSION,
    Ack as Ack,
    Deliver as Deliver,
    Envelope as Envelope,
    Error as Error,
    ErrorCode as ErrorCode,
    Goodbye as Goodbye,
    GoodbyeReason as GoodbyeReason,
    Hello as Hello,
    Joined as Joined,
    Kind as Kind,
    Left as Left,
    List as List,
    Peers as Peers,
    Ping as Ping,
    Pong as Pong,
    Send as Send,
    Watch as Watch,
    Welcome as Welcome,
)

_WHITE_SPACE = frozenset(
    "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_RESERVED = frozenset("*?[]")

_B = struct.Struct(">B")
_ID = struct.Struct(">BQ")
_MSG = struct.Struct(">BBBQB")
_WELCOME = struct.Struct(">BBQ")
_ERROR = struct.Struct(">BHQB")
_GOODBYE = struct.Struct(">BH")
_PEERS = struct.Struct(">BQI")
_WATCH = struct.Struct(">BQB")
_Q = struct.Struct(">Q")


def validate_name(name: str) -> bytes:
    """Check a peer name against section 3.1 and return its UTF-8 bytes.

    A name is 1 to 255 bytes of UTF-8 with no control characters (category Cc), no white space
    (Unicode White_Space) and none of ``* ? [ ]``. Raises :class:`InvalidName` otherwise.
    """
    if not isinstance(name, str):
        raise TypeError("a peer name must be a str, not %s" % type(name).__name__)
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidNameError("a peer name must be valid UTF-8", peer=name) from None
    if not raw:
        raise InvalidNameError("a peer name cannot be empty")
    if len(raw) > MAX_NAME_BYTES:
        raise InvalidNameError(
            "a peer name is at most %d bytes, got %d" % (MAX_NAME_BYTES, len(raw)), peer=name
        )
    for ch in name:
        o = ord(ch)
        if o < 0x20 or 0x7F <= o <= 0x9F or ch in _WHITE_SPACE or ch in _RESERVED:
            raise InvalidNameError(
                "a peer name cannot contain U+%04X (control, white space or one of * ? [ ])" % o,
                peer=name,
            )
    return raw


def _name_bytes(name: Union[str, bytes]) -> bytes:
    raw = validate_name(name) if isinstance(name, str) else bytes(name)
    if len(raw) > MAX_NAME_BYTES:
        raise InvalidNameError("a peer name is at most %d bytes" % MAX_NAME_BYTES)
    return raw


def encode_hello(name: Union[str, bytes], version: int = VERSION) -> bytes:
    """HELLO: ``01``, version, name."""
    raw = _name_bytes(name)
    return bytes((Kind.HELLO, version, len(raw))) + raw


def encode_message(
    kind: int,
    peer: Union[str, bytes],
    payload: Union[bytes, bytearray, memoryview] = b"",
    *,
    options: int = 0,
    flags: int = 0,
    correlation_id: int = 0,
) -> bytes:
    """SEND (kind 3) or DELIVER (kind 4): kind, options, flags, 8-byte id, name, payload."""
    raw = _name_bytes(peer)
    header = _MSG.pack(kind, options, flags, correlation_id, len(raw))
    return b"".join((header, raw, payload))


def encode_send(
    peer: Union[str, bytes],
    payload: Union[bytes, bytearray, memoryview] = b"",
    *,
    options: int = 0,
    flags: int = 0,
    correlation_id: int = 0,
) -> bytes:
    """SEND to ``peer``; see :func:`encode_message`."""
    return encode_message(
        Kind.SEND, peer, payload, options=options, flags=flags, correlation_id=correlation_id
    )


def encode_id(kind: int, correlation_id: int) -> bytes:
    """ACK, PING, PONG or LIST: the kind byte and an 8-byte correlation id."""
    return _ID.pack(kind, correlation_id)


def encode_watch(correlation_id: int, enable: bool = True) -> bytes:
    """WATCH: ``0c``, 8-byte id, ``1`` to start or ``0`` to stop."""
    return _WATCH.pack(Kind.WATCH, correlation_id, 1 if enable else 0)


def encode_goodbye(reason: int = GoodbyeReason.LEAVING, text: str = "") -> bytes:
    """GOODBYE: ``09``, 2-byte reason, UTF-8 text."""
    return _GOODBYE.pack(Kind.GOODBYE, reason) + text.encode("utf-8")


def _encode_names(names: Iterable[str]) -> bytes:
    out = bytearray()
    for name in names:
        raw = _name_bytes(name)
        out.append(len(raw))
        out += raw
    return bytes(out)


def encode(envelope: Envelope) -> bytes:
    """Encode any envelope (client or broker side) as a frame body."""
    e = envelope
    if isinstance(e, Send):
        return encode_message(
            Kind.SEND, e.peer, e.payload, options=e.options, flags=e.flags,
            correlation_id=e.correlation_id,
        )
    if isinstance(e, Deliver):
        return encode_message(
            Kind.DELIVER, e.peer, e.payload, options=e.options, flags=e.flags,
            correlation_id=e.correlation_id,
        )
    if isinstance(e, Hello):
        return encode_hello(e.name, e.version)
    if isinstance(e, Welcome):
        return _WELCOME.pack(Kind.WELCOME, e.version, e.max_message_bytes)
    if isinstance(e, Error):
        peer = e.peer.encode("utf-8")
        return _ERROR.pack(Kind.ERROR, e.code, e.correlation_id, len(peer)) + peer + e.text.encode(
            "utf-8"
        )
    if isinstance(e, Ack):
        return encode_id(Kind.ACK, e.correlation_id)
    if isinstance(e, Ping):
        return encode_id(Kind.PING, e.correlation_id)
    if isinstance(e, Pong):
        return encode_id(Kind.PONG, e.correlation_id)
    if isinstance(e, List):
        return encode_id(Kind.LIST, e.correlation_id)
    if isinstance(e, Goodbye):
        return encode_goodbye(e.reason, e.text)
    if isinstance(e, Peers):
        return _PEERS.pack(Kind.PEERS, e.correlation_id, len(e.names)) + _encode_names(e.names)
    if isinstance(e, Watch):
        return encode_watch(e.correlation_id, e.enable)
    if isinstance(e, Joined):
        return bytes((Kind.JOINED,)) + _encode_names((e.name,))
    if isinstance(e, Left):
        return bytes((Kind.LEFT,)) + _encode_names((e.name,))
    raise TypeError("not an envelope: %r" % (e,))


def frame(body: Union[bytes, bytearray, memoryview]) -> bytes:
    """A frame as multiprocessing.connection writes it: a 4-byte signed length, then the body.

    Bodies over ``0x7fffffff`` bytes get the ``ff ff ff ff`` + 8-byte length form.
    """
    n = len(body)
    if n > 0x7FFFFFFF:
        return struct.pack("!iQ", -1, n) + bytes(body)
    return struct.pack("!i", n) + bytes(body)


# -- decoding -------------------------------------------------------------------------------------


def _bad(kind: str, why: str) -> ProtocolError:
    return ProtocolError("cannot decode %s envelope: %s" % (kind, why))


def _text(body: bytes, offset: int, kind: str) -> str:
    try:
        return body[offset:].decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(kind, "text is not UTF-8") from None


def _name_at(body: bytes, offset: int, kind: str, allow_empty: bool = False) -> Tuple[str, int]:
    if offset >= len(body):
        raise _bad(kind, "truncated before a name")
    n = body[offset]
    end = offset + 1 + n
    if end > len(body):
        raise _bad(kind, "name runs past the end (%d bytes, %d left)" % (n, len(body) - offset - 1))
    if n == 0 and not allow_empty:
        raise _bad(kind, "empty name")
    try:
        name = body[offset + 1 : end].decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(kind, "name is not UTF-8") from None
    return name, end


def _exact(body: bytes, size: int, kind: str) -> None:
    if len(body) != size:
        raise _bad(kind, "expected %d bytes, got %d" % (size, len(body)))


def _decode_message(body: bytes) -> Union[Send, Deliver]:
    kind = "SEND" if body[0] == Kind.SEND else "DELIVER"
    if len(body) < MESSAGE_HEADER_BYTES:
        raise _bad(kind, "truncated header (%d bytes)" % len(body))
    k, options, flags, cid, n = _MSG.unpack_from(body)
    if options & ~(OPT_CONFIRM | OPT_REPLY):
        raise _bad(kind, "unknown option bits 0x%02x" % options)
    peer, end = _name_at(body, MESSAGE_HEADER_BYTES - 1, kind)
    cls = Send if k == Kind.SEND else Deliver
    return cls(peer, body[end:], options, flags, cid)


def _decode_hello(body: bytes) -> Hello:
    if len(body) < 3:
        raise _bad("HELLO", "truncated")
    name, end = _name_at(body, 2, "HELLO")
    _exact(body, end, "HELLO")
    return Hello(name, body[1])


def _decode_welcome(body: bytes) -> Welcome:
    _exact(body, _WELCOME.size, "WELCOME")
    _, version, limit = _WELCOME.unpack(body)
    return Welcome(limit, version)


def _decode_error(body: bytes) -> Error:
    if len(body) < _ERROR.size:
        raise _bad("ERROR", "truncated (%d bytes)" % len(body))
    _, code, cid, _n = _ERROR.unpack_from(body)
    peer, end = _name_at(body, _ERROR.size - 1, "ERROR", allow_empty=True)
    return Error(code, cid, peer, _text(body, end, "ERROR"))


def _id_decoder(cls: Callable[[int], Envelope], kind: str) -> Callable[[bytes], Envelope]:
    def decode_id(body: bytes) -> Envelope:
        _exact(body, _ID.size, kind)
        return cls(_ID.unpack(body)[1])

    return decode_id


def _decode_goodbye(body: bytes) -> Goodbye:
    if len(body) < _GOODBYE.size:
        raise _bad("GOODBYE", "truncated")
    _, reason = _GOODBYE.unpack_from(body)
    return Goodbye(reason, _text(body, _GOODBYE.size, "GOODBYE"))


def _decode_peers(body: bytes) -> Peers:
    if len(body) < _PEERS.size:
        raise _bad("PEERS", "truncated")
    _, cid, count = _PEERS.unpack_from(body)
    names: "list[str]" = []
    offset = _PEERS.size
    for _ in range(count):
        name, offset = _name_at(body, offset, "PEERS")
        names.append(name)
    _exact(body, offset, "PEERS")
    return Peers(cid, tuple(names))


def _decode_watch(body: bytes) -> Watch:
    _exact(body, _WATCH.size, "WATCH")
    _, cid, flag = _WATCH.unpack(body)
    if flag > 1:
        raise _bad("WATCH", "flag must be 0 or 1, got %d" % flag)
    return Watch(cid, flag == 1)


def _presence_decoder(cls: Callable[[str], Envelope], kind: str) -> Callable[[bytes], Envelope]:
    def decode_presence(body: bytes) -> Envelope:
        name, end = _name_at(body, 1, kind)
        _exact(body, end, kind)
        return cls(name)

    return decode_presence


_DECODERS: Dict[int, Callable[[bytes], Envelope]] = {
    Kind.HELLO: _decode_hello,
    Kind.WELCOME: _decode_welcome,
    Kind.SEND: _decode_message,
    Kind.DELIVER: _decode_message,
    Kind.ERROR: _decode_error,
    Kind.ACK: _id_decoder(Ack, "ACK"),
    Kind.PING: _id_decoder(Ping, "PING"),
    Kind.PONG: _id_decoder(Pong, "PONG"),
    Kind.GOODBYE: _decode_goodbye,
    Kind.LIST: _id_decoder(List, "LIST"),
    Kind.PEERS: _decode_peers,
    Kind.WATCH: _decode_watch,
    Kind.JOINED: _presence_decoder(Joined, "JOINED"),
    Kind.LEFT: _presence_decoder(Left, "LEFT"),
}


def decode(body: Union[bytes, bytearray, memoryview]) -> Envelope:
    """Decode one frame body into its envelope; raises :class:`ProtocolError` if it is malformed.

    An envelope must be exactly as long as its layout says.
    """
    body = bytes(body)
    if not body:
        raise ProtocolError("empty envelope")
    decoder = _DECODERS.get(body[0])
    if decoder is None:
        raise ProtocolError("unknown envelope kind 0x%02x" % body[0])
    return decoder(body)
