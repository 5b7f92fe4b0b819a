"""Three nats-servers with JetStream, clustered on 127.0.0.1, for the cluster suite.

Each server gets free ports (client, cluster route, HTTP monitoring), a store directory and a log
file under the directory it is given, and is stopped by its PID. `NATSCluster.start()` returns
once every server's `/healthz?js-enabled-only=false` answers 200, that is once JetStream has a
meta leader that every server follows. A server can be killed and started again on the same
ports and store, so that a test can take NATS away and give it back. CPython 3.8 syntax only.
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

_RUNNING = set()  # servers started and not yet stopped, killed at exit if a teardown never ran


def nats_server_binary():
    """The nats-server to run: $NATS_SERVER, else the first on PATH. A missing one fails the test
    under CI=true and skips it elsewhere, saying how to install it."""
    binary = os.environ.get("NATS_SERVER") or shutil.which("nats-server")
    if binary and os.access(binary, os.X_OK):
        return binary
    reason = "nats-server not found (PATH, or $NATS_SERVER): `make deps` installs it (Debian package nats-server)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: failing instead of skipping)")
    pytest.skip(reason)


def free_port():
    """A TCP port of 127.0.0.1 that nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_get(port, path, timeout=1.0):
    """(status, body text) of a GET on 127.0.0.1:port, or (None, why) if it cannot be had."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        return None, str(error)
    finally:
        connection.close()


class NATSServer:
    """One nats-server of the cluster: its name, ports, store, log and process."""

    def __init__(self, binary, name, directory, cluster_name, route_ports):
        self.binary = binary
        self.name = name
        self.port = free_port()
        self.http_port = free_port()
        self.route_port = route_ports[name]
        self.store = os.path.join(directory, name)
        self.log_path = os.path.join(directory, "%s.log" % name)
        routes = ",".join("nats://127.0.0.1:%d" % p for p in route_ports.values())
        self.arguments = ["-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.http_port), "-n", name,
                          "-js", "-sd", self.store, "--cluster_name", cluster_name,
                          "--cluster", "nats://127.0.0.1:%d" % self.route_port, "--routes", routes]
        self.proc = None

    @property
    def url(self):
        """`nats://127.0.0.1:<client port>`."""
        return "nats://127.0.0.1:%d" % self.port

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=10.0):
        """Starts the server (again, on the same ports and store) and waits for its client port."""
        assert not self.running, "nats-server %s (pid %d) is running" % (self.name, self.proc.pid)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([self.binary] + self.arguments, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        _RUNNING.add(self)
        print("started nats-server %s: pid %d, client port %d, log %s"
              % (self.name, self.proc.pid, self.port, self.log_path))
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1.0).close()
                return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = "exited with %s" % self.proc.returncode if self.proc.poll() is not None else "not listening"
                raise AssertionError("nats-server %s %s after %.0f s:\n%s" % (self.name, why, timeout, self.log()[-3000:]))
            time.sleep(0.02)

    def kill(self, sig=signal.SIGKILL):
        """Sends `sig` (SIGKILL by default) to the server by its PID and reaps it."""
        if self.running:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            print("stopped nats-server %s (pid %d) with signal %d" % (self.name, self.proc.pid, sig))
        _RUNNING.discard(self)

    def health(self):
        """(status, body) of the server's JetStream health check."""
        return _http_get(self.http_port, "/healthz")

    def log(self):
        """The server's whole log."""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class NATSCluster:
    """Three nats-servers n1, n2, n3 routed to each other, JetStream on, stores under `directory`."""

    def __init__(self, directory, cluster_name="mprelay-test"):
        binary = nats_server_binary()
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        names = ("n1", "n2", "n3")
        route_ports = {name: free_port() for name in names}
        self.servers = [NATSServer(binary, name, self.directory, cluster_name, route_ports) for name in names]

    @property
    def urls(self):
        """Every server's client URL, n1 first."""
        return [server.url for server in self.servers]

    def start(self):
        """Starts every server that is not running and waits until JetStream is healthy on all."""
        for server in self.servers:
            if not server.running:
                server.start()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout=30.0):
        """Waits until every running server's `/healthz` answers 200: JetStream has a meta leader
        and the server is current with it."""
        deadline = time.monotonic() + timeout
        while True:
            answers = {s.name: s.health() for s in self.servers if s.running}
            if all(status == 200 for status, _ in answers.values()):
                return
            if time.monotonic() > deadline:
                raise AssertionError("JetStream not healthy after %.0f s: %s\n%s"
                                     % (timeout, json.dumps(answers), self.describe()))
            time.sleep(0.1)

    def stop(self):
        """Stops every server by PID (SIGTERM, then SIGKILL) and checks none is left running."""
        for server in self.servers:
            server.kill(signal.SIGTERM)
        left = [s.name for s in self.servers if s.running]
        assert not left, "nats-servers still running: %s" % left

    def describe(self, lines=15):
        """The last lines of every server's log, for a failure report."""
        parts = []
        for server in self.servers:
            tail = server.log().splitlines()[-lines:]
            parts.append("--- nats-server %s (%s, %s):\n%s" % (server.name, server.url,
                                                                "running" if server.running else "stopped",
                                                                "\n".join(tail)))
        return "\n".join(parts)


@atexit.register
def _kill_leftovers():
    for server in list(_RUNNING):
        sys.stderr.write("killing nats-server %s pid %d: never stopped\n" % (server.name, server.proc.pid))
        server.kill()
