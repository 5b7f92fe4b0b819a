"""docs/PROTOCOL.md §3.8, GOODBYE: the layout, its values, and leaving both ways."""

import pytest

import docwire as w
from labels import case


def test_another_reason_is_malformed(relay, connect):
    """§3.8: "Reason is `0` or `1`; any other value ... is `malformed frame` (4) and a close"."""
    for reason in (2, 0x100, 0xFFFF):
        with case("reason %d" % reason):
            client = connect(relay, b"leaver-%d" % reason)
            client.send(w.goodbye(reason, b"bye"))
            client.expect_error_and_close(w.MALFORMED_FRAME)


def test_a_text_that_is_not_utf8_is_malformed(relay, connect):
    """§3.8: "... or a text that is not UTF-8, is `malformed frame` (4) and a close"."""
    texts = {"ff": b"\xff", "latin1": b"caf\xe9", "overlong": b"\xc0\xaf", "surrogate": b"ok\xed\xa0\x80"}
    for label, text in texts.items():
        with case(label):
            client = connect(relay, label.encode())
            client.send(w.goodbye(w.LEAVING, text))
            client.expect_error_and_close(w.MALFORMED_FRAME)


@pytest.mark.parametrize("text", [b"", "au revoir, ça va".encode()], ids=["empty", "utf8"])
def test_a_client_goodbye_is_not_answered_and_ends_the_connection(relay, connect, text):
    """§3.8: "A client sends GOODBYE (reason 0) before closing to leave cleanly; the broker does
    not answer it, it flushes what it had queued for the client and closes the connection." The
    layout: kind `0x09`, 2-byte reason, UTF-8 text."""
    leaver, sender = connect(relay, b"leaver"), connect(relay, b"sender")
    for i in range(50):
        sender.send(w.send(b"leaver", b"m%d" % i, cid=i, options=w.CONFIRM))
        sender.expect(w.ACK, cid=i)
    leaver.send(bytes([0x09, 0x00, 0x00]) + text)
    envs = leaver.read_until_closed(timeout=5.0)
    assert [(e.kind, e.fields["payload"]) for e in envs] == [(w.DELIVER, b"m%d" % i) for i in range(50)]
    sender.send(w.send(b"leaver", b"late", cid=99))
    sender.expect(w.ERROR, code=w.UNKNOWN_PEER, cid=99, name=b"leaver")


def test_a_goodbye_with_reason_1_from_a_client_is_accepted(relay, connect):
    """§3.8: the reason is "`0` or `1`": both values decode (1 is the broker's own reason, but a
    client sending it is not `malformed frame`); the connection ends as for reason 0."""
    client = connect(relay, b"odd-leaver")
    client.send(w.goodbye(w.SHUTTING_DOWN, b"x"))
    assert client.read_until_closed(timeout=5.0) == []


def test_a_goodbye_before_hello_is_unexpected(relay, connect):
    """§3.8: "(A GOODBYE before HELLO is `unexpected envelope`, §3.)"."""
    client = connect(relay)
    client.send(w.goodbye())
    client.expect_error_and_close(w.UNEXPECTED_ENVELOPE)


def test_the_broker_says_goodbye_when_it_shuts_down(relay, connect):
    """§3.8: "The broker sends GOODBYE (reason 1) to every peer when it begins to shut down,
    after flushing the deliveries it had queued, then closes"."""
    receivers = [connect(relay, b"r%d" % i) for i in range(3)]
    sender = connect(relay, b"sender")
    for i, _ in enumerate(receivers):
        for j in range(20):
            sender.send(w.send(b"r%d" % i, b"%d" % j, cid=j, options=w.CONFIRM))
            sender.expect(w.ACK, cid=j)
    relay.terminate()
    for client in receivers:
        envs = client.read_until_closed(timeout=10.0)
        assert [e.kind for e in envs] == [w.DELIVER] * 20 + [w.GOODBYE], envs[-2:]
        assert [e.fields["payload"] for e in envs[:-1]] == [b"%d" % j for j in range(20)]
        assert envs[-1].fields["reason"] == w.SHUTTING_DOWN
    envs = sender.read_until_closed(timeout=10.0)
    assert [e.kind for e in envs] == [w.GOODBYE] and envs[0].fields["reason"] == w.SHUTTING_DOWN
