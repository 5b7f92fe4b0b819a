"""The envelopes of the mprelay wire protocol, version 1, as values (docs/PROTOCOL.md, section 3).

The constants, the enumerations and one named tuple per envelope kind. :mod:`mprelay.protocol`
re-exports all of them beside the encoders and decoders; import them from there.
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Tuple, Union

__all__ = [
    "VERSION",
    "Kind",
    "ErrorCode",
    "GoodbyeReason",
    "OPT_CONFIRM",
    "OPT_REPLY",
    "FLAG_PICKLE",
    "MAX_NAME_BYTES",
    "MESSAGE_HEADER_BYTES",
    "MAX_HEADER_BYTES",
    "Hello",
    "Welcome",
    "Send",
    "Deliver",
    "Error",
    "Ack",
    "Ping",
    "Pong",
    "Goodbye",
    "List",
    "Peers",
    "Watch",
    "Joined",
    "Left",
    "Envelope",
]

#: The protocol version this client speaks.
VERSION = 1

#: SEND option: the broker answers ACK (or ERROR) once the message is queued for its receiver.
OPT_CONFIRM = 0x01
#: SEND/DELIVER option: this message answers the request whose correlation id it carries.
OPT_REPLY = 0x02
#: Flags bit set by the Python client when the payload is a pickle.
FLAG_PICKLE = 0x01

#: The longest peer name, in UTF-8 bytes.
MAX_NAME_BYTES = 255
#: The fixed part of a SEND/DELIVER header (kind, options, flags, id, name length).
MESSAGE_HEADER_BYTES = 12
#: The largest SEND/DELIVER header: a frame body may be ``max_message_bytes`` plus this long.
MAX_HEADER_BYTES = MESSAGE_HEADER_BYTES + MAX_NAME_BYTES


class Kind(enum.IntEnum):
    """The first byte of every envelope."""

    HELLO = 0x01
    WELCOME = 0x02
    SEND = 0x03
    DELIVER = 0x04
    ERROR = 0x05
    ACK = 0x06
    PING = 0x07
    PONG = 0x08
    GOODBYE = 0x09
    LIST = 0x0A
    PEERS = 0x0B
    WATCH = 0x0C
    JOINED = 0x0D
    LEFT = 0x0E


class ErrorCode(enum.IntEnum):
    """The error codes of ERROR envelopes (codes never change meaning)."""

    UNKNOWN_PEER = 1
    NAME_TAKEN = 2
    MESSAGE_TOO_LARGE = 3
    MALFORMED_FRAME = 4
    NOT_PERMITTED = 5
    PEER_BUSY = 6
    INVALID_NAME = 7
    UNSUPPORTED_VERSION = 8
    UNEXPECTED_ENVELOPE = 9
    SLOW_CONSUMER = 10
    KICKED = 11
    IDLE_TIMEOUT = 12
    REPLACED = 13


class GoodbyeReason(enum.IntEnum):
    """Why a GOODBYE was sent."""

    LEAVING = 0
    SHUTTING_DOWN = 1


class Hello(NamedTuple):
    """HELLO, client to broker, first envelope: register ``name`` speaking ``version``."""

    name: str
    version: int = VERSION


class Welcome(NamedTuple):
    """WELCOME, broker to client: registered; payloads may be up to ``max_message_bytes``."""

    max_message_bytes: int
    version: int = VERSION


class Send(NamedTuple):
    """SEND, client to broker: deliver ``payload`` to the peer ``peer``."""

    peer: str
    payload: bytes
    options: int = 0
    flags: int = 0
    correlation_id: int = 0


class Deliver(NamedTuple):
    """DELIVER, broker to client: ``peer`` (stamped by the broker) sent ``payload``."""

    peer: str
    payload: bytes
    options: int = 0
    flags: int = 0
    correlation_id: int = 0


class Error(NamedTuple):
    """ERROR, broker to client: the envelope with ``correlation_id`` (0: none) failed."""

    code: int
    correlation_id: int = 0
    peer: str = ""
    text: str = ""


class Ack(NamedTuple):
    """ACK, broker to client: the confirmed SEND or the WATCH with this id took effect."""

    correlation_id: int


class Ping(NamedTuple):
    """PING, either way: answered by a PONG with the same id."""

    correlation_id: int


class Pong(NamedTuple):
    """PONG, either way: the answer to a PING."""

    correlation_id: int


class Goodbye(NamedTuple):
    """GOODBYE, either way: the sender is about to close the connection."""

    reason: int
    text: str = ""


class List(NamedTuple):
    """LIST, client to broker: which peers are registered? Answered by PEERS."""

    correlation_id: int


class Peers(NamedTuple):
    """PEERS, broker to client: the registered names, sorted bytewise."""

    correlation_id: int
    names: Tuple[str, ...]


class Watch(NamedTuple):
    """WATCH, client to broker: start (``enable``) or stop presence events. Answered by ACK."""

    correlation_id: int
    enable: bool


class Joined(NamedTuple):
    """JOINED, broker to watcher: a peer registered."""

    name: str


class Left(NamedTuple):
    """LEFT, broker to watcher: a peer went away."""

    name: str


#: Any decoded envelope.
Envelope = Union[
    Hello, Welcome, Send, Deliver, Error, Ack, Ping, Pong, Goodbye, List, Peers, Watch, Joined, Left
]
