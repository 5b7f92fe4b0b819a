"""Errors that need the broker's access rules or queue policing: NotPermitted, Replaced and
SlowConsumer, provoked for real. Skipped on a daemon that predates those settings."""

from __future__ import annotations

import time
from typing import Any

import pytest

import mprelay
from conftest import Broker

WORKERS_KEY = b"key of the workers"
BOSS_KEY = b"key of the boss"


def principals_broker(make_broker: Any, tmp_path: Any) -> Broker:
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    workers, boss = keys / "workers", keys / "boss"
    for path, key in ((workers, WORKERS_KEY), (boss, BOSS_KEY)):
        path.write_bytes(key)
        path.chmod(0o600)
    principals = [
        {"name": "workers", "authkey_file": str(workers), "may_register": ["worker-*"], "may_send_to": ["boss"],
         "may_list": False, "on_name_conflict": "replace"},
        {"name": "boss", "authkey_file": str(boss), "may_register": ["boss"], "may_send_to": ["*"], "may_list": True},
    ]
    return make_broker(
        endpoints=[{"address": "127.0.0.1:0", "principals": ["workers", "boss"]}],
        principals=principals,
        feature="access rules ([[principal]] tables)",
    )


def test_not_permitted(make_broker: Any, tmp_path: Any) -> None:
    br = principals_broker(make_broker, tmp_path)
    with br.connect("boss", authkey=BOSS_KEY) as boss, \
            br.connect("worker-1", authkey=WORKERS_KEY) as w:
        with pytest.raises(mprelay.NotPermitted) as info:
            br.connect("boss-2", authkey=WORKERS_KEY)  # not a name the workers may register
        assert info.value.code == 5 and info.value.peer == "boss-2"

        with pytest.raises(mprelay.NotPermitted) as info:
            w.send("worker-1", "to myself", confirm=True)  # workers may send to the boss only
        assert info.value.peer == "worker-1" and info.value.correlation_id

        cid = w.send("worker-1", "unconfirmed")
        with pytest.raises(mprelay.NotPermitted) as info:
            w.recv(timeout=5)
        assert info.value.correlation_id == cid

        with pytest.raises(mprelay.NotPermitted):
            w.peers()
        with pytest.raises(mprelay.NotPermitted):
            w.watch()

        w.send("boss", "still connected", confirm=True)
        assert boss.recv(timeout=5).payload == "still connected"
        assert boss.peers() == ["boss", "worker-1"]


def test_replaced(make_broker: Any, tmp_path: Any) -> None:
    br = principals_broker(make_broker, tmp_path)
    old = br.connect("worker-1", authkey=WORKERS_KEY, reconnect=True)
    try:
        with br.connect("worker-1", authkey=WORKERS_KEY) as new, br.connect("boss", authkey=BOSS_KEY) as boss:
            with pytest.raises(mprelay.Replaced) as info:
                old.recv(timeout=5)
            assert info.value.code == 13 and isinstance(info.value, mprelay.Disconnected)
            assert old.closed  # it does not take the name back, even with reconnect
            boss.send("worker-1", "for the new one")
            assert new.recv(timeout=5).payload == "for the new one"
    finally:
        old.close()


def test_slow_consumer(make_broker: Any) -> None:
    br = make_broker(
        {"slow_consumer_timeout": 0.5, "max_message_bytes": 32768, "max_outbound_bytes": 65536},
        feature="slow_consumer_timeout",
    )
    with br.connect("sender") as s, br.connect("sink") as sink:
        deadline = time.monotonic() + 20
        with pytest.raises(mprelay.UnknownPeer):  # the broker dropped the sink
            while time.monotonic() < deadline:
                try:
                    s.send_bytes("sink", bytes(30000), confirm=True)
                except mprelay.PeerBusy:
                    time.sleep(0.05)
        # The sink gets what reached it before it was dropped, then the reason.
        with pytest.raises(mprelay.SlowConsumer) as info:
            while True:
                sink.recv(timeout=5)
        assert info.value.code == 10


def test_a_refused_feature_fails_when_the_daemon_is_required(
    make_broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real mprelayd refuses an unknown key, as it would a feature newer than itself.
    settings = {"no_such_setting": 1}
    monkeypatch.setenv("MPRELAY_REQUIRE_DAEMON", "1")
    with pytest.raises(pytest.fail.Exception, match="refuses a configuration with no_such_setting"):
        make_broker(settings, feature="no_such_setting")
    monkeypatch.setenv("MPRELAY_REQUIRE_DAEMON", "0")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no_such_setting"):
        make_broker(settings, feature="no_such_setting")
