"""max_connections and max_handshakes: refusals, and slots given back however a connection ends."""

import socket
import struct
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest

import relaywire as rw


def test_max_connections(start_relay):
    relay = start_relay(max_connections=3)
    peers = [rw.Peer(relay.addresses[i], relay.authkey, "slot-%d" % i) for i in range(3)]
    assert rw.refused_at_accept(relay.by_kind("inet"))
    relay.wait_for_log(r"^\[WARNING/MainProcess\] refused connection from .*max_connections")
    peers[0].close()
    time.sleep(0.3)
    peers[0] = rw.Peer(relay.by_kind("unix"), relay.authkey, "slot-again")
    for p in peers:
        p.close()


def test_handshake_slots_come_back_after_every_kind_of_failure(start_relay):
    relay = start_relay(max_handshakes=2, handshake_timeout=1.0)
    inet, unix = relay.by_kind("inet"), relay.by_kind("unix")
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            Client(inet, authkey=b"wrong")
        s = socket.create_connection(inet)  # closes mid-handshake
        s.recv(100)
        s.close()
        s = socket.socket(socket.AF_UNIX)  # garbage as the reply
        s.connect(unix)
        s.sendall(b"\xff" * 64)
        s.settimeout(3)
        while s.recv(4096):
            pass
        s.close()
        s = socket.socket(socket.AF_UNIX)  # oversize handshake frame
        s.connect(unix)
        s.sendall(struct.pack(">i", 257))
        s.settimeout(3)
        while s.recv(4096):
            pass
        s.close()
        conn = Client(inet, authkey=relay.authkey)  # authenticated, leaves before HELLO
        conn.close()
    time.sleep(0.3)
    # Both slots are free: two handshakes at once still succeed.
    a = Client(inet, authkey=relay.authkey)
    b = Client(unix, authkey=relay.authkey)
    a.close()
    b.close()


def test_max_handshakes_refuses_while_slots_held_then_recovers(start_relay):
    relay = start_relay(max_handshakes=2, handshake_timeout=1.0)
    inet = relay.by_kind("inet")
    silent = [socket.create_connection(inet) for _ in range(2)]
    time.sleep(0.2)
    assert rw.refused_at_accept(inet), "a third concurrent handshake was accepted with max_handshakes = 2"
    relay.wait_for_log(r"refused connection from .*max_handshakes")
    # Once the silent ones time out, their slots are free again.
    for s in silent:
        s.settimeout(4)
        while s.recv(4096):
            pass
        s.close()
    rw.Peer(inet, relay.authkey, "after-the-silent-ones").close()
