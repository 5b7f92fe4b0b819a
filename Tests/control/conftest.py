"""Fixtures that run a real mprelayd with a control socket, and the mprelayctl beside it.

`control_relay(control=..., **broker)` starts a daemon whose config has a `[control]` table with
the socket in a fresh directory of mode 0755 (so another uid can reach the file and any refusal
comes from the daemon's credential check, not from the file system). Peers connect with the stock
`multiprocessing.connection.Client` through Tests/integration/relaywire.py. Teardown sends SIGTERM,
asserts exit 0, no CRITICAL line and that the control socket file is gone.

The binaries are `<repo>/.build/debug/mprelayd` and `mprelayctl` unless MPRELAYD and MPRELAYCTL
name others.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "Tests", "integration"))

AUTHKEY = b"control-test-key-51c2"
NOBODY = 65534


def binary(variable, name):
    return os.environ.get(variable) or os.path.join(REPO, ".build", "debug", name)


def pytest_report_header(config):
    return "mprelayd: %s, mprelayctl: %s" % (binary("MPRELAYD", "mprelayd"), binary("MPRELAYCTL", "mprelayctl"))


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[%s]" % ", ".join(toml_value(v) for v in value)
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def render_config(broker, control, endpoints):
    lines = ["[broker]"] + ["%s = %s" % (k, toml_value(v)) for k, v in broker.items()]
    lines += ["", "[control]"] + ["%s = %s" % (k, toml_value(v)) for k, v in control.items()]
    for endpoint in endpoints:
        lines += ["", "[[endpoint]]"] + ["%s = %s" % (k, toml_value(v)) for k, v in endpoint.items()]
    return "\n".join(lines) + "\n"


class Ctl:
    """The result of one mprelayctl run."""

    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def answer(self):
        """The daemon's answer, for a run with --json."""
        return json.loads(self.out.splitlines()[-1])

    def __repr__(self):
        return "mprelayctl exit %s\nstdout: %s\nstderr: %s" % (self.code, self.out, self.err)


class ControlRelay:
    """A running mprelayd with a control socket: its addresses, config, log and mprelayctl."""

    def __init__(self, directory, broker, control, endpoints=None):
        self.directory = directory
        self.socket = os.path.join(directory, "control.sock")
        self.config_path = os.path.join(directory, "mprelayd.toml")
        self.log_path = os.path.join(directory, "mprelayd.log")
        self.authkey = AUTHKEY
        self.broker = dict(broker)
        self.control = dict(control, socket=self.socket)
        self.endpoints = endpoints or [
            {"address": "127.0.0.1:0", "authkey": AUTHKEY.decode()},
            {"address": os.path.join(directory, "relay.sock"), "authkey": AUTHKEY.decode()},
        ]
        self.write_config()
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary("MPRELAYD", "mprelayd"), "--config", self.config_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
        )
        self.returncode = None
        self._wait_ready()

    def write_config(self, **changes):
        """Writes the config file, with `control` and `broker` tables updated by `changes`."""
        self.control.update(changes.pop("control", {}))
        self.broker.update(changes.pop("broker", {}))
        assert not changes, changes
        with open(self.config_path, "w") as f:
            f.write(render_config(self.broker, self.control, self.endpoints))

    def _wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if re.search(r"^\[INFO/MainProcess\] ready", text, re.M):
                printed = re.findall(r"^\[INFO/MainProcess\] listening on (.+)$", text, re.M)
                self.tcp = ("127.0.0.1", int(printed[0].rpartition(":")[2]))
                self.unix = printed[1]
                return
            if self.proc.poll() is not None:
                pytest.fail("mprelayd exited with %s before ready:\n%s" % (self.proc.returncode, text))
            time.sleep(0.02)
        self.proc.kill()
        pytest.fail("mprelayd not ready within %.0f s:\n%s" % (timeout, self.log()))

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_for_log(self, pattern, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.log(), re.M)
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError("log has no match for %r within %.1f s:\n%s" % (pattern, timeout, self.log()))
            time.sleep(0.02)

    def ctl(self, *args, user=None, timeout=30):
        """Runs mprelayctl with this daemon's socket; `user` (a uid) runs it as that user with
        no supplementary groups."""
        command = [binary("MPRELAYCTL", "mprelayctl")] + list(args) + ["--socket", self.socket]
        if user is not None:
            command = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + command
        return Ctl(subprocess.run(command, capture_output=True, text=True, timeout=timeout))

    def ask(self, *args, **kwargs):
        """mprelayctl ARGS --json, asserted to succeed; the daemon's `result`."""
        result = self.ctl(*(list(args) + ["--json"]), **kwargs)
        assert result.code == 0, result
        answer = result.answer
        assert answer["ok"] is True and answer["version"] == 1, answer
        return answer["result"]

    def stop(self, timeout=10.0):
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = "killed: still running %.0f s after SIGTERM" % timeout
            self._log.close()
        return self.returncode


@pytest.fixture
def control_relay():
    """control_relay(control={...}, **broker) -> ControlRelay."""
    started = []

    def start(control=None, endpoints=None, **broker):
        directory = tempfile.mkdtemp(prefix="mpc-")
        os.chmod(directory, 0o755)
        settings = {"log_level": "debug", "drain_timeout": 2.0}
        settings.update(broker)
        relay = ControlRelay(directory, settings, control or {}, endpoints)
        started.append(relay)
        return relay

    yield start

    failures = []
    for relay in started:
        code = relay.stop()
        text = relay.log()
        if code != 0:
            failures.append("mprelayd exited %r:\n%s" % (code, text[-4000:]))
        elif re.search(r"^\[CRITICAL/", text, re.M):
            failures.append("mprelayd logged CRITICAL:\n%s" % text[-4000:])
        elif os.path.exists(relay.socket):
            failures.append("the control socket %s is left after shutdown" % relay.socket)
        shutil.rmtree(relay.directory, ignore_errors=True)
    if failures:
        pytest.fail("\n\n".join(failures))


def can_switch_user():
    return os.geteuid() == 0 and shutil.which("setpriv") is not None
