"""mprelay: let Python multiprocessing programs on different machines talk through mprelayd.

mprelayd is a broker. Each program connects to it with the multiprocessing handshake and an
authkey, registers a name, and sends messages to other names::

    import mprelay

    with mprelay.connect(("127.0.0.1", 6000), authkey=b"secret", name="alice", timeout=5) as peer:
        peer.send("bob", {"job": 1})          # pickled
        msg = peer.recv(timeout=5)            # -> mprelay.Message
        print(msg.sender, msg.payload)

The package is pure Python and uses only the standard library. The blocking client is
:func:`connect` / :class:`Peer`; :mod:`mprelay.aio` is the asyncio flavour; :mod:`mprelay.protocol`
is the envelope codec. Every error is a :class:`RelayError` (a wrong key raises
:class:`multiprocessing.AuthenticationError`, as the standard library does); the exception names
end in ``Error``, and the shorter names of mprelay 0.1 (``UnknownPeer``, ``Disconnected``, ...)
remain as aliases of the same classes.
"""

from __future__ import annotations

from multiprocessing import AuthenticationError

from .address import AUTHKEY_ENV, Address, Addresses, parse_address
from .errors import (
    BrokerClosingError,
    ClusterUnavailableError,
    DisconnectedError,
    IdleTimeoutError,
    InvalidNameError,
    KickedError,
    MessageTooLargeError,
    NameTakenError,
    NotPermittedError,
    PeerBusyError,
    ProtocolError,
    RelayError,
    ReplacedError,
    SlowConsumerError,
    UnexpectedEnvelopeError,
    UnknownPeerError,
    UnsupportedVersionError,
)
# The exception names of mprelay 0.1, aliases of the ``...Error`` classes above.
from .errors import (  # noqa: F401
    BrokerClosing,
    Disconnected,
    IdleTimeout,
    InvalidName,
    Kicked,
    MessageTooLarge,
    NameTaken,
    NotPermitted,
    PeerBusy,
    Replaced,
    SlowConsumer,
    UnexpectedEnvelope,
    UnknownPeer,
    UnsupportedVersion,
)
from .message import Item, Message, PeerJoined, PeerLeft, PresenceEvent
from .peer import Peer, connect
from .protocol import validate_name

__version__ = "0.1.0"

__all__ = [
    "AUTHKEY_ENV",
    "Address",
    "Addresses",
    "AuthenticationError",
    "BrokerClosing",
    "BrokerClosingError",
    "ClusterUnavailableError",
    "Disconnected",
    "DisconnectedError",
    "IdleTimeout",
    "IdleTimeoutError",
    "InvalidName",
    "InvalidNameError",
    "Item",
    "Kicked",
    "KickedError",
    "Message",
    "MessageTooLarge",
    "MessageTooLargeError",
    "NameTaken",
    "NameTakenError",
    "NotPermitted",
    "NotPermittedError",
    "Peer",
    "PeerBusy",
    "PeerBusyError",
    "PeerJoined",
    "PeerLeft",
    "PresenceEvent",
    "ProtocolError",
    "RelayError",
    "Replaced",
    "ReplacedError",
    "SlowConsumer",
    "SlowConsumerError",
    "UnexpectedEnvelope",
    "UnexpectedEnvelopeError",
    "UnknownPeer",
    "UnknownPeerError",
    "UnsupportedVersion",
    "UnsupportedVersionError",
    "connect",
    "parse_address",
    "validate_name",
    "__version__",
]
