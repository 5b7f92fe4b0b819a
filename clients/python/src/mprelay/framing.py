"""The frame layer of the codec: many frames cut from one buffer, many SENDs built for one write.

A frame is what :mod:`multiprocessing.connection` writes: a 4-byte big-endian signed length, then
that many bytes of body (``ff ff ff ff`` and an 8-byte length for bodies over 2 GiB). Each body
is one envelope of :mod:`mprelay.protocol`. This module does no I/O: :mod:`mprelay.link` reads
into a buffer and hands it here, so the parser is tested on any split of any byte stream.

DELIVER, the envelope that carries messages, takes a fast path: its length prefix and header are
unpacked with one ``struct`` call and it becomes a plain tuple (:data:`Delivery`) without a
decoder call; every other envelope is handed on as its body, for :func:`mprelay.protocol.decode`.
"""

from __future__ import annotations

import struct
from typing import Dict, List, Sequence, Tuple, Union

from .errors import ProtocolError
from .protocol import OPT_CONFIRM, OPT_REPLY, Deliver, Kind, decode

__all__ = [
    "READ_BUFFER_BYTES",
    "Bytes",
    "Delivery",
    "FrameBuffer",
    "Parsed",
    "SendHeader",
    "parse_frames",
    "send_frames",
]

#: A payload: bytes, or a byte buffer.
Bytes = Union[bytes, bytearray, memoryview]

#: A DELIVER as the parser returns it: (sender, data, flags, correlation_id, options).
Delivery = Tuple[str, bytes, int, int, int]

#: One item of :func:`parse_frames`' output: a DELIVER, the body of any other envelope, or the
#: error that ends the stream.
Parsed = Union[Delivery, bytes, ProtocolError]

_PREFIX = struct.Struct("!i")
_LONG = struct.Struct("!Q")
# The length prefix and a whole SEND/DELIVER header: length, kind, options, flags, id, name length.
_HEAD = struct.Struct("!iBBBQB")
# The length prefix and a SEND header up to the name, which follows preformatted.
_SEND = struct.Struct("!iBBBQ")
_KNOWN_OPTIONS = OPT_CONFIRM | OPT_REPLY
_SEND_KIND = int(Kind.SEND)
#: The read buffer of a link: one ``recv_into`` takes up to this much. A frame larger than this
#: gets a buffer of its own size while it is read, given back afterwards.
READ_BUFFER_BYTES = 256 * 1024

# Senders' names decoded once each; a stream from a broker with more peers than this starts over.
_MAX_CACHED_NAMES = 4096


def parse_frames(data: bytes, names: Dict[bytes, str], out: List[Parsed]) -> Tuple[int, int]:
    """Cut every whole frame at the start of ``data`` and append what each one is to ``out``.

    Returns ``(used, need)``: the number of bytes consumed (the whole frames), and the size of
    the next, incomplete frame (length prefix included) when its prefix is already in ``data``,
    else 0. ``names`` caches decoded sender names between calls. A malformed frame appends a
    :class:`ProtocolError` and stops the parse: nothing after it can be trusted.
    """
    end = len(data)
    pos = 0
    append = out.append
    head = _HEAD.unpack_from
    while pos + 4 <= end:
        if pos + 16 <= end:
            n, kind, options, flags, cid, nlen = head(data, pos)
            if kind == 4 and 0 < nlen and 12 + nlen <= n and not options & ~_KNOWN_OPTIONS:
                stop = pos + 4 + n
                if stop > end:
                    return pos, 4 + n
                name_end = pos + 16 + nlen
                raw = data[pos + 16 : name_end]
                sender = names.get(raw)
                if sender is None:
                    try:
                        sender = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        append(ProtocolError("cannot decode DELIVER envelope: sender is not UTF-8"))
                        return pos, 0
                    if len(names) >= _MAX_CACHED_NAMES:
                        names.clear()
                    names[raw] = sender
                append((sender, data[name_end:stop], flags, cid, options))
                pos = stop
                continue
        n = _PREFIX.unpack_from(data, pos)[0]
        size = 4
        if n < 0:
            if n != -1:
                append(ProtocolError("frame with a negative length (%d) from the broker" % n))
                return pos, 0
            if pos + 12 > end:
                return pos, 0
            n = _LONG.unpack_from(data, pos + 4)[0]
            size = 12
        stop = pos + size + n
        if stop > end:
            return pos, size + n
        body = data[pos + size : stop]
        pos = stop
        if not body:
            append(ProtocolError("empty envelope from the broker"))
            return pos, 0
        if body[0] != Kind.DELIVER:
            append(body)
            continue
        # A DELIVER the fast path did not take: decode it properly, or say what is wrong.
        try:
            env = decode(body)
        except ProtocolError as exc:
            append(exc)
            return pos, 0
        assert isinstance(env, Deliver)
        append((env.peer, env.payload, env.flags, env.correlation_id, env.options))
    return pos, 0


class FrameBuffer:
    """A stream's read buffer: bytes go in at :meth:`space`, whole frames come out of :meth:`commit`.

    The bytes of an incomplete frame stay at the start of the buffer for the next read. The
    buffer grows to hold a frame larger than itself and shrinks back once that frame is out, so
    its memory stays flat however many messages pass through it.
    """

    __slots__ = ("_buffer", "_view", "_have", "_names", "_size")

    def __init__(self, size: int = READ_BUFFER_BYTES) -> None:
        """An empty buffer of ``size`` bytes."""
        self._size = size
        self._buffer = bytearray(size)
        self._view = memoryview(self._buffer)
        self._have = 0  # bytes of an incomplete frame at the start of the buffer
        self._names: Dict[bytes, str] = {}

    @property
    def capacity(self) -> int:
        """The buffer's current size in bytes."""
        return len(self._buffer)

    def space(self) -> memoryview:
        """Where the next read goes (``recv_into`` it), after the incomplete frame's bytes."""
        return self._view[self._have :]

    def commit(self, n: int) -> List[Parsed]:
        """``n`` bytes were read into :meth:`space`; returns every frame now complete, in order."""
        total = self._have + n
        data = self._view[:total].tobytes()
        out: List[Parsed] = []
        used, need = parse_frames(data, self._names, out)
        left = total - used
        if left:
            self._buffer[:left] = data[used:]
        self._have = left
        if need > len(self._buffer):
            self._resize(need)
        elif not left and len(self._buffer) > self._size:
            self._resize(self._size)  # give the memory of a large frame back
        return out

    def feed(self, data: bytes) -> List[Parsed]:
        """Put ``data`` through the buffer as reads would; returns the frames it completes."""
        out: List[Parsed] = []
        pos = 0
        while pos < len(data):
            space = self.space()
            n = min(len(space), len(data) - pos)
            space[:n] = data[pos : pos + n]
            space.release()
            out += self.commit(n)
            pos += n
        return out

    def _resize(self, size: int) -> None:
        buffer = bytearray(size)
        buffer[: self._have] = self._view[: self._have]
        self._view.release()
        self._buffer = buffer
        self._view = memoryview(buffer)


class SendHeader:
    """The frame header of SENDs to one destination, its name encoded once.

    :meth:`frame` adds the length prefix, options, flags and correlation id in one ``struct``
    call; :func:`send_frames` builds a whole batch.
    """

    __slots__ = ("name", "tail", "fixed")

    def __init__(self, name: bytes) -> None:
        """``name``: the destination's validated UTF-8 bytes."""
        #: The destination's name bytes.
        self.name = name
        #: What follows the fixed header: the name's length byte and the name.
        self.tail = bytes((len(name),)) + name
        #: The body size without the payload.
        self.fixed = 12 + len(name)

    def frame(self, data: Bytes, size: int, flags: int, options: int, cid: int) -> bytes:
        """One whole SEND frame (prefix, header, ``data`` of ``size`` bytes)."""
        return b"".join(
            (_SEND.pack(self.fixed + size, _SEND_KIND, options, flags, cid), self.tail, data)
        )


def send_frames(
    header: SendHeader, payloads: Sequence[Bytes], flags: int, ids: Sequence[int]
) -> bytes:
    """Unconfirmed SEND frames, one per payload with the matching id, as one buffer."""
    pack = _SEND.pack
    fixed, tail, kind = header.fixed, header.tail, _SEND_KIND
    parts: List[Bytes] = []
    add = parts.append
    for data, cid in zip(payloads, ids):
        add(pack(fixed + len(data), kind, 0, flags, cid))
        add(tail)
        add(data)
    return b"".join(parts)
