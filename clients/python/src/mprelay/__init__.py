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
:class:`multiprocessing.AuthenticationError`, as the standard library does).
"""

from __future__ import annotations

from multiprocessing import AuthenticationError

from .client import (
    AUTHKEY_ENV,
    Address,
    Item,
    Message,
    Peer,
    PeerJoined,
    PeerLeft,
    PresenceEvent,
    connect,
    parse_address,
)
from .errors import (
    BrokerClosing,
    Disconnected,
    IdleTimeout,
    InvalidName,
    Kicked,
    MessageTooLarge,
    NameTaken,
    NotPermitted,
    PeerBusy,
    ProtocolError,
    RelayError,
    Replaced,
    SlowConsumer,
    UnexpectedEnvelope,
    UnknownPeer,
    UnsupportedVersion,
)
from .protocol import validate_name

__version__ = "0.1.0"

__all__ = [
    "AUTHKEY_ENV",
    "Address",
    "AuthenticationError",
    "BrokerClosing",
    "Disconnected",
    "IdleTimeout",
    "InvalidName",
    "Item",
    "Kicked",
    "Message",
    "MessageTooLarge",
    "NameTaken",
    "NotPermitted",
    "Peer",
    "PeerBusy",
    "PeerJoined",
    "PeerLeft",
    "PresenceEvent",
    "ProtocolError",
    "RelayError",
    "Replaced",
    "SlowConsumer",
    "UnexpectedEnvelope",
    "UnknownPeer",
    "UnsupportedVersion",
    "connect",
    "parse_address",
    "validate_name",
    "__version__",
]
