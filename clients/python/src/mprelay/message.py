"""What :meth:`mprelay.Peer.recv` returns: messages and presence events."""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any, Optional, Tuple, Union

from . import protocol as P
from .waiting import NOTHING

if TYPE_CHECKING:  # pragma: no cover
    from .sending import Sending

__all__ = ["Item", "Message", "PeerJoined", "PeerLeft", "PresenceEvent"]


class Message:
    """A message received from another peer.

    ``sender``
        the sender's registered name (stamped by the broker; it cannot be forged).
    ``data``
        the raw payload bytes, as sent.
    ``payload``
        the payload unpickled if the sender set the pickle flag (as ``Peer.send`` does), else
        ``data`` unchanged. Unpickling happens on first access, so a bad pickle only raises there.
        As with :mod:`multiprocessing`, only unpickle data from peers you trust (everyone who
        holds the authkey).
    ``flags``
        the flags byte (bit 0, :data:`mprelay.protocol.FLAG_PICKLE`: the payload is a pickle).
    ``correlation_id``
        the id the sender gave the message (0: none); :meth:`reply` answers with it.
    ``is_reply``
        true if this message answers a request of ours (see :meth:`Peer.request`).
    """

    __slots__ = ("sender", "data", "flags", "correlation_id", "options", "_peer", "_payload")

    sender: str
    data: bytes
    flags: int
    correlation_id: int
    options: int

    def __init__(
        self,
        sender: str,
        data: bytes,
        flags: int = 0,
        correlation_id: int = 0,
        options: int = 0,
        peer: Optional["Sending"] = None,
    ) -> None:
        """Peers build messages as they receive them; ``peer`` is the one :meth:`reply` uses."""
        self.sender = sender
        self.data = data
        self.flags = flags
        self.correlation_id = correlation_id
        self.options = options
        self._peer = peer
        self._payload: Any = NOTHING

    @property
    def is_reply(self) -> bool:
        """True if the sender marked this message as the answer to a request."""
        return bool(self.options & P.OPT_REPLY)

    @property
    def pickled(self) -> bool:
        """True if the pickle flag is set (``payload`` is then the unpickled object)."""
        return bool(self.flags & P.FLAG_PICKLE)

    @property
    def payload(self) -> Any:
        """The unpickled object if the pickle flag is set, else the raw bytes (``data``)."""
        if not self.flags & P.FLAG_PICKLE:
            return self.data
        if self._payload is NOTHING:
            self._payload = pickle.loads(self.data)
        return self._payload

    def _replier(self) -> "Sending":
        if self._peer is None:
            raise RuntimeError("this message is not bound to a peer")
        if not self.correlation_id:
            raise ValueError("the message carries no correlation id, so it cannot be replied to")
        return self._peer

    def reply(self, obj: Any, *, confirm: bool = False, timeout: Optional[float] = None) -> int:
        """Answer this message with ``obj`` (pickled), on the peer that received it.

        The reply goes to ``sender`` with the ``reply`` option and this message's correlation id,
        which is what :meth:`Peer.request` waits for. ``confirm`` and ``timeout`` are as in
        :meth:`Peer.send`. Returns the correlation id.
        """
        peer = self._replier()
        data = pickle.dumps(obj, protocol=peer.pickle_protocol)
        return peer.send_envelope(
            self.sender, data, P.FLAG_PICKLE, P.OPT_REPLY, self.correlation_id, confirm, timeout
        )

    def reply_bytes(
        self,
        data: Union[bytes, bytearray, memoryview],
        *,
        flags: int = 0,
        confirm: bool = False,
        timeout: Optional[float] = None,
    ) -> int:
        """Answer this message with raw bytes (no pickle flag unless ``flags`` sets it)."""
        peer = self._replier()
        return peer.send_envelope(
            self.sender, data, flags, P.OPT_REPLY, self.correlation_id, confirm, timeout
        )

    def __repr__(self) -> str:
        size = len(self.data)
        what = "pickle" if self.flags & P.FLAG_PICKLE else "bytes"
        extra = ", reply" if self.is_reply else ""
        return "Message(sender=%r, %d-byte %s, correlation_id=%d%s)" % (
            self.sender,
            size,
            what,
            self.correlation_id,
            extra,
        )


class PresenceEvent:
    """A presence event (after :meth:`Peer.watch`): base of :class:`PeerJoined`, :class:`PeerLeft`."""

    __slots__ = ("name",)

    name: str

    def __init__(self, name: str) -> None:
        """The event about the peer registered as ``name``."""
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PresenceEvent) and type(other) is type(self) and other.name == self.name

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return "%s(%r)" % (type(self).__name__, self.name)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.name,))


class PeerJoined(PresenceEvent):
    """The peer ``name`` registered with the broker (it may now be sent to)."""

    __slots__ = ()


class PeerLeft(PresenceEvent):
    """The peer ``name`` went away; nothing more will come from it under that registration."""

    __slots__ = ()


#: What :meth:`Peer.recv` returns: a message, or a presence event once watching.
Item = Union[Message, PeerJoined, PeerLeft]
