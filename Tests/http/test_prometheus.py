"""A real Prometheus server scrapes the monitoring server, and its query API returns the relay's
counters. Prometheus runs on a loopback port with a temporary config and data directory, and is
stopped by its PID."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request

from relaywire import DELIVER, Peer

from conftest import AUTHKEY, TOKEN, need_tool


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port, expression):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expression}))
    with urllib.request.urlopen(url, timeout=5) as response:
        answer = json.load(response)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_prometheus_scrapes_the_relay_counters(http_relay, token_file, tmp_path):
    prometheus = need_tool("PROMETHEUS", "prometheus")
    relay = http_relay(http={"listen": "127.0.0.1:0", "token_file": token_file})
    a, b = Peer(relay.relay.addr, AUTHKEY, "prom-a"), Peer(relay.relay.addr, AUTHKEY, "prom-b")
    for i in range(7):
        a.send("prom-b", b"x" * 100, cid=i + 1)
    for _ in range(7):
        b.recv_kind(DELIVER)

    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: mprelay\n"
        "    authorization:\n      credentials_file: %s\n"
        "    static_configs:\n      - targets: ['%s']\n" % (token_file, relay.hostport)
    )
    log = open(tmp_path / "prometheus.log", "wb")
    server = subprocess.Popen(
        [prometheus, "--config.file=%s" % config, "--storage.tsdb.path=%s" % (tmp_path / "data"),
         "--web.listen-address=127.0.0.1:%d" % port],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        found = []
        while time.monotonic() < deadline:
            try:
                found = query(port, "mprelay_messages_relayed_total")
                if found and found[0]["value"][1] == "7":
                    break
            except OSError:
                pass
            assert server.poll() is None, open(tmp_path / "prometheus.log").read()
            time.sleep(0.5)
        assert found and found[0]["value"][1] == "7", found
        assert found[0]["metric"]["job"] == "mprelay"
        assert query(port, "mprelay_bytes_relayed_total")[0]["value"][1] == "700"
        assert query(port, "mprelay_peers")[0]["value"][1] == "2"
        assert query(port, "up{job='mprelay'}")[0]["value"][1] == "1"
        errors = query(port, "mprelay_errors_total")
        assert len(errors) > 5 and {e["metric"]["name"] for e in errors} >= {"unknown peer", "kicked"}
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        a.close()
        b.close()
