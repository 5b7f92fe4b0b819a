"""The exceptions of mprelay: one hierarchy rooted at :class:`RelayError`.

Every ERROR code of the wire protocol (docs/PROTOCOL.md, section 3.4) has its own class; an unknown
code from a newer broker becomes a plain :class:`RelayError`. Each exception carries:

``code``
    the protocol error code (an ``int``), or ``None`` for conditions without one (a lost connection).
``correlation_id``
    the correlation id of the envelope at fault (for a send: the id that ``send()`` returned), or 0.
``peer``
    the peer the error is about (for a send: the destination), or ``None``.
``text``
    the broker's explanation for people (or the client's, for errors found locally).

A wrong authentication key is not a :class:`RelayError`: it raises
:class:`multiprocessing.AuthenticationError`, exactly as :func:`multiprocessing.connection.Client`.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Type

__all__ = [
    "RelayError",
    "UnknownPeerError",
    "NameTakenError",
    "MessageTooLargeError",
    "ProtocolError",
    "NotPermittedError",
    "PeerBusyError",
    "InvalidNameError",
    "UnsupportedVersionError",
    "UnexpectedEnvelopeError",
    "DisconnectedError",
    "BrokerClosingError",
    "SlowConsumerError",
    "KickedError",
    "IdleTimeoutError",
    "ReplacedError",
    "error_for_code",
    "UnknownPeer",
    "NameTaken",
    "MessageTooLarge",
    "NotPermitted",
    "PeerBusy",
    "InvalidName",
    "UnsupportedVersion",
    "UnexpectedEnvelope",
    "Disconnected",
    "BrokerClosing",
    "SlowConsumer",
    "Kicked",
    "IdleTimeout",
    "Replaced",
]


class RelayError(Exception):
    """Base class of every error reported by the broker or found by the mprelay client."""

    #: The protocol error code this class stands for (``None``: no code of its own).
    CODE: Optional[int] = None
    #: The protocol's name for the code, used in messages.
    LABEL: str = "relay error"

    code: Optional[int]
    correlation_id: int
    peer: Optional[str]
    text: str

    def __init__(
        self,
        text: str = "",
        *,
        code: Optional[int] = None,
        correlation_id: int = 0,
        peer: Optional[str] = None,
    ) -> None:
        """``text`` for people; ``code`` defaults to the class's own code."""
        self.code = code if code is not None else self.CODE
        self.correlation_id = correlation_id
        self.peer = peer or None
        self.text = text
        super().__init__(self._describe())

    def _describe(self) -> str:
        label = self.LABEL
        if type(self) is RelayError and self.code is not None:
            label = "error code %d" % self.code
        parts = [label]
        if self.peer is not None:
            parts.append(repr(self.peer))
        details = []
        if self.code is not None and type(self) is not RelayError:
            details.append("code %d" % self.code)
        if self.correlation_id:
            details.append("correlation id %d" % self.correlation_id)
        head = " ".join(parts)
        if details:
            head += " (" + ", ".join(details) + ")"
        return head + (": " + self.text if self.text else "")

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keep the keyword-only fields when the exception is pickled (e.g. sent through mprelay).
        return (
            _rebuild,
            (type(self), self.text, self.code, self.correlation_id, self.peer),
            self.__dict__,
        )


def _rebuild(
    cls: Type[RelayError], text: str, code: Optional[int], correlation_id: int, peer: Optional[str]
) -> RelayError:
    return cls(text, code=code, correlation_id=correlation_id, peer=peer)


class UnknownPeerError(RelayError):
    """Code 1: no peer of that name is registered (``.peer`` is the destination)."""

    CODE = 1
    LABEL = "unknown peer"


class NameTakenError(RelayError):
    """Code 2: the name given to :func:`mprelay.connect` is registered by another connection."""

    CODE = 2
    LABEL = "name taken"


class MessageTooLargeError(RelayError):
    """Code 3: the payload is larger than the broker's ``max_message_bytes``.

    The client checks the limit announced in the broker's WELCOME and raises this before sending
    anything; the message is not sent and the connection stays usable.
    """

    CODE = 3
    LABEL = "message too large"


class ProtocolError(RelayError):
    """Code 4 (malformed frame): an envelope could not be decoded, by the broker or the client.

    The connection is closed afterwards.
    """

    CODE = 4
    LABEL = "malformed frame"


class NotPermittedError(RelayError):
    """Code 5: the broker's access rules do not allow this."""

    CODE = 5
    LABEL = "not permitted"


class PeerBusyError(RelayError):
    """Code 6: the receiver's outbound queue at the broker is full; this message was dropped."""

    CODE = 6
    LABEL = "peer busy"


class InvalidNameError(RelayError, ValueError):
    """Code 7: a peer name breaks the naming rules.

    A name is 1 to 255 bytes of UTF-8 with no control characters, no white space and none of
    ``* ? [ ]``. The client checks names before sending them, so this is usually raised locally.
    """

    CODE = 7
    LABEL = "invalid name"


class UnsupportedVersionError(ProtocolError):
    """Code 8: the broker does not speak the protocol version of this client."""

    CODE = 8
    LABEL = "unsupported version"


class UnexpectedEnvelopeError(ProtocolError):
    """Code 9: an envelope arrived when the protocol does not allow it."""

    CODE = 9
    LABEL = "unexpected envelope"


class DisconnectedError(RelayError):
    """The connection to the broker is gone (closed locally, dropped, or closed by the broker).

    Its subclasses say why when the broker told us. Raised by every call on a peer whose connection
    is gone for good; with ``reconnect=True`` it is raised only to calls that were waiting for an
    answer on the lost connection (and by sends that could not reconnect in time).
    """

    LABEL = "disconnected"


class BrokerClosingError(DisconnectedError):
    """The broker is shutting down (it sent GOODBYE with reason 1).

    Without ``reconnect`` this is raised by ``recv()`` once the messages delivered before the
    GOODBYE have been received. With ``reconnect=True`` the client pauses and reconnects instead.
    """

    LABEL = "broker closing"


class SlowConsumerError(DisconnectedError):
    """Code 10: the broker closed the connection because this peer did not read its messages."""

    CODE = 10
    LABEL = "slow consumer"


class KickedError(DisconnectedError):
    """Code 11: an operator disconnected this peer."""

    CODE = 11
    LABEL = "kicked"


class IdleTimeoutError(DisconnectedError):
    """Code 12: the broker closed the connection because this peer did not answer a PING."""

    CODE = 12
    LABEL = "idle timeout"


class ReplacedError(DisconnectedError):
    """Code 13: another connection registered the same name and replaced this one."""

    CODE = 13
    LABEL = "replaced"


class ClusterUnavailableError(RelayError):
    """Code 14: the broker is a cluster node that cannot reach the cluster's NATS servers.

    Raised by a SEND to a peer on another node (the connection stays open; local peers are still
    reachable), and by ``connect()`` when the name could not be claimed cluster-wide (that
    connection is closed: connecting again, perhaps to another node, may succeed).
    """

    CODE = 14
    LABEL = "cluster unavailable"


_BY_CODE: Dict[int, Type[RelayError]] = {
    cls.CODE: cls
    for cls in (
        UnknownPeerError,
        NameTakenError,
        MessageTooLargeError,
        ProtocolError,
        NotPermittedError,
        PeerBusyError,
        InvalidNameError,
        UnsupportedVersionError,
        UnexpectedEnvelopeError,
        SlowConsumerError,
        KickedError,
        IdleTimeoutError,
        ReplacedError,
        ClusterUnavailableError,
    )
    if cls.CODE is not None
}

# The names of mprelay 0.1, kept as aliases so code written against them keeps working; new code
# should use the ``...Error`` names, as redis-py and nats-py users expect.
UnknownPeer = UnknownPeerError
NameTaken = NameTakenError
MessageTooLarge = MessageTooLargeError
NotPermitted = NotPermittedError
PeerBusy = PeerBusyError
InvalidName = InvalidNameError
UnsupportedVersion = UnsupportedVersionError
UnexpectedEnvelope = UnexpectedEnvelopeError
Disconnected = DisconnectedError
BrokerClosing = BrokerClosingError
SlowConsumer = SlowConsumerError
Kicked = KickedError
IdleTimeout = IdleTimeoutError
Replaced = ReplacedError

#: Codes after which the broker closes the connection (section 3.4 of the protocol).
CLOSING_CODES = frozenset({2, 4, 7, 8, 9, 10, 11, 12, 13})


def error_for_code(
    code: int, text: str = "", *, correlation_id: int = 0, peer: Optional[str] = None
) -> RelayError:
    """Build the exception for an ERROR envelope: the class of ``code``, or :class:`RelayError`."""
    cls = _BY_CODE.get(code, RelayError)
    return cls(text, code=code, correlation_id=correlation_id, peer=peer)
