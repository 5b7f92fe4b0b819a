"""The names :mod:`mprelay.client` had before the client was split into modules.

Kept so that ``from mprelay.client import Peer`` goes on working; new code imports from
:mod:`mprelay` itself.
"""

from __future__ import annotations

from .address import AUTHKEY_ENV, Address, parse_address
from .message import Item, Message, PeerJoined, PeerLeft, PresenceEvent
from .peer import Peer, connect

__all__ = [
    "AUTHKEY_ENV",
    "Address",
    "Item",
    "Message",
    "Peer",
    "PeerJoined",
    "PeerLeft",
    "PresenceEvent",
    "connect",
    "parse_address",
]
