"""Fixtures that run a real mprelayd for the integration tests.

`relay` starts a daemon with the default test configuration; `start_relay(...)` starts one with
other broker settings or endpoints. Each daemon gets a config file in pytest's tmp_path, socket
files in a short temporary directory (AF_UNIX paths must stay under 108 bytes), and its stderr in a
log file. Teardown sends SIGTERM, waits (kills after 10 s) and asserts the exit code is 0.

The binary is `<repo>/.build/debug/mprelayd` unless the environment variable MPRELAYD names
another one.
"""

import os
import re
import shutil
import tempfile
import uuid

import pytest

from relayharness import AUTHKEY, DEFAULT_BROKER, Relay, mprelayd_binary, render_config


def pytest_report_header(config):
    return "mprelayd: %s" % mprelayd_binary()


@pytest.fixture
def mprelayd():
    path = mprelayd_binary()
    if not os.access(path, os.X_OK):
        pytest.fail("mprelayd binary not found at %s: run `swift build` or set MPRELAYD" % path)
    return path


@pytest.fixture
def short_dir():
    """A short temporary directory for socket files."""
    path = tempfile.mkdtemp(prefix="mpr-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_relay(mprelayd, tmp_path, short_dir):
    """start_relay(endpoints=None, principals=None, **broker_settings) -> Relay. Default
    endpoints: one of each kind (127.0.0.1:0, a socket path, an abstract name), all with AUTHKEY.
    `principals` is a list of `[[principal]]` tables (dicts) that endpoints name."""
    started = []

    def start(endpoints=None, principals=None, **broker):
        n = len(started)
        if endpoints is None:
            endpoints = [
                {"address": "127.0.0.1:0", "authkey": AUTHKEY.decode()},
                {"address": os.path.join(short_dir, "r%d.sock" % n), "authkey": AUTHKEY.decode()},
                {"address": "@mprelay-test-%s" % uuid.uuid4().hex[:12], "authkey": AUTHKEY.decode()},
            ]
        for ep in endpoints:
            addr = ep["address"]
            if addr.startswith("/"):
                assert len(addr.encode()) < 108, "socket path too long: %s" % addr
        settings = dict(DEFAULT_BROKER)
        settings.update(broker)
        config = tmp_path / ("mprelayd-%d.toml" % n)
        control = {"socket": os.path.join(short_dir, "c%d.sock" % n)}
        config.write_text(render_config(settings, endpoints, control, principals))
        relay = Relay(mprelayd, str(config), str(tmp_path / ("mprelayd-%d.log" % n)), settings, endpoints,
                      principals=principals, control=control)
        started.append(relay)
        return relay

    yield start

    failures = []
    for relay in started:
        code = relay.stop()
        text = relay.log()
        if code != 0:
            failures.append("mprelayd (config %s) exited %r:\n%s" % (relay.config_path, code, text[-4000:]))
        elif re.search(r"^\[CRITICAL/", text, re.M):
            failures.append("mprelayd logged CRITICAL:\n%s" % text[-4000:])
    if failures:
        pytest.fail("\n\n".join(failures))


@pytest.fixture
def relay(start_relay):
    return start_relay()
