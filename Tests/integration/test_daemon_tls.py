"""TLS on host:port endpoints (docs/CONFIG.md, docs/SECURITY.md): the multiprocessing handshake
and the envelopes inside TLS, certificates checked both ways, and bad TLS input costing nothing
but the connection that sent it."""

import os
import resource
import re
import select
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

import relaytls
import relaywire as rw
from relayharness import AUTHKEY, DEFAULT_BROKER, check_config, heavy_test_skip_reason, render_config


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return relaytls.make_certificates(tmp_path_factory.mktemp("certs"))


def tls_endpoint(certs, **extra):
    endpoint = {
        "address": "127.0.0.1:0",
        "authkey": rw_key(),
        "tls_cert_file": os.path.join(certs, "server.pem"),
        "tls_key_file": os.path.join(certs, "server.key"),
    }
    endpoint.update(extra)
    return endpoint


def rw_key():
    return AUTHKEY.decode()


@pytest.fixture
def tls_relay(start_relay, certs, short_dir):
    """A daemon with a TLS endpoint (first) and a plain socket-file endpoint."""
    return start_relay(endpoints=[
        tls_endpoint(certs),
        {"address": os.path.join(short_dir, "plain.sock"), "authkey": rw_key()},
    ])


def test_messages_cross_between_tls_and_plain_peers(tls_relay, certs):
    tls_peer = relaytls.TLSPeer(tls_relay.by_kind("inet"), tls_relay.authkey, "over-tls", relaytls.client_context(certs))
    plain = rw.Peer(tls_relay.by_kind("unix"), tls_relay.authkey, "plain")
    for size in (0, 1, 100, 70000, 1 << 20):
        payload = os.urandom(size)
        tls_peer.send("plain", payload, cid=size + 1, options=rw.OPT_CONFIRM)
        assert tls_peer.recv_kind(rw.ACK).fields["cid"] == size + 1
        d = plain.recv_kind(rw.DELIVER, timeout=10)
        assert (d.fields["sender"], d.fields["payload"]) == ("over-tls", payload)
        plain.send("over-tls", payload, cid=size + 2)
        d = tls_peer.recv_kind(rw.DELIVER, timeout=10)
        assert (d.fields["sender"], d.fields["payload"]) == ("plain", payload)
    assert tls_peer.request(rw.ping(9), rw.PONG).fields["cid"] == 9
    tls_relay.wait_for_log(r"authenticated from 127\.0\.0\.1:\d+ on 127\.0\.0\.1:\d+")
    tls_peer.close()
    plain.close()


def test_a_plain_multiprocessing_client_on_a_tls_port_is_dropped(start_relay, certs):
    """A stock Client waits for the challenge and the broker for a ClientHello: the client is
    dropped at handshake_timeout with a log line that says why."""
    from multiprocessing.connection import Client
    relay = start_relay(endpoints=[tls_endpoint(certs)], handshake_timeout=1.0)
    with pytest.raises((EOFError, ConnectionResetError, OSError)):
        Client(relay.by_kind("inet"), authkey=relay.authkey)
    relay.wait_for_log(r"authentication failed from 127\.0\.0\.1:\d+ .*did not finish the TLS handshake within handshake_timeout")


def test_plain_bytes_on_a_tls_port_fail_as_not_tls(tls_relay):
    """A client that speaks first without TLS (here a HELLO frame) fails at once."""
    s = socket.create_connection(tls_relay.by_kind("inet"), timeout=5)
    s.sendall(b"\x00\x00\x00\x04\x01\x01\x01a" + b"\x00" * 64)
    assert rw.read_until_closed(s) is not None
    tls_relay.wait_for_log(r"authentication failed from 127\.0\.0\.1:\d+ .*TLS handshake failed \(not_tls\)")
    s.close()


def test_a_tls_client_on_a_plain_port_fails_cleanly(start_relay, certs):
    relay = start_relay()
    raw = socket.create_connection(relay.by_kind("inet"), timeout=5)
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        relaytls.client_context(certs).wrap_socket(raw, server_hostname="localhost")
    rw.exchange_check(relay.by_kind("inet"), relay.authkey)


@pytest.mark.parametrize("server_name", ["relay.example"])
def test_the_client_refuses_a_hostname_the_certificate_does_not_name(tls_relay, certs, server_name):
    with pytest.raises(ssl.SSLCertVerificationError):
        relaytls.TLSPeer(tls_relay.by_kind("inet"), tls_relay.authkey, "x", relaytls.client_context(certs), server_hostname=server_name)


def test_tls_below_the_minimum_is_refused(start_relay, certs):
    relay = start_relay(endpoints=[tls_endpoint(certs, tls_min_version="1.3")])
    context = relaytls.client_context(certs, maximum=ssl.TLSVersion.TLSv1_2)
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        relaytls.TLSPeer(relay.by_kind("inet"), relay.authkey, "old", context)
    relay.wait_for_log(r"TLS handshake failed \(protocol_version\)")
    relaytls.TLSPeer(relay.by_kind("inet"), relay.authkey, "new", relaytls.client_context(certs)).close()


def test_mutual_tls_and_principal_subjects(start_relay, certs):
    principals = [
        {"name": "workers", "authkey": "worker key", "may_register": ["*"], "may_send_to": ["*"],
         "tls_subjects": ["DNS:worker-1.example"]},
    ]
    relay = start_relay(principals=principals, endpoints=[{
        "address": "127.0.0.1:0", "principals": ["workers"],
        "tls_cert_file": os.path.join(certs, "server.pem"), "tls_key_file": os.path.join(certs, "server.key"),
        "tls_client_ca_file": os.path.join(certs, "ca.pem"),
    }])
    address = relay.by_kind("inet")
    good = relaytls.client_context(certs, "client.pem", "client.key")
    peer = relaytls.TLSPeer(address, b"worker key", "worker-1", good)
    assert peer.request(rw.ping(1), rw.PONG).fields["cid"] == 1
    # No certificate, or one from a CA the endpoint does not trust: the TLS handshake fails.
    for context in (relaytls.client_context(certs), relaytls.client_context(certs, "rogue-client.pem", "rogue-client.key")):
        with pytest.raises((ssl.SSLError, ConnectionResetError, EOFError, AssertionError)):
            relaytls.TLSPeer(address, b"worker key", "intruder", context)
    relay.wait_for_log(r"TLS handshake failed \(peer_certificate\)")
    peer.close()


def test_a_stalled_tls_handshake_costs_the_others_nothing(start_relay, certs, short_dir):
    relay = start_relay(endpoints=[
        tls_endpoint(certs),
        {"address": os.path.join(short_dir, "plain.sock"), "authkey": rw_key()},
    ], handshake_timeout=2.0)
    address = relay.by_kind("inet")
    # Half a ClientHello, then silence.
    hello = bytearray()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    probe = relaytls.client_context(certs).wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        probe.do_handshake()
    hello += outgoing.read()
    stalled = []
    for _ in range(50):
        s = socket.create_connection(address)
        s.sendall(bytes(hello[: len(hello) // 2]))
        stalled.append(s)
    ok = relaytls.TLSPeer(address, relay.authkey, "legit", relaytls.client_context(certs))
    started = time.monotonic()
    for i in range(200):
        assert ok.request(rw.ping(i), rw.PONG).fields["cid"] == i
    assert time.monotonic() - started < 5.0
    # The stalled ones are dropped at handshake_timeout.
    for s in stalled:
        s.settimeout(5.0)
        assert s.recv(1) == b""
        s.close()
    relay.wait_for_log(r"did not finish the TLS handshake within handshake_timeout")
    ok.close()


def test_openssl_s_client_sees_the_certificate_and_the_challenge(tls_relay, certs):
    host, port = tls_relay.by_kind("inet")
    client = subprocess.Popen(
        ["openssl", "s_client", "-connect", "%s:%d" % (host, port), "-CAfile", os.path.join(certs, "ca.pem"),
         "-verify_return_error", "-verify_hostname", "localhost", "-brief"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    output = b""
    deadline = time.monotonic() + 10
    try:
        while b"#CHALLENGE#{sha256}" not in output and time.monotonic() < deadline:
            readable, _, _ = select.select([client.stdout], [], [], 0.5)
            if readable:
                chunk = os.read(client.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
    finally:
        client.kill()
        client.wait()
    text = output.decode(errors="replace")
    assert "Verification: OK" in text, text
    assert "#CHALLENGE#{sha256}" in text, text


def test_expired_client_certificate_is_refused(start_relay, certs):
    relay = start_relay(endpoints=[tls_endpoint(certs, tls_client_ca_file=os.path.join(certs, "ca.pem"))])
    context = relaytls.client_context(certs, "expired-client.pem", "client.key")
    with pytest.raises((ssl.SSLError, ConnectionResetError, EOFError, AssertionError)):
        relaytls.TLSPeer(relay.by_kind("inet"), relay.authkey, "late", context)
    relay.wait_for_log(r"TLS handshake failed \(peer_certificate\).*certificate has expired")


def test_tls_1_0_and_1_1_are_never_accepted(tls_relay):
    """With the default minimum (1.2), a client offering only TLS 1.1 or 1.0 fails the handshake."""
    host, port = tls_relay.by_kind("inet")
    for flag in ("-tls1_1", "-tls1"):
        result = subprocess.run(
            ["openssl", "s_client", "-connect", "%s:%d" % (host, port), flag, "-cipher", "DEFAULT@SECLEVEL=0", "-brief"],
            input=b"", capture_output=True, timeout=20,
        )
        assert result.returncode != 0, (result.stdout + result.stderr).decode(errors="replace")
    tls_relay.wait_for_log(r"TLS handshake failed \(protocol_version\)")
    rw.exchange_check(tls_relay.by_kind("unix"), tls_relay.authkey)


def test_renegotiation_is_refused(tls_relay, certs):
    """A TLS 1.2 client that asks to renegotiate (s_client's R command) gets no new handshake."""
    host, port = tls_relay.by_kind("inet")
    client = subprocess.Popen(
        ["openssl", "s_client", "-connect", "%s:%d" % (host, port), "-tls1_2", "-CAfile", os.path.join(certs, "ca.pem")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    time.sleep(1.0)
    client.stdin.write(b"R\n")
    client.stdin.flush()
    try:
        output, _ = client.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        client.kill()
        output, _ = client.communicate()
    text = output.decode(errors="replace")
    assert "RENEGOTIATING" in text, text
    assert "no renegotiation" in text, text
    rw.exchange_check(tls_relay.by_kind("unix"), tls_relay.authkey)


def test_reload_picks_up_a_renewed_certificate_and_refuses_a_bad_one(start_relay, certs, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    for name in ("server.pem", "server.key"):
        (live / name).write_bytes(open(os.path.join(certs, name), "rb").read())
    os.chmod(live / "server.key", 0o600)
    endpoints = [{"address": "127.0.0.1:0", "authkey": rw_key(),
                  "tls_cert_file": str(live / "server.pem"), "tls_key_file": str(live / "server.key")}]
    relay = start_relay(endpoints=endpoints)
    address = relay.by_kind("inet")
    before = relaytls.TLSPeer(address, relay.authkey, "before", relaytls.client_context(certs))
    original = before.sock.getpeercert(binary_form=True)
    # Renewed files at the same paths: new connections get the new certificate, old ones stay.
    (live / "server.pem").write_bytes(open(os.path.join(certs, "renewed-server.pem"), "rb").read())
    (live / "server.key").write_bytes(open(os.path.join(certs, "renewed-server.key"), "rb").read())
    relay.reload()
    after = relaytls.TLSPeer(address, relay.authkey, "after", relaytls.client_context(certs))
    assert after.sock.getpeercert(binary_form=True) != original
    assert before.request(rw.ping(1), rw.PONG).fields["cid"] == 1
    # A key that does not match: the reload is refused, naming the file, and nothing changes.
    (live / "server.key").write_bytes(open(os.path.join(certs, "other.key"), "rb").read())
    os.kill(relay.pid, signal.SIGHUP)
    relay.wait_for_log(r"reload rejected.*server\.key: the private key does not match the certificate")
    third = relaytls.TLSPeer(address, relay.authkey, "third", relaytls.client_context(certs))
    assert third.sock.getpeercert(binary_form=True) == after.sock.getpeercert(binary_form=True)
    for peer in (before, after, third):
        peer.close()


def test_control_socket_and_metrics_show_tls(tls_relay, certs):
    """mprelayctl peer shows a TLS peer's version, cipher and client certificate; metrics count
    TLS handshakes and failures by reason."""
    peer = relaytls.TLSPeer(tls_relay.by_kind("inet"), tls_relay.authkey, "secure", relaytls.client_context(certs))
    plain = rw.Peer(tls_relay.by_kind("unix"), tls_relay.authkey, "in-clear")
    bad = socket.create_connection(tls_relay.by_kind("inet"))
    bad.sendall(b"GET / HTTP/1.0\r\n\r\n")
    rw.read_until_closed(bad)
    bad.close()

    secure = tls_relay.ask("peer", "secure")
    assert secure["tls"]["version"] in ("TLSv1.2", "TLSv1.3"), secure
    assert secure["tls"]["cipher"], secure
    assert secure["tls"].get("client_subject") is None, secure
    assert "tls" not in tls_relay.ask("peer", "in-clear")
    metrics = tls_relay.ctl("metrics").out
    assert re.search(r"^mprelay_tls_handshakes_total 1$", metrics, re.M), metrics
    assert re.search(r'^mprelay_tls_failures_total\{reason="not_tls"\} 1$', metrics, re.M), metrics
    peer.close()
    plain.close()


@pytest.mark.parametrize("certificate, key, problem", [
    ("server.pem", "other.key", "other.key: the private key does not match the certificate"),
    ("expired-server.pem", "server.key", "expired-server.pem: the certificate expired"),
    ("future-server.pem", "server.key", "future-server.pem: the certificate is not valid yet"),
    ("server.key", "server.key", "server.key: not a readable PEM certificate"),
])
def test_check_config_loads_the_tls_files(mprelayd, certs, tmp_path, certificate, key, problem):
    key_copy = tmp_path / key
    key_copy.write_bytes(open(os.path.join(certs, key), "rb").read())
    os.chmod(key_copy, 0o600)
    config = tmp_path / "tls.toml"
    config.write_text(render_config(DEFAULT_BROKER, [tls_endpoint(certs, tls_cert_file=os.path.join(certs, certificate), tls_key_file=str(key_copy))]))
    result = check_config(config, mprelayd)
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0] and "endpoint[1]" in lines[0], result.stderr


def test_a_key_file_open_to_others_is_refused(mprelayd, certs, tmp_path):
    key_copy = tmp_path / "server.key"
    key_copy.write_bytes(open(os.path.join(certs, "server.key"), "rb").read())
    os.chmod(key_copy, 0o644)
    config = tmp_path / "tls.toml"
    config.write_text(render_config(DEFAULT_BROKER, [tls_endpoint(certs, tls_key_file=str(key_copy))]))
    result = check_config(config, mprelayd)
    assert result.returncode == 1 and "endpoint[1].tls_key_file" in result.stderr and "chmod 600" in result.stderr, result.stderr


_HEAVY = heavy_test_skip_reason()


@pytest.mark.skipif(_HEAVY is not None, reason=_HEAVY or "")
def test_a_thousand_stalled_tls_handshakes_leave_a_tls_pair_fast(start_relay, certs):
    """1,000 clients send half a ClientHello and stall; a registered TLS pair keeps its round
    trips (a to b and back, through the broker) fast meanwhile, and every stalled client is
    dropped at handshake_timeout. The bound is generous (50 ms at p99, for loaded CI machines);
    the figure printed is what docs/PERFORMANCE.md reports against its 5 ms target."""
    flood_size = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, flood_size + 512)), hard))
    try:
        relay = start_relay(endpoints=[tls_endpoint(certs)], log_level="info", max_handshakes=flood_size + 500,
                            auth_failure_penalty=0.0, handshake_timeout=4.0)
        address = relay.by_kind("inet")
        a = relaytls.TLSPeer(address, relay.authkey, "tls-pair-a", relaytls.client_context(certs))
        b = relaytls.TLSPeer(address, relay.authkey, "tls-pair-b", relaytls.client_context(certs))

        def round_trip(i):
            started = time.perf_counter()
            a.send("tls-pair-b", b"ping", cid=i)
            b.recv_kind(rw.DELIVER)
            b.send("tls-pair-a", b"pong", cid=i)
            a.recv_kind(rw.DELIVER)
            return time.perf_counter() - started

        for i in range(100):
            round_trip(i + 1)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        probe = relaytls.client_context(certs).wrap_bio(incoming, outgoing, server_hostname="localhost")
        with pytest.raises(ssl.SSLWantReadError):
            probe.do_handshake()
        half_hello = outgoing.read()[:100]
        stalled = []
        for _ in range(flood_size):
            sock = socket.create_connection(address)
            sock.sendall(half_hello)
            stalled.append(sock)
        times = [round_trip(1000 + i) for i in range(2000)]
        times.sort()
        p99 = times[int(len(times) * 0.99)]
        print("\nTLS pair under %d stalled TLS handshakes: p50 %.3f ms, p99 %.3f ms, max %.3f ms"
              % (flood_size, times[len(times) // 2] * 1e3, p99 * 1e3, times[-1] * 1e3))
        assert p99 < 0.05, "p99 %.3f ms under the stalled handshakes" % (p99 * 1e3)
        closed = 0
        for sock in stalled:
            sock.settimeout(10.0)
            try:
                closed += sock.recv(1) == b""
            except (ConnectionResetError, socket.timeout):
                pass
            sock.close()
        assert closed == flood_size, "%d of %d stalled clients were dropped" % (closed, flood_size)
        a.close()
        b.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
