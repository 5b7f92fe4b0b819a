"""Fixtures for the conformance suite: a real mprelayd per test, and doc-only clients.

The daemon is started with the integration suite's harness (Tests/integration/relayharness.py:
config rendering, readiness, log, stop); the clients are this directory's own, written from
docs/PROTOCOL.md alone. Each daemon listens on 127.0.0.1:0 and on a socket file; teardown sends
SIGTERM and asserts exit status 0 and no CRITICAL line.

The binary is `<repo>/.build/debug/mprelayd` unless the environment variable MPRELAYD names
another one.
"""

import os
import re
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))

from relayharness import AUTHKEY, DEFAULT_BROKER, Relay, mprelayd_binary, render_config  # noqa: E402
from docclient import DocClient  # noqa: E402


def pytest_report_header(config):
    return "mprelayd: %s" % mprelayd_binary()


@pytest.fixture
def daemon(tmp_path):
    """daemon(principals=None, **broker) -> Relay on a TCP port and a socket file. With
    `principals` (a list of `[[principal]]` dicts) both endpoints take those principals instead
    of the shared AUTHKEY."""
    binary = mprelayd_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail("mprelayd binary not found at %s: run `swift build` or set MPRELAYD" % binary)
    sockets = tempfile.mkdtemp(prefix="mprc-")  # AF_UNIX paths must stay under 108 bytes
    started = []

    def start(principals=None, tls=None, **broker):
        n = len(started)
        access = {"principals": [p["name"] for p in principals]} if principals else {"authkey": AUTHKEY.decode()}
        endpoints = [dict(address="127.0.0.1:0", **access, **(tls or {})),
                     dict(address=os.path.join(sockets, "d%d.sock" % n), **access)]
        settings = dict(DEFAULT_BROKER, **broker)
        config = tmp_path / ("conformance-%d.toml" % n)
        config.write_text(render_config(settings, endpoints, None, principals))
        relay = Relay(binary, str(config), str(tmp_path / ("conformance-%d.log" % n)), settings, endpoints,
                      principals=principals)
        started.append(relay)
        return relay

    yield start

    problems = []
    for relay in started:
        code, log = relay.stop(), relay.log()
        if code != 0 or re.search(r"^\[CRITICAL/", log, re.M):
            lost = "" if "received SIGTERM" in log else " (its log never says 'received SIGTERM': the signal was lost)"
            problems.append("mprelayd exited %r%s:\n%s" % (code, lost, log[-4000:]))
    shutil.rmtree(sockets, ignore_errors=True)
    if problems:
        pytest.fail("\n\n".join(problems))


@pytest.fixture
def relay(daemon):
    """A daemon with the harness's default settings."""
    return daemon()


@pytest.fixture
def connect():
    """connect(relay, name=None, key=None, family="inet", reply_form=None, challenge_form="sha256")
    -> DocClient through the handshake, and registered as `name` (bytes) when given. Every client
    is closed at teardown."""
    clients = []

    def open_client(relay, name=None, key=None, family="inet", reply_form=None, challenge_form="sha256"):
        client = DocClient(relay.by_kind(family))
        clients.append(client)
        client.authenticate(key or relay.authkey, reply_form, challenge_form)
        if name is not None:
            client.hello(name)
        return client

    yield open_client
    for client in clients:
        client.close()
