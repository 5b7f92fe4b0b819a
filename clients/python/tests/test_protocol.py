"""Unit tests that need no daemon: the envelope codec against docs/PROTOCOL.md, the errors, and
the client's own bytes on the wire, checked with a scripted broker built on the stdlib Listener."""

from __future__ import annotations

import itertools
import os
import pickle
import threading
from multiprocessing.connection import Listener
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

import mprelay
from mprelay import protocol as P
from mprelay.address import normalize_address as _normalize_address
from mprelay.address import resolve_authkey as _resolve_authkey


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text.replace("\n", " "))


# The exchange of PROTOCOL.md section 5, frame by frame (length header included).
HELLO = hexbytes("00 00 00 04  01 01 01 61")
WELCOME = hexbytes("00 00 00 0a  02 01 00 00 00 00 01 00 00 00")
SEND = hexbytes("00 00 00 0f  03 01 00  00 00 00 00 00 00 00 07  01 62  68 69")
ACK = hexbytes("00 00 00 09  06  00 00 00 00 00 00 00 07")
DELIVER = hexbytes("00 00 00 0f  04 00 00  00 00 00 00 00 00 00 07  01 61  68 69")


class TestSection5:
    def test_hello(self) -> None:
        assert P.frame(P.encode_hello("a")) == HELLO
        assert P.decode(HELLO[4:]) == P.Hello("a", 1)

    def test_welcome(self) -> None:
        assert P.frame(P.encode(P.Welcome(16 * 1024 * 1024))) == WELCOME
        assert P.decode(WELCOME[4:]) == P.Welcome(16777216, 1)

    def test_send(self) -> None:
        body = P.encode_send("b", b"hi", options=P.OPT_CONFIRM, correlation_id=7)
        assert P.frame(body) == SEND
        assert P.decode(SEND[4:]) == P.Send("b", b"hi", P.OPT_CONFIRM, 0, 7)

    def test_ack(self) -> None:
        assert P.frame(P.encode_id(P.Kind.ACK, 7)) == ACK
        assert P.decode(ACK[4:]) == P.Ack(7)

    def test_deliver(self) -> None:
        assert P.frame(P.encode(P.Deliver("a", b"hi", 0, 0, 7))) == DELIVER
        assert P.decode(DELIVER[4:]) == P.Deliver("a", b"hi", 0, 0, 7)


class TestCodec:
    ENVELOPES: List[Any] = [
        P.Hello("alice"),
        P.Welcome(1 << 30),
        P.Send("bob", b"", P.OPT_REPLY, P.FLAG_PICKLE, (1 << 64) - 1),
        P.Deliver("\u00e9l\u00e8ve", b"x" * 1000, P.OPT_REPLY, 0xFF, 1),
        P.Error(1, 9, "nobody", "no peer named nobody"),
        P.Error(12, 0, "", ""),
        P.Ack(1),
        P.Ping(2),
        P.Pong(3),
        P.Goodbye(1, "shutting down"),
        P.Goodbye(0),
        P.List(4),
        P.Peers(5, ("a", "b", "c" * 255)),
        P.Peers(6, ()),
        P.Watch(7, True),
        P.Watch(8, False),
        P.Joined("carol"),
        P.Left("carol"),
    ]

    @pytest.mark.parametrize("envelope", ENVELOPES, ids=lambda e: type(e).__name__)
    def test_round_trip(self, envelope: Any) -> None:
        assert P.decode(P.encode(envelope)) == envelope

    def test_layouts(self) -> None:
        assert P.encode(P.Error(6, 7, "b", "full")) == hexbytes(
            "05 00 06  00 00 00 00 00 00 00 07  01 62") + b"full"
        assert P.encode(P.Peers(1, ("a", "bc"))) == hexbytes(
            "0b  00 00 00 00 00 00 00 01  00 00 00 02  01 61  02 62 63")
        assert P.encode_watch(3, True) == hexbytes("0c 00 00 00 00 00 00 00 03 01")
        assert P.encode(P.Joined("x")) == hexbytes("0d 01 78")
        assert P.encode(P.Left("x")) == hexbytes("0e 01 78")
        assert P.encode_goodbye(1, "bye") == hexbytes("09 00 01") + b"bye"
        assert P.encode_id(P.Kind.PING, 258) == hexbytes("07 00 00 00 00 00 00 01 02")
        assert P.encode_id(P.Kind.LIST, 1) == hexbytes("0a 00 00 00 00 00 00 00 01")

    def test_long_frame_header(self) -> None:
        # The 8-byte form is only for bodies over 0x7fffffff bytes; check the header shape only.
        class Big:
            def __len__(self) -> int:
                return 0x80000000

        assert P.frame(b"abc") == b"\x00\x00\x00\x03abc"
        with pytest.raises(TypeError):
            P.frame(Big())  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "body, why",
        [
            (b"", "empty"),
            (b"\x42", "unknown envelope kind"),
            (hexbytes("06 00 00 00"), "expected 9 bytes"),
            (hexbytes("06 00 00 00 00 00 00 00 01 00"), "expected 9 bytes"),
            (hexbytes("02 01 00"), "expected 10 bytes"),
            (hexbytes("04 00 00 00 00 00 00 00 00 00 07 05 61"), "runs past the end"),
            (hexbytes("04 00 00 00 00 00 00 00 00 00 07 00"), "empty name"),
            (hexbytes("04 04 00 00 00 00 00 00 00 00 07 01 61"), "option bits"),
            (hexbytes("0d 02 61"), "runs past the end"),
            (hexbytes("0d 01 61 62"), "expected 3 bytes"),
            (hexbytes("0b 00 00 00 00 00 00 00 01 00 00 00 02 01 61"), "truncated"),
            (hexbytes("0c 00 00 00 00 00 00 00 01 02"), "flag must be 0 or 1"),
            (hexbytes("05 00 01 00 00 00 00 00 00 00 00 00 ff"), "not UTF-8"),
        ],
    )
    def test_malformed(self, body: bytes, why: str) -> None:
        with pytest.raises(mprelay.ProtocolError, match=why):
            P.decode(body)

    def test_kinds(self) -> None:
        assert [int(k) for k in P.Kind] == list(range(1, 15))
        assert P.MAX_HEADER_BYTES == 267


class TestNames:
    @pytest.mark.parametrize("name", ["a", "worker-1", "\u00e9t\u00e9", "x" * 255, "a.b:c/d", "\U0001f600"])
    def test_valid(self, name: str) -> None:
        assert P.validate_name(name) == name.encode()

    @pytest.mark.parametrize(
        "name",
        ["", "x" * 256, "\u00e9" * 128, "a b", "a\tb", "a\nb", "a\x00b", "a\x7f", "a\x85b",
         "a\u00a0b", "a\u2003b", "a\u3000b", "a*", "a?", "a[1]", "\ud800"],
    )
    def test_invalid(self, name: str) -> None:
        with pytest.raises(mprelay.InvalidName):
            P.validate_name(name)
        with pytest.raises(ValueError):  # InvalidName is a ValueError too
            P.validate_name(name)


class TestErrors:
    def test_hierarchy(self) -> None:
        for cls in (mprelay.UnknownPeer, mprelay.NameTaken, mprelay.MessageTooLarge,
                    mprelay.NotPermitted, mprelay.PeerBusy, mprelay.ProtocolError,
                    mprelay.InvalidName, mprelay.Disconnected, mprelay.BrokerClosing,
                    mprelay.SlowConsumer, mprelay.Kicked, mprelay.IdleTimeout, mprelay.Replaced,
                    mprelay.UnsupportedVersion, mprelay.UnexpectedEnvelope):
            assert issubclass(cls, mprelay.RelayError)
        assert issubclass(mprelay.BrokerClosing, mprelay.Disconnected)
        assert issubclass(mprelay.Kicked, mprelay.Disconnected)
        assert issubclass(mprelay.UnsupportedVersion, mprelay.ProtocolError)
        assert not issubclass(mprelay.AuthenticationError, mprelay.RelayError)

    def test_codes(self) -> None:
        from mprelay.errors import error_for_code

        expected = {1: mprelay.UnknownPeer, 2: mprelay.NameTaken, 3: mprelay.MessageTooLarge,
                    4: mprelay.ProtocolError, 5: mprelay.NotPermitted, 6: mprelay.PeerBusy,
                    7: mprelay.InvalidName, 8: mprelay.UnsupportedVersion,
                    9: mprelay.UnexpectedEnvelope, 10: mprelay.SlowConsumer, 11: mprelay.Kicked,
                    12: mprelay.IdleTimeout, 13: mprelay.Replaced}
        for code, cls in expected.items():
            e = error_for_code(code, "why", correlation_id=5, peer="bob")
            assert type(e) is cls and e.code == code == int(P.ErrorCode(code))
            assert (e.correlation_id, e.peer, e.text) == (5, "bob", "why")
        unknown = error_for_code(999, "from the future")
        assert type(unknown) is mprelay.RelayError and unknown.code == 999
        assert "999" in str(unknown)

    def test_pickle(self) -> None:
        e = mprelay.PeerBusy("queue full", correlation_id=42, peer="bob")
        copy = pickle.loads(pickle.dumps(e))
        assert type(copy) is mprelay.PeerBusy
        assert (copy.code, copy.correlation_id, copy.peer, copy.text) == (6, 42, "bob", "queue full")
        assert str(copy) == str(e)
        assert "bob" in str(e) and "42" in str(e) and "queue full" in str(e)

    def test_old_names_are_aliases(self) -> None:
        for old in ("UnknownPeer", "NameTaken", "MessageTooLarge", "NotPermitted", "PeerBusy",
                    "InvalidName", "UnsupportedVersion", "UnexpectedEnvelope", "Disconnected",
                    "BrokerClosing", "SlowConsumer", "Kicked", "IdleTimeout", "Replaced"):
            assert getattr(mprelay, old) is getattr(mprelay, old + "Error"), old
            assert old in mprelay.__all__ and old + "Error" in mprelay.__all__
        from mprelay.errors import error_for_code

        assert type(error_for_code(6)).__name__ == "PeerBusyError"

    def test_presence_events(self) -> None:
        assert mprelay.PeerJoined("a") == mprelay.PeerJoined("a") != mprelay.PeerLeft("a")
        assert pickle.loads(pickle.dumps(mprelay.PeerLeft("b"))) == mprelay.PeerLeft("b")
        assert repr(mprelay.PeerJoined("a")) == "PeerJoined('a')"


class TestArguments:
    def test_authkey_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MPRELAY_AUTHKEY", "s\u00e9cret")
        assert _resolve_authkey(None) == os.fsencode("s\u00e9cret")
        assert _resolve_authkey(b"given") == b"given"
        monkeypatch.delenv("MPRELAY_AUTHKEY")
        with pytest.raises(ValueError, match="MPRELAY_AUTHKEY"):
            _resolve_authkey(None)
        with pytest.raises(TypeError, match="byte string"):
            _resolve_authkey("text")  # type: ignore[arg-type]

    def test_no_key_never_uses_the_process_authkey(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("MPRELAY_AUTHKEY", raising=False)
        with pytest.raises(ValueError, match="no authkey"):
            mprelay.connect(("127.0.0.1", 9), name="x")

    def test_addresses(self, tmp_path: Path) -> None:
        assert _normalize_address(("h", 1)) == ("h", 1)
        assert _normalize_address("\0abstract") == "\0abstract"
        assert _normalize_address(tmp_path / "s") == str(tmp_path / "s")
        for bad in (["h", 1], 6000, ("h",), ("h", "1"), "\\\\.\\pipe\\x"):
            with pytest.raises(ValueError):
                _normalize_address(bad)

    def test_invalid_name_before_connecting(self) -> None:
        with pytest.raises(mprelay.InvalidName):
            mprelay.connect(("127.0.0.1", 9), authkey=b"k", name="has space")


# -- the client's bytes, against a scripted broker --------------------------------------------------

KEY = b"unit-test-key"


class ScriptedBroker:
    """Accepts one client with the stdlib Listener (so the handshake is CPython's) and runs
    ``script(conn)`` in a thread; failures in the script are re-raised by ``join()``."""

    def __init__(self, tmp: Path, script: Callable[[Any], None]) -> None:
        self.address = str(tmp / "scripted.sock")
        self.listener = Listener(self.address, family="AF_UNIX", authkey=KEY)
        self.error: List[BaseException] = []

        def run() -> None:
            try:
                conn = self.listener.accept()
                with conn:
                    script(conn)
            except BaseException as exc:  # pragma: no cover - reported by join()
                self.error.append(exc)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(10)
        self.listener.close()
        assert not self.thread.is_alive(), "the scripted broker hung"
        if self.error:
            raise self.error[0]


@pytest.fixture
def scripted(tmp_path: Path) -> Iterator[Callable[[Callable[[Any], None]], ScriptedBroker]]:
    brokers: List[ScriptedBroker] = []

    def make(script: Callable[[Any], None]) -> ScriptedBroker:
        brokers.append(ScriptedBroker(tmp_path, script))
        return brokers[-1]

    yield make
    for b in brokers:
        b.join()


def test_client_speaks_section_5(scripted: Any) -> None:
    def script(conn: Any) -> None:
        assert P.frame(conn.recv_bytes()) == HELLO
        conn.send_bytes(WELCOME[4:])
        assert P.frame(conn.recv_bytes()) == SEND
        conn.send_bytes(ACK[4:])
        conn.send_bytes(DELIVER[4:])
        assert conn.recv_bytes()[0] == P.Kind.GOODBYE

    b = scripted(script)
    with mprelay.connect(b.address, authkey=KEY, name="a", keepalive=None) as peer:
        assert peer.max_message_bytes == 16 * 1024 * 1024
        peer._ids = itertools.count(7)  # the example's correlation id
        assert peer.send_bytes("b", b"hi", confirm=True) == 7
        msg = peer.recv(timeout=5)
        assert (msg.sender, msg.payload, msg.flags, msg.correlation_id) == ("a", b"hi", 0, 7)
        assert not msg.is_reply


def test_pickle_flag_and_ping_answered(scripted: Any) -> None:
    def script(conn: Any) -> None:
        conn.recv_bytes()
        conn.send_bytes(P.encode(P.Welcome(1000)))
        env = P.decode(conn.recv_bytes())
        assert isinstance(env, P.Send) and env.flags == P.FLAG_PICKLE and env.options == 0
        assert pickle.loads(env.payload) == {"job": 1}
        conn.send_bytes(P.encode_id(P.Kind.PING, 99))
        assert P.decode(conn.recv_bytes()) == P.Pong(99)
        conn.send_bytes(P.encode(P.Deliver("b", env.payload, 0, P.FLAG_PICKLE, 5)))
        conn.recv_bytes()  # GOODBYE

    b = scripted(script)
    with mprelay.connect(b.address, authkey=KEY, name="a", keepalive=None) as peer:
        peer.send("b", {"job": 1})
        msg = peer.recv(timeout=5)
        assert msg.payload == {"job": 1} and msg.pickled
        with pytest.raises(mprelay.MessageTooLarge) as info:
            peer.send_bytes("b", b"x" * 1001)
        assert info.value.peer == "b" and info.value.code == 3


def test_garbage_from_the_broker_is_a_protocol_error(scripted: Any) -> None:
    def script(conn: Any) -> None:
        conn.recv_bytes()
        conn.send_bytes(P.encode(P.Welcome(1000)))
        conn.send_bytes(b"\x42garbage")
        try:
            conn.recv_bytes()
        except EOFError:
            pass

    b = scripted(script)
    with mprelay.connect(b.address, authkey=KEY, name="a", keepalive=None) as peer:
        with pytest.raises(mprelay.ProtocolError, match="0x42"):
            peer.recv(timeout=5)
        with pytest.raises(mprelay.ProtocolError):  # and the peer stays closed
            peer.send_bytes("b", b"x")
        assert peer.closed


def test_error_at_registration(scripted: Any) -> None:
    def script(conn: Any) -> None:
        conn.recv_bytes()
        conn.send_bytes(P.encode(P.Error(8, 0, "a", "only version 2")))

    b = scripted(script)
    with pytest.raises(mprelay.UnsupportedVersion, match="only version 2"):
        mprelay.connect(b.address, authkey=KEY, name="a", keepalive=None)


def test_connect_timeout_when_the_broker_is_silent(scripted: Any) -> None:
    gate = threading.Event()

    def script(conn: Any) -> None:
        conn.recv_bytes()  # HELLO, never answered
        gate.wait(10)

    b = scripted(script)
    try:
        with pytest.raises(TimeoutError):
            mprelay.connect(b.address, authkey=KEY, name="a", timeout=0.3, keepalive=None)
    finally:
        gate.set()
