"""Fixtures for the conformance suite: a real mprelayd per test, and doc-only clients.

The daemon is started with the shared harness (Tests/fixtures/mprelayd_harness.py: config,
private runtime directory, readiness, log, stop); the clients are this directory's own, written
from docs/PROTOCOL.md alone. Each daemon listens on 127.0.0.1:0 and on a socket file; teardown
stops it and asserts exit status 0 and no CRITICAL line.

The binary is `<repo>/.build/debug/mprelayd` unless the environment variable MPRELAYD names
another one.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))

from mprelayd_harness import AUTHKEY, RelayFactory, report_header  # noqa: E402
from docclient import DocClient  # noqa: E402


def pytest_report_header(config):
    return report_header()


@pytest.fixture
def daemon(tmp_path):
    """daemon(principals=None, tls=None, **broker) -> Relay on a TCP port and a socket file.
    With `principals` (a list of `[[principal]]` dicts) both endpoints take those principals
    instead of the shared AUTHKEY; `tls` holds more keys of the TCP endpoint."""
    factory = RelayFactory(tmp_path)

    def start(principals=None, tls=None, **broker):
        access = {"principals": [p["name"] for p in principals]} if principals else {"authkey": AUTHKEY.decode()}
        endpoints = [dict(address="inet", **access, **(tls or {})), dict(address="unix", **access)]
        return factory.start(endpoints=endpoints, principals=principals, **broker)

    yield start
    factory.close()


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
