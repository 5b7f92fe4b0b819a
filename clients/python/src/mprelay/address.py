"""Where a peer connects and with which key: addresses as the standard library spells them.

No I/O happens here: :mod:`mprelay.link` opens the socket.
"""

from __future__ import annotations

import os
import re
from typing import Any, List, Optional, Tuple, Union

__all__ = [
    "AUTHKEY_ENV",
    "Address",
    "Addresses",
    "SocketAddress",
    "normalize_address",
    "normalize_addresses",
    "parse_address",
    "resolve_authkey",
]

#: The environment variable read when ``authkey`` is not given.
AUTHKEY_ENV = "MPRELAY_AUTHKEY"

#: What ``address`` may be: exactly what :func:`multiprocessing.connection.Client` takes (a
#: ``(host, port)`` tuple, a filesystem path, an abstract ``"\0name"``), plus IPv6 hosts and
#: ``(host, port, flowinfo, scope_id)`` tuples and :class:`os.PathLike` paths.
Address = Union[Tuple[str, int], Tuple[str, int, int, int], str, bytes, "os.PathLike[str]"]

#: What ``connect`` takes: one :data:`Address`, or a list of them (the brokers of a cluster), tried
#: in order. A tuple is always one TCP address; several addresses go in a ``list``.
Addresses = Union[Address, List[Address]]

#: An address after :func:`normalize_address`: a tuple for TCP, a ``str``/``bytes`` Unix path.
SocketAddress = Union[Tuple[Any, ...], str, bytes]


def resolve_authkey(authkey: Optional[Union[bytes, bytearray, memoryview]]) -> bytes:
    """The key to authenticate with: ``authkey`` itself, or ``$MPRELAY_AUTHKEY`` when it is None.

    Raises ``ValueError`` if neither gives a non-empty key, ``TypeError`` for a key that is not
    bytes. Never falls back to the process's :mod:`multiprocessing` authkey.
    """
    if authkey is None:
        env = os.environ.get(AUTHKEY_ENV)
        if not env:
            raise ValueError(
                "no authkey: pass authkey=b'...' to connect() or set the environment variable "
                "%s (mprelay never falls back to the process's multiprocessing authkey)" % AUTHKEY_ENV
            )
        return os.fsencode(env)
    if isinstance(authkey, (bytes, bytearray, memoryview)):
        key = bytes(authkey)
        if not key:
            raise ValueError("authkey must not be empty")
        return key
    raise TypeError("authkey should be a byte string, not %s" % type(authkey).__name__)


def normalize_address(address: Any) -> SocketAddress:
    """Check an :data:`Address` and return it in the form :mod:`socket` takes.

    Raises ``ValueError`` naming the address for anything :func:`connect` cannot reach (Windows
    named pipes included).
    """
    if isinstance(address, tuple):
        if len(address) not in (2, 4) or not isinstance(address[0], str):
            raise ValueError("a socket address is (host, port) or (host, port, flowinfo, scope_id)")
        if not isinstance(address[1], int):
            raise ValueError("the port must be an int, got %r" % (address[1],))
        return address
    if isinstance(address, os.PathLike):
        address = os.fspath(address)
    if isinstance(address, str):
        if address.startswith("\\\\"):
            raise ValueError("named pipes are not supported by mprelay: %r" % address)
        return address
    if isinstance(address, bytes):
        return address
    raise ValueError("address type of %r unrecognized" % (address,))


def normalize_addresses(addresses: Any) -> List[SocketAddress]:
    """Check one :data:`Address` or a non-empty list of them; return them as :mod:`socket` takes
    them, in order."""
    if isinstance(addresses, list):
        if not addresses:
            raise ValueError("the list of broker addresses is empty")
        return [normalize_address(address) for address in addresses]
    return [normalize_address(addresses)]


def parse_address(text: str) -> Union[Tuple[str, int], str]:
    """Parse an address spelt as in mprelayd's configuration into what :func:`connect` takes.

    ``"host:port"`` and ``"[v6 address]:port"`` give a ``(host, port)`` tuple, anything with a
    ``/`` a socket file path, ``"@name"`` (or ``"\0name"``) the abstract socket ``"\0name"``.
    """
    if text.startswith("@"):
        return "\0" + text[1:]
    if text.startswith("\0") or "/" in text:
        return text
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)", text)
    if m:
        return (m.group(1), int(m.group(2)))
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or ":" in host:
        raise ValueError(
            "cannot parse %r: expected host:port, [v6 address]:port, a path or @name" % text
        )
    return (host, int(port))
