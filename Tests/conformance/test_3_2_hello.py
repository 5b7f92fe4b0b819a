"""docs/PROTOCOL.md §3.2, HELLO and WELCOME: the layouts, every refusal, and that a refused HELLO
is invisible to other peers."""

import pytest

import docwire as w
from labels import case

LIMITED_KEY = b"limited-principal-key"
LIMITED = [{"name": "limited", "authkey": LIMITED_KEY.decode(), "may_register": ["ok-*"],
            "may_send_to": ["*"], "may_list": True, "max_names": 1}]


def test_hello_gets_welcome_with_version_and_limit(daemon, connect):
    """§3.2: WELCOME is "kind `0x02`", "protocol version of the broker: `1`" and "8 bytes
    `max_message_bytes`: the largest payload the broker relays" (here configured to 12345)."""
    relay = daemon(max_message_bytes=12345)
    client = connect(relay)
    client.send(w.hello(b"hello-v1"))
    assert client.recv_frame() == bytes([0x02, 1]) + (12345).to_bytes(8, "big")


def test_another_version_is_unsupported(relay, connect):
    """§3.2: HELLO carries the "protocol version the client speaks: `1`"; the broker answers
    "`unsupported version` (8)" and closes (§3.4: id 0, the HELLO's name)."""
    for version in (0, 2, 255):
        with case("version %d" % version):
            client = connect(relay)
            client.send(w.hello(b"future", version=version))
            client.expect_error_and_close(w.UNSUPPORTED_VERSION, name=b"future")


def test_a_registered_name_is_taken(relay, connect):
    """§3.2: "`name taken` (2)": a HELLO with a name that is registered gets ERROR 2 with id 0
    and the name, and a close; the holder keeps the name."""
    holder = connect(relay, b"taken")
    rival = connect(relay)
    rival.send(w.hello(b"taken"))
    rival.expect_error_and_close(w.NAME_TAKEN, name=b"taken")
    sender = connect(relay, b"sender")
    sender.send(w.send(b"taken", b"still yours"))
    holder.expect(w.DELIVER, payload=b"still yours")


def test_a_name_the_principal_may_not_register_is_not_permitted(daemon, connect):
    """§3.2: "`not permitted` (5: the principal may not register this name ...)" and a close."""
    relay = daemon(principals=LIMITED)
    client = connect(relay, key=LIMITED_KEY)
    client.send(w.hello(b"forbidden"))
    client.expect_error_and_close(w.NOT_PERMITTED, name=b"forbidden")


def test_a_name_over_max_names_is_not_permitted(daemon, connect):
    """§3.2: "`not permitted` (5: ..., or already holds `max_names` names)" and a close."""
    relay = daemon(principals=LIMITED)
    connect(relay, b"ok-1", key=LIMITED_KEY)
    second = connect(relay, key=LIMITED_KEY)
    second.send(w.hello(b"ok-2"))
    second.expect_error_and_close(w.NOT_PERMITTED, name=b"ok-2")


REFUSALS = {
    "invalid-name": (None, w.hello(b"bad name"), w.INVALID_NAME),
    "name-taken": (None, w.hello(b"watcher"), w.NAME_TAKEN),
    "unsupported-version": (None, w.hello(b"v2", version=2), w.UNSUPPORTED_VERSION),
    "not-permitted": (LIMITED_KEY, w.hello(b"forbidden"), w.NOT_PERMITTED),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_hello_changes_nothing_others_see(daemon, connect, case):
    """§3.2: "A refused HELLO changes nothing another peer can see: no JOINED, no LEFT." A
    watcher sees no event, and LIST shows only the watcher afterwards."""
    key, body, code = case
    relay = daemon(principals=LIMITED + [{"name": "all", "authkey": "all-key", "may_register": ["*"],
                                          "may_send_to": ["*"], "may_list": True}])
    watcher = connect(relay, b"watcher", key=b"all-key")
    watcher.watch()
    refused = connect(relay, key=key or b"all-key")
    refused.send(body)
    refused.expect(w.ERROR, code=code)
    refused.expect_closed()
    watcher.send(w.with_id(w.LIST, 2))
    watcher.expect(w.PEERS, cid=2, names=[b"watcher"])
    watcher.expect_silence()
