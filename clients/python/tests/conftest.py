"""Fixtures that run a real mprelayd for the tests.

The daemon is ``<repo>/.build/debug/mprelayd`` unless the environment variable ``MPRELAYD`` names
another binary. Each broker gets its own configuration file and log under pytest's tmp_path; the
fixture waits for the ``ready`` log line, reads the ``listening on ...`` lines for the real
addresses, and stops the daemon with SIGTERM (SIGKILL if it does not exit in time).

Without a daemon binary the tests that need one are skipped, and so are tests of a feature the
daemon refuses in its configuration, unless ``MPRELAY_REQUIRE_DAEMON=1`` (as run-tests.sh and
``make test`` set), which makes them fail instead: there, a test never passes by skipping.
"""

from __future__ import annotations

import faulthandler
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import mprelay  # noqa: E402

REPO = HERE.parents[2]
AUTHKEY = b"mprelay-test-key"
# Any single test taking longer than this is hung: dump every thread's stack and exit.
TEST_WATCHDOG_SECONDS = 120

Address = Union[tuple, str]


def skip_or_fail(message: str) -> None:
    """Skip the test, or fail it when ``MPRELAY_REQUIRE_DAEMON=1`` asks for every test to run."""
    if os.environ.get("MPRELAY_REQUIRE_DAEMON") == "1":
        pytest.fail(message + " (MPRELAY_REQUIRE_DAEMON=1: failing instead of skipping)")
    pytest.skip(message)


def daemon_binary() -> Path:
    """The mprelayd under test."""
    return Path(os.environ.get("MPRELAYD") or REPO / ".build" / "debug" / "mprelayd")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def parse_address(text: str) -> Address:
    """A ``listening on`` address as the Python client spells it."""
    if text.startswith("@"):
        return "\0" + text[1:]
    if text.startswith("/"):
        return text
    m = re.fullmatch(r"\[(.*)\]:(\d+)", text)
    if m:
        return (m.group(1), int(m.group(2)))
    host, _, port = text.rpartition(":")
    return (host, int(port))


def address_text(address: Address) -> str:
    """An address as the configuration spells it."""
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    if address.startswith("\0"):
        return "@" + address[1:]
    return address


_serial = itertools.count(1)
_accepted: Dict[str, bool] = {}


def daemon_accepts(directory: Path, toml: str) -> bool:
    """Whether this mprelayd's ``--check-config`` accepts a configuration (cached by text)."""
    if toml not in _accepted:
        binary = daemon_binary()
        if not binary.exists():
            return False
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "probe.toml"
        path.write_text(toml)
        done = subprocess.run([str(binary), "--check-config", "--config", str(path)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        _accepted[toml] = done.returncode == 0
    return _accepted[toml]


class Broker:
    """One mprelayd process with a temporary configuration."""

    def __init__(
        self,
        directory: Path,
        settings: Optional[Dict[str, Any]] = None,
        endpoints: Sequence[Union[str, Dict[str, Any]]] = ("127.0.0.1:0",),
        authkey: bytes = AUTHKEY,
        extra: str = "",
    ) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.settings: Dict[str, Any] = {"log_level": "debug", "handshake_timeout": 10.0}
        self.settings.update(settings or {})
        # An endpoint is an address (with the broker's authkey) or a whole [[endpoint]] table.
        self.endpoints: List[Union[str, Dict[str, Any]]] = list(endpoints)
        self.authkey = authkey
        self.extra = extra  # more TOML, e.g. [[principal]] tables
        self.addresses: List[Address] = []
        self.lines: List[str] = []
        self.proc: Optional[subprocess.Popen] = None
        self._reader: Optional[threading.Thread] = None
        self._changed = threading.Condition()
        self.runs = 0

    # -- life cycle ---------------------------------------------------------------------------

    def key_file(self, name: str, key: bytes) -> str:
        """Write ``key`` to a private file in the broker's directory; returns its path."""
        path = self.directory / name
        path.write_bytes(key)
        path.chmod(0o600)
        return str(path)

    def config_text(self) -> str:
        """The configuration file's TOML."""
        key_file = self.key_file("authkey", self.authkey)
        out = ["[broker]"]
        out += ["%s = %s" % (k, _toml_value(v)) for k, v in self.settings.items()]
        for endpoint in self.endpoints:
            table = endpoint if isinstance(endpoint, dict) else {
                "address": endpoint, "authkey_file": key_file}
            out += ["", "[[endpoint]]"]
            for k, v in table.items():
                if isinstance(v, (list, tuple)):
                    out.append("%s = [%s]" % (k, ", ".join(_toml_value(x) for x in v)))
                else:
                    out.append("%s = %s" % (k, _toml_value(v)))
        if self.extra:
            out += ["", self.extra]
        if daemon_accepts(self.directory.parent / "probe", _NO_CONTROL + _MINIMAL):
            # Newer daemons open a control socket in a fixed place by default; tests need none.
            out += ["", _NO_CONTROL]
        return "\n".join(out) + "\n"

    def write_config(self) -> Path:
        path = self.directory / "mprelayd.toml"
        path.write_text(self.config_text())
        return path

    def start(self, timeout: float = 15.0) -> "Broker":
        binary = daemon_binary()
        if not binary.exists():
            skip_or_fail("no mprelayd at %s (build it with `swift build`, or set MPRELAYD)" % binary)
        config = self.write_config()
        self.runs += 1
        log = open(self.directory / ("mprelayd-%d.log" % self.runs), "w")
        self.lines = []
        self.addresses = []
        self.proc = subprocess.Popen(
            [str(binary), "--config", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._read_log, args=(self.proc, log), daemon=True)
        self._reader.start()
        try:
            self.wait_for_log(r"\] ready", timeout)
        except Exception:
            self.stop()
            raise
        return self

    def _read_log(self, proc: subprocess.Popen, log: Any) -> None:
        assert proc.stderr is not None
        with log:
            for raw in proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                log.write(line + "\n")
                log.flush()
                with self._changed:
                    m = re.search(r"\] listening on (.+)$", line)
                    if m:
                        self.addresses.append(parse_address(m.group(1).strip()))
                    self.lines.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_log(self, pattern: str, timeout: float = 10.0, start: int = 0) -> str:
        """Wait for a log line matching ``pattern`` (from line ``start`` on) and return it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if regex.search(line):
                        return line
                seen = len(self.lines)
                if self.proc is None or self.proc.poll() is not None:
                    if not (self._reader and self._reader.is_alive()):
                        raise RuntimeError(
                            "mprelayd exited (%s) before logging %r:\n%s"
                            % (self.proc and self.proc.returncode, pattern, "\n".join(self.lines))
                        )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        "mprelayd did not log %r within %ss:\n%s"
                        % (pattern, timeout, "\n".join(self.lines[-40:]))
                    )
                self._changed.wait(min(left, 0.2))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> Optional[int]:
        """Signal the daemon and wait for it to exit (SIGKILL after ``timeout``)."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._reader is not None:
            self._reader.join(5)
        self.proc = None
        return proc.returncode

    def reload(self, timeout: float = 10.0) -> str:
        """Rewrite the configuration (after changing settings or the key) and send SIGHUP."""
        assert self.proc is not None
        self.write_config()
        start = len(self.lines)
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_for_log(r"reload (applied|failed|refused)", timeout, start)

    def restart(self, timeout: float = 15.0) -> "Broker":
        """Stop and start again on the same addresses (the ports chosen the first time)."""
        fixed: List[Union[str, Dict[str, Any]]] = []
        for endpoint, address in zip(self.endpoints, self.addresses):
            if isinstance(endpoint, dict):
                fixed.append(dict(endpoint, address=address_text(address)))
            else:
                fixed.append(address_text(address))
        self.stop()
        self.endpoints = fixed
        return self.start(timeout)

    # -- addresses ----------------------------------------------------------------------------

    @property
    def address(self) -> Address:
        """The first endpoint."""
        return self.addresses[0]

    def find(self, kind: str) -> Address:
        """The first endpoint of ``kind``: "tcp", "tcp6", "abstract" or "path"."""
        for a in self.addresses:
            if kind == "tcp" and isinstance(a, tuple) and ":" not in a[0]:
                return a
            if kind == "tcp6" and isinstance(a, tuple) and ":" in a[0]:
                return a
            if kind == "abstract" and isinstance(a, str) and a.startswith("\0"):
                return a
            if kind == "path" and isinstance(a, str) and a.startswith("/"):
                return a
        raise LookupError("no %s endpoint among %r" % (kind, self.addresses))

    def connect(self, name: str, **kwargs: Any) -> mprelay.Peer:
        """A peer on the first endpoint with the right key and short timeouts."""
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("authkey", self.authkey)
        return mprelay.connect(kwargs.pop("address", self.address), name=name, **kwargs)


_NO_CONTROL = "[control]\nenabled = false\n"
_MINIMAL = '\n[[endpoint]]\naddress = "127.0.0.1:0"\nauthkey = "probe"\n'


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A broker shared by the tests that need no special settings (16 MiB payload limit).

    Endpoints: TCP on 127.0.0.1, a Linux abstract socket, and a socket file.
    """
    directory = tmp_path_factory.mktemp("broker")
    b = Broker(
        directory,
        {"max_message_bytes": 16 * 1024 * 1024, "idle_timeout": 60.0},
        endpoints=[
            "127.0.0.1:0",
            "@mprelay-test-%d-%d" % (os.getpid(), time.monotonic_ns() % 1000000),
            str(directory / "b.sock"),
        ],
    )
    b.start()
    yield b
    b.stop()


@pytest.fixture
def make_broker(tmp_path: Path) -> Iterator[Any]:
    """A factory of brokers with special settings, all stopped at the end of the test."""
    started: List[Broker] = []

    def make(settings: Optional[Dict[str, Any]] = None,
             endpoints: Sequence[Union[str, Dict[str, Any]]] = ("127.0.0.1:0",),
             authkey: bytes = AUTHKEY, extra: str = "", feature: str = "") -> Broker:
        """Start a broker. With ``feature``, a daemon that refuses this configuration (one
        built before that feature) makes the test skip, or fail under MPRELAY_REQUIRE_DAEMON=1."""
        b = Broker(tmp_path / ("broker%d" % (len(started) + 1)), settings, endpoints, authkey, extra)
        if feature:
            config = b.config_text()
            if not daemon_accepts(tmp_path / "probe", config):
                skip_or_fail("this mprelayd (%s) refuses a configuration with %s"
                             % (daemon_binary(), feature))
        started.append(b)
        return b.start()

    yield make
    for b in started:
        b.stop()


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
