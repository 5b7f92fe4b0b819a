"""The bearer token, the loopback rule and reloads of [http]: applied whole or refused whole."""

import os
import re
import signal
import socket
import time

import pytest

from conftest import TOKEN
from mprelayd_harness import check_config as check_config_file, render_config


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_token_required_on_every_path(http_relay, token_file):
    relay = http_relay(http={"listen": "127.0.0.1:0", "token_file": token_file})
    for path in ["/", "/metrics", "/status", "/peers", "/healthz", "/readyz", "/no/such/page"]:
        refused = relay.get(path)
        assert refused.status == 401, (path, refused)
        assert refused.headers["www-authenticate"] == 'Bearer realm="mprelay"'
        assert b"mprelay_" not in refused.body and b"peers" not in refused.body
        assert relay.get(path, token=TOKEN[:-1] + "x").status == 401, path
        assert relay.get(path, headers={"Authorization": "Basic " + TOKEN}).status == 401, path
    assert relay.get("/metrics", token=TOKEN).status == 200
    assert relay.get("/status", headers={"Authorization": "bearer " + TOKEN}).status == 200
    assert relay.request("POST", "/status", token=TOKEN).status == 405


def check_config(tmp_path, http):
    config = tmp_path / "check.toml"
    config.write_text(render_config({}, [{"address": "127.0.0.1:0", "authkey": "k" * 16}], tables={"http": http}))
    return check_config_file(config)


def test_non_loopback_listen_needs_a_token(tmp_path, token_file):
    refused = check_config(tmp_path, {"listen": "0.0.0.0:8222"})
    assert refused.returncode == 1
    assert "http.listen: 0.0.0.0:8222 is not a loopback address: set http.token_file" in refused.stdout + refused.stderr
    assert check_config(tmp_path, {"listen": "0.0.0.0:8222", "token_file": token_file}).returncode == 0
    assert check_config(tmp_path, {"listen": "[::1]:8222"}).returncode == 0


def test_token_file_open_to_others_is_refused(tmp_path, token_file):
    os.chmod(token_file, 0o644)
    refused = check_config(tmp_path, {"listen": "127.0.0.1:0", "token_file": token_file})
    assert refused.returncode == 1
    assert "http.token_file: token file %s is open to other users (mode 644): chmod 600 it" % token_file in refused.stdout + refused.stderr


def test_bad_listen_values_are_refused(tmp_path):
    for listen, message in [("/run/x.sock", "is not a TCP address"), ("127.0.0.1:70000", "must be a number from 0 to 65535")]:
        refused = check_config(tmp_path, {"listen": listen})
        assert refused.returncode == 1 and message in refused.stdout + refused.stderr, refused
    refused = check_config(tmp_path, {"listen": "127.0.0.1:0", "port": 1})
    assert "http.port: unknown key" in refused.stdout + refused.stderr


def reload_with(relay, http, timeout=15.0):
    """Rewrites the config with another [http] table, sends SIGHUP and returns the reload's log line."""
    pattern = re.compile(r"^\[\w+/MainProcess\] reload (?:applied|rejected).*$", re.M)
    before = len(pattern.findall(relay.relay.log()))
    relay.relay.write_config(tables={"http": http} if http else {})
    relay.relay.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while True:
        lines = pattern.findall(relay.relay.log())
        if len(lines) > before:
            return lines[-1]
        assert time.monotonic() < deadline, "no reload line within %.0f s:\n%s" % (timeout, relay.relay.log()[-3000:])
        time.sleep(0.05)


def test_reload_moves_adds_a_token_and_stops_the_listener(http_relay, token_file):
    relay = http_relay()
    old = relay.hostport
    port = free_port()
    line = reload_with(relay, {"listen": "127.0.0.1:%d" % port, "token_file": token_file})
    assert "reload applied" in line, relay.relay.log()
    relay.relay.wait_for_log(r"monitoring HTTP server listening on http://127\.0\.0\.1:%d/ \(bearer token" % port)
    with pytest.raises(OSError):
        socket.create_connection((old.split(":")[0], int(old.split(":")[1])), timeout=2).close()
    relay.hostport = "127.0.0.1:%d" % port
    assert relay.get("/status").status == 401
    assert relay.get("/status", token=TOKEN).status == 200

    line = reload_with(relay, {})
    assert "reload applied" in line
    relay.relay.wait_for_log(r"monitoring HTTP server stopped")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_refused_reload_keeps_the_old_listener(http_relay):
    relay = http_relay()
    line = reload_with(relay, {"listen": "0.0.0.0:%d" % free_port()})
    assert "reload rejected" in line and "not a loopback address" in line
    assert relay.get("/healthz").status == 200

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        line = reload_with(relay, {"listen": "127.0.0.1:%d" % taken})
        assert "reload rejected" in line and "http.listen 127.0.0.1:%d: cannot listen" % taken in line, line
    assert relay.get("/healthz").status == 200
