"""Fixtures that run a real mprelayd with its `[http]` monitoring server.

`http_relay(http=..., token=...)` starts a daemon through Tests/integration's harness (Relay,
render_config) with a control socket and an `[http]` table appended, waits for the monitoring
server's log line and returns an HttpRelay: the Relay, the base URL, an HTTP client and the
mprelayctl beside it. Peers are stock multiprocessing Clients (Tests/integration/relaywire.py).

External tools (prometheus, chromium) are found on PATH or through PROMETHEUS and CHROMIUM.
Under CI=true a missing one fails its test; elsewhere the test is skipped with the reason.
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "Tests", "integration"))

from relayharness import AUTHKEY, DEFAULT_BROKER, Relay, mprelayd_binary, render_config, toml_value  # noqa: E402

TOKEN = "http-test-token-0123456789abcdef"


def mprelayctl_binary():
    return os.environ.get("MPRELAYCTL") or os.path.join(REPO, ".build", "debug", "mprelayctl")


def need_tool(variable, *names):
    """The path of an external tool, or fail (CI=true) / skip (elsewhere) saying which is missing."""
    for candidate in [os.environ.get(variable)] + list(names):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    reason = "%s not found (PATH, or $%s): `make deps` installs it" % ("/".join(names), variable)
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def artifact_dir():
    """Where tests leave files for people to look at: $MPRELAY_ARTIFACTS or .build/test-artifacts."""
    path = os.environ.get("MPRELAY_ARTIFACTS") or os.path.join(REPO, ".build", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


class Answer:
    """One HTTP response: status, headers (lower-case names) and body bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "HTTP %d %r %r" % (self.status, self.headers, self.body[:300])


class HttpRelay:
    """A running mprelayd with its monitoring server."""

    def __init__(self, relay, directory, http):
        self.relay = relay
        self.directory = directory
        self.http = http
        self.socket = relay.control["socket"]
        match = relay.wait_for_log(r"^\[INFO/HTTP\] monitoring HTTP server listening on http://(\S+)/")
        self.hostport = match.group(1)
        self.base = "http://%s" % self.hostport

    def request(self, method, path, headers=None, token=None, timeout=10):
        host, _, port = self.hostport.rpartition(":")
        connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = "Bearer %s" % token
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def ctl(self, *args):
        """mprelayctl ARGS --json: the daemon's whole answer, as the command printed it."""
        command = [mprelayctl_binary()] + list(args) + ["--json", "--socket", self.socket]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done
        return json.loads(done.stdout.splitlines()[-1])


def http_table(http):
    lines = ["", "[http]"] + ["%s = %s" % (k, toml_value(v)) for k, v in http.items()]
    return "\n".join(lines) + "\n"


def write_config(path, relay_parts, http):
    broker, endpoints, control = relay_parts
    with open(path, "w") as f:
        f.write(render_config(broker, endpoints, control) + (http_table(http) if http else ""))


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "http-token"
    path.write_text(TOKEN + "\n")
    os.chmod(path, 0o600)
    return str(path)


@pytest.fixture
def http_relay(tmp_path):
    """http_relay(http={"listen": "127.0.0.1:0"}, **broker) -> HttpRelay."""
    started = []
    binary = mprelayd_binary()
    for path, variable in ((binary, "MPRELAYD"), (mprelayctl_binary(), "MPRELAYCTL")):
        if not os.access(path, os.X_OK):
            pytest.fail("%s not found: run `swift build --build-tests` or set %s" % (path, variable))

    def start(http=None, **broker):
        directory = tempfile.mkdtemp(prefix="mph-")
        settings = dict(DEFAULT_BROKER)
        settings.update(broker)
        endpoints = [
            {"address": "127.0.0.1:0", "authkey": AUTHKEY.decode()},
            {"address": os.path.join(directory, "relay.sock"), "authkey": AUTHKEY.decode()},
        ]
        control = {"socket": os.path.join(directory, "control.sock")}
        http = http or {"listen": "127.0.0.1:0"}
        config = str(tmp_path / ("mprelayd-%d.toml" % len(started)))
        write_config(config, (settings, endpoints, control), http)
        relay = Relay(binary, config, str(tmp_path / ("mprelayd-%d.log" % len(started))), settings, endpoints,
                      control=control)
        started.append((relay, directory))
        return HttpRelay(relay, directory, http)

    yield start

    failures = []
    for relay, directory in started:
        code = relay.stop()
        text = relay.log()
        if code != 0:
            failures.append("mprelayd exited %r:\n%s" % (code, text[-4000:]))
        elif re.search(r"^\[CRITICAL/", text, re.M):
            failures.append("mprelayd logged CRITICAL:\n%s" % text[-4000:])
        shutil.rmtree(directory, ignore_errors=True)
    if failures:
        pytest.fail("\n\n".join(failures))
