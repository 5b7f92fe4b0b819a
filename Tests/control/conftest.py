"""Fixtures that run a real mprelayd with a control socket, through the shared harness
(Tests/fixtures/mprelayd_harness.py), and the mprelayctl beside it.

`control_relay(control=..., **broker)` starts a daemon on 127.0.0.1:0 and a socket file whose
config has a `[control]` table with the socket in its runtime directory (mode 0755, so another uid
can reach the file and any refusal comes from the daemon's credential check, not from the file
system); `relay.ctl(...)` and `relay.ask(...)` run mprelayctl against it. Peers connect with the
stock `multiprocessing.connection.Client` through Tests/integration/relaywire.py. Teardown stops
the daemon and fails the test unless it exited 0, logged no CRITICAL line and removed its control
socket file.

The binaries are `<repo>/.build/debug/mprelayd` and `mprelayctl` unless MPRELAYD and MPRELAYCTL
name others.
"""

import os
import shutil
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(TESTS, "fixtures"), os.path.join(TESTS, "integration")]

from mprelayd_harness import RelayFactory, mprelayctl_binary, report_header, require_binary  # noqa: E402

NOBODY = 65534


def pytest_report_header(config):
    return report_header(with_mprelayctl=True)


@pytest.fixture
def control_relay(tmp_path):
    """control_relay(control={...}, endpoints=None, **broker) -> Relay with a control socket."""
    require_binary(mprelayctl_binary(), "MPRELAYCTL")
    factory = RelayFactory(tmp_path)

    def start(control=None, endpoints=("inet", "unix"), **broker):
        return factory.start(endpoints=endpoints, control=control, **broker)

    yield start
    factory.close()


def can_switch_user():
    return os.geteuid() == 0 and shutil.which("setpriv") is not None
