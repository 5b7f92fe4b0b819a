"""Fixtures that run a real mprelayd for the tests, through the daemon test harness every suite
of the repository shares (``Tests/fixtures/mprelayd_harness.py``).

The daemon is ``<repo>/.build/debug/mprelayd`` unless the environment variable ``MPRELAYD`` names
another binary. Each broker gets its own configuration file and log under pytest's tmp_path and a
private runtime directory; the harness waits for the ``ready`` log line, reads the ``listening on
...`` lines for the real addresses, and stops the daemon by PID at the end (failing the test if
it exited with another status than 0 or logged a CRITICAL line).

Without a daemon binary the tests that need one are skipped, and so are tests of a feature the
daemon refuses in its configuration, unless ``MPRELAY_REQUIRE_DAEMON=1`` (as run-tests.sh and
``make test`` set) or ``CI=true``, which make them fail instead: there, a test never passes by
skipping.
"""

from __future__ import annotations

import faulthandler
import itertools
import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE.parents[2] / "Tests" / "fixtures")]

import mprelay  # noqa: E402
from mprelayd_harness import (AUTHKEY, Relay, RelayFactory, address_text, check_config,  # noqa: E402,F401
                              mprelayd_binary, report_header)

# Any single test taking longer than this is hung: dump every thread's stack and exit.
TEST_WATCHDOG_SECONDS = 120

Endpoint = Union[str, Dict[str, Any]]


def pytest_report_header(config: Any) -> List[str]:
    return report_header()


def skip_or_fail(message: str) -> None:
    """Skip the test, or fail it when ``MPRELAY_REQUIRE_DAEMON=1`` or ``CI=true`` asks for every
    test to run."""
    if os.environ.get("MPRELAY_REQUIRE_DAEMON") == "1" or os.environ.get("CI") == "true":
        pytest.fail(message + " (MPRELAY_REQUIRE_DAEMON=1 or CI=true: failing instead of skipping)")
    pytest.skip(message)


def need_daemon() -> None:
    """Skip (or fail, see skip_or_fail) a test that needs a daemon when there is none."""
    binary = mprelayd_binary()
    if not os.access(binary, os.X_OK):
        skip_or_fail("no mprelayd at %s (build it with `swift build`, or set MPRELAYD)" % binary)


class Broker(Relay):
    """The harness's running mprelayd, with peers of this client to connect to it."""

    @property
    def address(self) -> Any:
        """The first endpoint."""
        return self.addr

    def connect(self, name: str, **kwargs: Any) -> mprelay.Peer:
        """A peer on the first endpoint with the right key and short timeouts."""
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("authkey", self.authkey)
        return mprelay.connect(kwargs.pop("address", self.address), name=name, **kwargs)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A broker shared by the tests that need no special settings (16 MiB payload limit).

    Endpoints: TCP on 127.0.0.1, a socket file and a Linux abstract socket.
    """
    need_daemon()
    factory = RelayFactory(tmp_path_factory.mktemp("broker"), relay_class=Broker)
    yield factory.start(max_message_bytes=16 * 1024 * 1024)
    factory.close()


@pytest.fixture
def make_broker(tmp_path: Path) -> Iterator[Any]:
    """A factory of brokers with special settings, all stopped at the end of the test."""
    factory = RelayFactory(tmp_path, relay_class=Broker)

    def make(settings: Optional[Dict[str, Any]] = None, endpoints: Sequence[Endpoint] = ("inet",),
             principals: Optional[List[Dict[str, Any]]] = None, authkey: bytes = AUTHKEY,
             feature: str = "") -> Broker:
        """Start a broker (RelayFactory.create says what the arguments mean). With ``feature``,
        a daemon that refuses this configuration (one built before that feature) makes the test
        skip, or fail under MPRELAY_REQUIRE_DAEMON=1."""
        need_daemon()
        b = factory.create(list(endpoints), principals, authkey=authkey, **(settings or {}))
        if feature:
            refused = check_config(b.config_path)
            if refused.returncode != 0:
                skip_or_fail("this mprelayd (%s) refuses a configuration with %s: %s"
                             % (b.binary, feature, (refused.stdout + refused.stderr).strip()))
        b.start()
        return b

    yield make
    factory.close()


_serial = itertools.count(1)


@pytest.fixture
def names(request: pytest.FixtureRequest) -> Any:
    """``names("alice")`` -> a peer name unique to this test run (the shared broker keeps names)."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "", request.node.name)[-40:]

    def new(prefix: str) -> str:
        return "%s-%s-%d" % (prefix, base, next(_serial))

    return new


@pytest.fixture(autouse=True)
def _watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(TEST_WATCHDOG_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
