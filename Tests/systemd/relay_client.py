#!/usr/bin/python3
"""A stock-Python mprelay client for the systemd test: multiprocessing.connection.Client does
the handshake, then HELLO/WELCOME and PING/PONG envelopes (docs/PROTOCOL.md) prove the relay.

    relay_client.py hello ADDRESS KEYFILE NAME   connect, register, ping once, print OK
    relay_client.py hold ADDRESS KEYFILE NAME    connect and register, print CONNECTED, then obey
                                                 stdin lines: "ping" (prints PONG), "goodbye"
                                                 (waits for the broker's GOODBYE, prints
                                                 GOODBYE <reason> or EOF), "flood" (4000
                                                 SENDs to itself it never reads, prints
                                                 FLOODED), "quit"

ADDRESS is host:port or a socket path. The key is the file's bytes minus one trailing newline,
as mprelayd reads it. Every wait is bounded: a relay that does not answer fails the test.
"""
import os
import socket
import struct
import sys
from multiprocessing.connection import Client

TIMEOUT = 10.0
HELLO, WELCOME, SEND, ERROR, PING, PONG, GOODBYE = 0x01, 0x02, 0x03, 0x05, 0x07, 0x08, 0x09


def connect(address, keyfile):
    with open(keyfile, "rb") as file:
        key = file.read()
    if key.endswith(b"\n"):
        key = key[:-1]
    if "/" in address:
        target = address
    else:
        host, _, port = address.rpartition(":")
        target = (host, int(port))
    # Client has no timeout of its own; every socket it creates gets this one.
    socket.setdefaulttimeout(TIMEOUT)
    return Client(target, authkey=key)


def receive(connection, expected):
    """The next envelope of a kind in `expected`, answering the broker's PINGs on the way."""
    while True:
        if not connection.poll(TIMEOUT):
            raise SystemExit(f"no envelope of kind {expected} within {TIMEOUT} s")
        body = connection.recv_bytes()
        kind = body[0]
        if kind == PING and PING not in expected:
            connection.send_bytes(bytes([PONG]) + body[1:9])
            continue
        if kind == ERROR:
            code, = struct.unpack(">H", body[1:3])
            raise SystemExit(f"relay answered ERROR {code}: {body[12 + body[11]:].decode(errors='replace')}")
        if kind in expected:
            return body
        raise SystemExit(f"unexpected envelope kind {kind:#04x} while waiting for {expected}")


def register(connection, name):
    encoded = name.encode()
    connection.send_bytes(bytes([HELLO, 1, len(encoded)]) + encoded)
    welcome = receive(connection, (WELCOME,))
    if welcome[1] != 1:
        raise SystemExit(f"WELCOME speaks protocol {welcome[1]}, not 1")


def ping(connection, number):
    connection.send_bytes(bytes([PING]) + struct.pack(">Q", number))
    pong = receive(connection, (PONG,))
    if struct.unpack(">Q", pong[1:9])[0] != number:
        raise SystemExit("PONG carries another correlation id")


def main(argv):
    if len(argv) != 5 or argv[1] not in ("hello", "hold"):
        raise SystemExit(__doc__)
    mode, address, keyfile, name = argv[1:]
    connection = connect(address, keyfile)
    register(connection, name)
    if mode == "hello":
        ping(connection, 1)
        print("OK", flush=True)
        return
    print("CONNECTED", flush=True)
    number = 1
    for line in sys.stdin:
        command = line.strip()
        if command == "ping":
            number += 1
            try:
                ping(connection, number)
                print("PONG", flush=True)
            except (EOFError, OSError) as error:
                print(f"LOST {error!r}", flush=True)
        elif command == "goodbye":
            try:
                body = receive(connection, (GOODBYE,))
                reason, = struct.unpack(">H", body[1:3])
                print(f"GOODBYE {reason} {body[3:].decode(errors='replace')}", flush=True)
            except (EOFError, OSError):
                print("EOF", flush=True)
        elif command == "flood":
            # SENDs to itself, never reading the deliveries: the relay's queue for this client
            # stays full, so a shutdown drains for all of drain_timeout.
            out = socket.socket(fileno=os.dup(connection.fileno()))
            out.settimeout(2)
            body = struct.pack(">BBBQB", SEND, 0, 0, 0, len(name.encode())) + name.encode() + b"x" * 1024
            frame = struct.pack(">i", len(body)) + body
            try:
                for _ in range(4000):
                    out.sendall(frame)
            except (socket.timeout, OSError):
                pass
            out.detach()
            print("FLOODED", flush=True)
        elif command == "quit":
            return


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (OSError, EOFError, ValueError) as error:
        # multiprocessing's AuthenticationError is a ProcessError; both end the same way.
        raise SystemExit(f"FAILED: {type(error).__name__}: {error}")
    except Exception as error:
        raise SystemExit(f"FAILED: {type(error).__name__}: {error}")
