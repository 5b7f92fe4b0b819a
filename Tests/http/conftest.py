"""Fixtures that run a real mprelayd with its `[http]` monitoring server.

`http_relay(http=..., **broker)` starts a daemon through the shared harness
(Tests/fixtures/mprelayd_harness.py) with a control socket and an `[http]` table, waits for the
monitoring server's log line and returns an HttpRelay: the Relay, the base URL, an HTTP client and
the mprelayctl beside it. Peers are stock multiprocessing Clients (Tests/integration/relaywire.py).

External tools (prometheus, chromium) are found on PATH or through PROMETHEUS and CHROMIUM.
Under CI=true a missing one fails its test; elsewhere the test is skipped with the reason.
"""

import http.client
import json
import os
import shutil
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(TESTS, "fixtures"), os.path.join(TESTS, "integration")]

from mprelayd_harness import (AUTHKEY, REPO, RelayFactory, mprelayctl_binary,  # noqa: E402,F401
                              report_header, require_binary)

TOKEN = "http-test-token-0123456789abcdef"


def pytest_report_header(config):
    return report_header(with_mprelayctl=True)


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
    """A running mprelayd with its monitoring server: `relay` is the harness's Relay."""

    def __init__(self, relay):
        self.relay = relay
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
        done = self.relay.ctl(*(list(args) + ["--json"]))
        assert done.code == 0, done
        return done.answer


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "http-token"
    path.write_text(TOKEN + "\n")
    os.chmod(path, 0o600)
    return str(path)


@pytest.fixture
def http_relay(tmp_path):
    """http_relay(http={"listen": "127.0.0.1:0"}, **broker) -> HttpRelay on 127.0.0.1:0 and a
    socket file, with a control socket."""
    require_binary(mprelayctl_binary(), "MPRELAYCTL")
    factory = RelayFactory(tmp_path)

    def start(http=None, **broker):
        tables = {"http": http or {"listen": "127.0.0.1:0"}}
        return HttpRelay(factory.start(endpoints=["inet", "unix"], tables=tables, **broker))

    yield start
    factory.close()
