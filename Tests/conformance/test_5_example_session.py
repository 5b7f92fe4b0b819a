"""docs/PROTOCOL.md §5, "A session, byte by byte": every frame of the example, header included."""

EXAMPLE = {
    "hello": "00 00 00 04  01 01 01 61",
    "welcome": "00 00 00 0a  02 01 00 00 00 00 01 00 00 00",
    "send": "00 00 00 0f  03 01 00  00 00 00 00 00 00 00 07  01 62  68 69",
    "ack": "00 00 00 09  06  00 00 00 00 00 00 00 07",
    "deliver": "00 00 00 0f  04 00 00  00 00 00 00 00 00 00 07  01 61  68 69",
}


def wire(name):
    return bytes.fromhex(EXAMPLE[name].replace(" ", ""))


def test_the_example_session_byte_for_byte(relay, connect):
    """§5: "A client registering as `a` and sending `hi` to `b` with correlation id 7 and confirm"
    sees exactly these bytes: HELLO, WELCOME (v1, max 16 MiB), SEND, ACK id 7, and `b` gets the
    DELIVER from "a", flags 0, id 7, payload "hi". (The broker's default max_message_bytes is
    16 MiB, as in the example.)"""
    b = connect(relay, b"b")
    a = connect(relay)
    a.send_raw(wire("hello"))
    assert a.recv_exact(len(wire("welcome"))) == wire("welcome")
    a.send_raw(wire("send"))
    assert a.recv_exact(len(wire("ack"))) == wire("ack")
    assert b.recv_exact(len(wire("deliver"))) == wire("deliver")
    a.expect_silence()
    b.expect_silence()
