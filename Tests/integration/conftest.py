"""Fixtures that run a real mprelayd for the integration tests, through the shared harness
(Tests/fixtures/mprelayd_harness.py, reached through relayharness).

`relay` starts a daemon with the default test configuration; `start_relay(...)` starts one with
other broker settings, endpoints, principals or tables. Each daemon gets a config file and log in
pytest's tmp_path and a private runtime directory for its sockets; teardown stops it by PID and
fails the test unless it exited 0 without a CRITICAL line.

The binary is `<repo>/.build/debug/mprelayd` unless the environment variable MPRELAYD names
another one.
"""

import shutil
import tempfile

import pytest

from relayharness import RelayFactory, mprelayd_binary, report_header, require_binary


def pytest_report_header(config):
    return report_header(with_mprelayctl=True)


@pytest.fixture
def mprelayd():
    return require_binary(mprelayd_binary(), "MPRELAYD")


@pytest.fixture
def short_dir():
    """A short temporary directory for socket files."""
    path = tempfile.mkdtemp(prefix="mpr-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_relay(tmp_path):
    """start_relay(endpoints=None, principals=None, control=None, tables=None, authkey=AUTHKEY,
    **broker_settings) -> Relay (RelayFactory.create says what each means)."""
    factory = RelayFactory(tmp_path)
    yield factory.start
    factory.close()


@pytest.fixture
def relay(start_relay):
    return start_relay()
