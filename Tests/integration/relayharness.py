"""Runs a real mprelayd for the integration tests: config rendering, start, log, stop.

The binary is `<repo>/.build/debug/mprelayd` unless the environment variable MPRELAYD names
another one.
"""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AUTHKEY = b"relay-test-key-7d1e4c"


def mprelayd_binary():
    return os.environ.get("MPRELAYD") or os.path.join(REPO, ".build", "debug", "mprelayd")


_NEWEST_PYTHON = []


def newest_python():
    """(major, minor) of the newest interpreter that `make test` runs the integration suite under:
    pyenv's CPython 3.8-3.13 and the default python3, as run-all-pythons.sh picks them. Falls back
    to the running interpreter when pyenv is not there."""
    if _NEWEST_PYTHON:
        return _NEWEST_PYTHON[0]
    found = [tuple(sys.version_info[:2])]
    try:
        root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=20, check=True).stdout.decode().strip()
        bare = subprocess.run(["pyenv", "versions", "--bare"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=20).stdout.decode().split()
        for version in bare:
            m = re.match(r"^3\.(8|9|10|11|12|13)\.\d+$", version)
            minor = "3.%s" % m.group(1) if m else None
            if minor and os.access(os.path.join(root, "versions", version, "bin", "python" + minor), os.X_OK):
                found.append((3, int(m.group(1))))
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        out = subprocess.run(["python3", "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20).stdout.decode().split()
        if len(out) == 2:
            found.append((int(out[0]), int(out[1])))
    except (OSError, subprocess.SubprocessError):
        pass
    _NEWEST_PYTHON.append(max(found))
    return _NEWEST_PYTHON[0]


def heavy_test_skip_reason():
    """None if heavy tests run under this interpreter, else why not. Heavy tests run under the
    newest interpreter only, to keep the six-interpreter run short; MPRELAY_HEAVY_TESTS=1 runs
    them anyway."""
    if os.environ.get("MPRELAY_HEAVY_TESTS") == "1":
        return None
    newest = newest_python()
    if tuple(sys.version_info[:2]) >= newest:
        return None
    return ("heavy hostile-load test: runs only under CPython %d.%d, the newest interpreter present "
            "(MPRELAY_HEAVY_TESTS=1 runs it here)" % newest)


def toml_value(value):
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(toml_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"%s"' % "".join(c if c >= " " else "\\u%04x" % ord(c) for c in text)


def render_config(broker, endpoints, control=None, principals=None):
    """A config file's text. Without `control` the control socket is off, so that daemons run
    side by side do not compete for the default control socket path. `principals` is a list of
    dicts, one `[[principal]]` table each; an endpoint names them with `principals = [...]`."""
    lines = ["[broker]"]
    lines += ["%s = %s" % (k, toml_value(v)) for k, v in broker.items()]
    lines += ["", "[control]"]
    lines += ["%s = %s" % (k, toml_value(v)) for k, v in (control or {"enabled": False}).items()]
    for principal in principals or []:
        lines += ["", "[[principal]]"]
        lines += ["%s = %s" % (k, toml_value(v)) for k, v in principal.items()]
    for ep in endpoints:
        lines += ["", "[[endpoint]]"]
        lines += ["%s = %s" % (k, toml_value(v)) for k, v in ep.items()]
    return "\n".join(lines) + "\n"


def python_address(printed):
    """The multiprocessing address for an address as mprelayd prints it."""
    if printed.startswith("@"):
        return "\0" + printed[1:]
    if printed.startswith("/"):
        return printed
    host, _, port = printed.rpartition(":")
    return (host.strip("[]"), int(port))


class Relay:
    """A running mprelayd: its addresses, log, process and config."""

    def __init__(self, binary, config_path, log_path, broker, endpoints, principals=None, control=None):
        self.config_path = config_path
        self.log_path = log_path
        self.broker = broker
        self.endpoints = endpoints
        self.principals = principals
        self.control = control
        self.authkey = AUTHKEY
        self._log_file = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--config", config_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log_file,
        )
        self.pid = self.proc.pid
        self.returncode = None
        self.printed = []  # addresses as the daemon printed them, in config order
        self._wait_ready()
        self.addresses = [python_address(p) for p in self.printed]

    def _wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if re.search(r"^\[INFO/MainProcess\] ready", text, re.M):
                self.printed = re.findall(r"^\[INFO/MainProcess\] listening on (.+)$", text, re.M)
                assert len(self.printed) == len(self.endpoints), text
                return
            if self.proc.poll() is not None:
                pytest.fail("mprelayd exited with %s before ready:\n%s" % (self.proc.returncode, text))
            time.sleep(0.02)
        self.proc.kill()
        pytest.fail("mprelayd not ready within %.0f s:\n%s" % (timeout, self.log()))

    @property
    def addr(self):
        return self.addresses[0]

    def by_kind(self, kind):
        """The first address of a kind: 'inet', 'unix' (a path) or 'abstract'."""
        for a in self.addresses:
            k = "inet" if isinstance(a, tuple) else ("abstract" if a.startswith("\0") else "unix")
            if k == kind:
                return a
        raise LookupError(kind)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_for_log(self, pattern, timeout=5.0):
        """The first match of a regular expression in the log, waiting for it to appear."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log(), re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError("log has no match for %r within %.1f s:\n%s" % (pattern, timeout, self.log()))
            time.sleep(0.02)

    def wait_for_lines(self, pattern, count, timeout=5.0):
        """The log lines matching a regular expression, once there are at least `count` of them.
        The daemon writes its log from a thread of its own, so a line can follow the event it
        reports by a moment: a test that counts lines waits for them."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.log().splitlines() if re.search(pattern, line)]
            if len(lines) >= count:
                return lines
            if time.monotonic() > deadline:
                raise AssertionError("%d log lines match %r, expected %d, within %.1f s:\n%s"
                                     % (len(lines), pattern, count, timeout, self.log()[-4000:]))
            time.sleep(0.02)

    def reload(self, broker=None, endpoints=None, principals=None, timeout=5.0):
        """Rewrites the config file (with the given parts replaced), sends SIGHUP and waits for
        the daemon to log that the reload was applied; returns that line."""
        text = self.log()
        before = len(re.findall(r"reload applied from ", text))
        rejected = len(re.findall(r"reload rejected", text))
        if broker is not None:
            self.broker = broker
        if endpoints is not None:
            self.endpoints = endpoints
        if principals is not None:
            self.principals = principals
        with open(self.config_path, "w") as f:
            f.write(render_config(self.broker, self.endpoints, self.control, self.principals))
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()
            applied = re.findall(r"^\[INFO/MainProcess\] reload applied from .*$", text, re.M)
            if len(applied) > before:
                return applied[-1]
            if len(re.findall(r"reload rejected", text)) > rejected:
                raise AssertionError("reload rejected:\n%s" % text[-4000:])
            if time.monotonic() > deadline:
                raise AssertionError("no reload applied within %.1f s:\n%s" % (timeout, text[-4000:]))
            time.sleep(0.02)

    def status_kib(self, field):
        """A memory figure of /proc/PID/status in KiB (VmRSS, VmHWM, ...)."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise AssertionError("no %s for pid %d" % (field, self.pid))

    def fd_count(self):
        """The daemon's open file descriptors."""
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS for pid %d" % self.pid)

    def terminate(self):
        """Sends SIGTERM without waiting; stop() collects the exit code."""
        self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout=10.0):
        """SIGTERM, wait (kill after `timeout`), return the exit code. Idempotent."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.returncode = "killed: still running %.0f s after SIGTERM" % timeout
            self._log_file.close()
        return self.returncode


DEFAULT_BROKER = {
    "log_level": "debug",
    "handshake_timeout": 5.0,
    "idle_timeout": 60.0,
    "drain_timeout": 2.0,
}
