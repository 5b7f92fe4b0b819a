"""`reload` with a good and a bad configuration; who may use the control socket."""

import os
import re
import signal
import stat
import time

import pytest

import relaywire as rw
from conftest import NOBODY, can_switch_user


def test_reload_applies_a_good_config_and_refuses_a_bad_one(control_relay):
    relay = control_relay()
    steady = rw.Peer(relay.by_kind("inet"), relay.authkey, "steady")
    extra = os.path.join(relay.runtime_dir, "extra.sock")
    relay.endpoints.append({"address": extra, "authkey": relay.authkey.decode()})
    relay.write_config(broker=dict(relay.broker, log_level="info"))
    result = relay.ctl("reload")
    assert result.code == 0, result
    assert result.out == "reloaded: applied: 3 endpoint(s): 1 added, 0 removed, 2 kept\n", result.out
    status = relay.ask("status")
    assert [e["state"] for e in status["endpoints"]] == ["listening"] * 3
    assert status["endpoints"][2]["bound_address"] == extra
    assert status["log_level"] == "info"
    rw.Peer(extra, relay.authkey, "via-new-endpoint").close()

    relay.write_config(broker=dict(relay.broker, max_connections=0))
    bad = relay.ctl("reload")
    assert bad.code == 1, bad
    assert "broker.max_connections" in bad.err and "out of range" in bad.err, bad.err
    answer = relay.ctl("reload", "--json").answer
    assert answer["ok"] is False and answer["command"] == "reload", answer
    assert answer["error"]["code"] == "reload_rejected", answer
    assert len(relay.ask("status")["endpoints"]) == 3, "a rejected reload changed the running configuration"
    relay.wait_for_log(r"^\[ERROR/MainProcess\] reload rejected, the running configuration is unchanged: .*max_connections")
    rw.exchange_check(relay.by_kind("inet"), relay.authkey)
    assert [p["name"] for p in relay.ask("peers")["peers"]] == ["steady"]
    steady.close()


def test_sighup_and_the_control_reload_are_the_same_reload(control_relay):
    relay = control_relay()
    relay.write_config(broker=dict(relay.broker, log_level="warning"))
    relay.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while relay.ask("status")["log_level"] != "warning":
        assert time.monotonic() < deadline, "SIGHUP did not reload:\n" + relay.log()
        time.sleep(0.05)


def test_control_socket_file_has_the_configured_mode(control_relay):
    relay = control_relay(control={"mode": "0600"})
    assert stat.S_IMODE(os.stat(relay.control_socket).st_mode) == 0o600
    assert stat.S_ISSOCK(os.stat(relay.control_socket).st_mode)


def test_disabled_control_socket(control_relay):
    relay = control_relay(control={"enabled": False})
    assert not os.path.exists(relay.control_socket)
    relay.wait_for_log(r"control socket disabled by \[control\] enabled = false")
    assert relay.ctl("status").code == 3


@pytest.mark.skipif(not can_switch_user(), reason="needs root and setpriv to run mprelayctl as another uid")
def test_an_unlisted_user_is_refused_until_a_reload_lists_it(control_relay):
    relay = control_relay(control={"mode": "0666"})
    assert stat.S_IMODE(os.stat(relay.runtime_dir).st_mode) == 0o755
    refused = relay.ctl("status", user=NOBODY)
    assert refused.code == 4, refused
    assert "permission denied" in refused.err and "uid %d" % NOBODY in refused.err, refused.err
    answer = relay.ctl("peers", "--json", user=NOBODY).answer
    assert (answer["ok"], answer["error"]["code"]) == (False, "permission_denied"), answer
    relay.wait_for_log(r"^\[WARNING/Control\] refused control client pid \d+ uid %d( \(\w+\))?: uid %d is not root" % (NOBODY, NOBODY))

    relay.write_config(control=dict(relay.control, allow_users=[NOBODY]))
    assert relay.ctl("reload").code == 0
    allowed = relay.ctl("status", user=NOBODY)
    assert allowed.code == 0, allowed
    assert allowed.out.startswith("mprelayd ")

    relay.write_config(control=dict(relay.control, allow_users=[], allow_groups=[NOBODY]))
    assert relay.ctl("reload").code == 0
    assert relay.ctl("status", user=NOBODY).code == 0, "the primary group counts"


@pytest.mark.skipif(not can_switch_user(), reason="needs root and setpriv to run mprelayctl as another uid")
def test_the_file_mode_refuses_before_the_daemon_is_asked(control_relay):
    relay = control_relay(control={"mode": "0660", "allow_users": [NOBODY]})
    result = relay.ctl("status", user=NOBODY)
    assert result.code == 4, result
    assert "does not let this user in" in result.err
    assert not re.search(r"refused control client", relay.log())
