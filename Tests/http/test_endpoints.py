"""Every monitoring endpoint against a real mprelayd with real peers: the JSON equals what
mprelayctl --json prints for the same state, /metrics is the control socket's exposition, the
health checks, HEAD, 405 and 404."""

import contextlib
import threading
import time

from relaywire import DELIVER, Peer

from conftest import AUTHKEY


@contextlib.contextmanager
def exchange(relay, names=("alpha", "beta"), count=5):
    """Registers peers, relays `count` messages from the first to the second, and closes the
    peers when the block ends."""
    peers = [Peer(relay.relay.addr, AUTHKEY, name) for name in names]
    try:
        for i in range(count):
            peers[0].send(names[1], b"payload %d" % i, cid=i + 1)
        for _ in range(count):
            peers[1].recv_kind(DELIVER)
        yield peers
    finally:
        for peer in peers:
            peer.close()


def without(report, *keys):
    return {k: v for k, v in report.items() if k not in keys}


def test_json_endpoints_equal_mprelayctl(http_relay):
    relay = http_relay()
    with exchange(relay):
        status = relay.get("/status")
        assert status.status == 200 and status.headers["content-type"] == "application/json"
        ctl_status = relay.ctl("status")
        ours = status.json()
        assert ours["ok"] and ours["command"] == "status" and ours["version"] == ctl_status["version"]
        assert without(ours["result"], "uptime_seconds") == without(ctl_status["result"], "uptime_seconds")
        assert ours["result"]["totals"]["messages_relayed"] == 5

        listed = relay.get("/peers").json()
        ctl_peers = relay.ctl("peers")
        assert [without(p, "connected_seconds") for p in listed["result"]["peers"]] == \
            [without(p, "connected_seconds") for p in ctl_peers["result"]["peers"]]
        assert [p["name"] for p in listed["result"]["peers"]] == ["alpha", "beta"]

        one = relay.get("/peers/beta").json()
        ctl_one = relay.ctl("peer", "beta")
        assert without(one["result"], "connected_seconds") == without(ctl_one["result"], "connected_seconds")
        assert one["result"]["messages_out"] >= 5

        endpoints = relay.get("/endpoints").json()
        assert endpoints == {"endpoints": ctl_status["result"]["endpoints"]}


def test_unknown_peer_is_404_with_the_control_failure(http_relay):
    relay = http_relay()
    answer = relay.get("/peers/nobody%20here")
    assert answer.status == 404
    body = answer.json()
    assert body["ok"] is False and body["command"] == "peer" and body["error"]["code"] == "unknown_peer"
    assert "nobody here" in body["error"]["message"]


def test_metrics_is_the_control_socket_exposition(http_relay):
    relay = http_relay()
    with exchange(relay, count=3):
        answer = relay.get("/metrics")
        assert answer.status == 200
        assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        ctl = relay.ctl("metrics")["result"]["text"]
        stable = [line for line in answer.text.splitlines() if "uptime" not in line and "control_clients" not in line]
        assert stable == [line for line in ctl.splitlines() if "uptime" not in line and "control_clients" not in line]
        assert "mprelay_messages_relayed_total 3" in answer.text
        assert "mprelay_peers 2" in answer.text


def test_metrics_are_rendered_at_most_once_a_second(http_relay):
    relay = http_relay()
    first = relay.get("/metrics").text
    assert relay.get("/metrics").text == first
    time.sleep(1.2)
    later = relay.get("/metrics").text
    uptime = [line for line in later.splitlines() if line.startswith("mprelay_uptime_seconds ")]
    assert uptime and uptime[0] not in first


def test_health_and_readiness(http_relay):
    relay = http_relay()
    health = relay.get("/healthz")
    assert (health.status, health.text) == (200, "ok\n")
    ready = relay.get("/readyz")
    assert (ready.status, ready.text) == (200, "ready\n")


def test_a_draining_relay_is_not_ready(http_relay):
    relay = http_relay(drain_timeout=5.0)
    sender, sleeper = Peer(relay.relay.addr, AUTHKEY, "sender"), Peer(relay.relay.addr, AUTHKEY, "sleeper")
    # The sleeper never reads: what is queued to it cannot flush, so the drain lasts drain_timeout.
    flood = threading.Thread(target=lambda: [sender.send("sleeper", b"z" * 1048576) for _ in range(32)], daemon=True)
    flood.start()
    time.sleep(1.0)
    relay.relay.terminate()
    relay.relay.wait_for_log(r"received SIGTERM")
    ready = relay.get("/readyz")
    assert (ready.status, ready.text) == (503, "draining\n")
    health = relay.get("/healthz")
    assert (health.status, health.text) == (503, "not ready: draining\n")
    sender.close()
    sleeper.close()


def test_a_wedged_relay_fails_healthz_but_stays_ready(http_relay, monkeypatch):
    monkeypatch.setenv("MPRELAY_TEST_WEDGE", "1")
    relay = http_relay()
    assert relay.get("/healthz").status == 200
    relay.relay.proc.send_signal(12)  # SIGUSR2: debug builds wedge the poller threads
    relay.relay.wait_for_log(r"wedging the poller threads")
    started = time.monotonic()
    health = relay.get("/healthz")
    assert health.status == 503, health
    assert "did not answer a probe" in health.text
    assert time.monotonic() - started < 5
    assert relay.get("/readyz").status == 200
    # A wedged relay cannot drain: end it here; the fixture's exit-code check is for healthy ones.
    relay.relay.kill()


def test_status_page_and_its_assets(http_relay):
    relay = http_relay()
    page = relay.get("/")
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/status.js">' in page.text and "http://" not in page.text.replace(relay.base, "")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = relay.get("/status.js")
    assert script.status == 200 and script.headers["content-type"].startswith("text/javascript")
    assert 'fetchJSON("/status")' in script.text and "innerHTML" not in script.text
    style = relay.get("/status.css")
    assert style.status == 200 and style.headers["content-type"].startswith("text/css")


def test_head_has_the_headers_of_get_and_no_body(http_relay):
    relay = http_relay()
    for path in ["/", "/metrics", "/status", "/healthz", "/peers"]:
        get = relay.get(path)
        head = relay.request("HEAD", path)
        assert head.status == get.status, path
        assert head.body == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
        if path not in ("/metrics", "/status"):  # both change between two requests
            assert int(head.headers["content-length"]) == len(get.body), path


def test_other_methods_are_405_with_allow(http_relay):
    relay = http_relay()
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]:
        answer = relay.request(method, "/status")
        assert answer.status == 405, (method, answer)
        assert answer.headers["allow"] == "GET, HEAD"
    assert relay.get("/no/such/page").status == 404
