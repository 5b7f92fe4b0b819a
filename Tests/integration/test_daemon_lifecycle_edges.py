"""Lifecycle edges: a long drain asks systemd for more time (EXTEND_TIMEOUT_USEC=, read from a
NOTIFY_SOCKET this test binds), and a reload that names a key file which is a FIFO is refused at
once, with the file named, while the relay keeps serving.
"""

import os
import re
import socket
import time

import relaywire as rw


def test_a_long_drain_asks_systemd_for_more_time(start_relay, short_dir, monkeypatch):
    notify_path = os.path.join(short_dir, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    monkeypatch.setenv("NOTIFY_SOCKET", notify_path)
    relay = start_relay(drain_timeout=7.0)
    sender = rw.Peer(relay.by_kind("unix"), relay.authkey, "drain-sender")
    deaf = rw.Peer(relay.by_kind("unix"), relay.authkey, "drain-deaf")
    rw.raw_socket(deaf.conn).setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # More than the kernel buffers hold, to a peer that never reads: the drain lasts drain_timeout.
    for i in range(4000):
        sender.send("drain-deaf", b"x" * 1024, cid=i + 1)
    time.sleep(0.5)
    notify.settimeout(0.2)
    while True:  # READY=1 and STATUS= lines from the start
        try:
            notify.recv(4096)
        except socket.timeout:
            break
    started = time.monotonic()
    relay.terminate()
    extensions, deadline = [], time.monotonic() + 12
    while time.monotonic() < deadline and relay.proc.poll() is None:
        try:
            message = notify.recv(4096).decode()
        except socket.timeout:
            continue
        for value in re.findall(r"^EXTEND_TIMEOUT_USEC=(\d+)$", message, re.M):
            extensions.append((time.monotonic() - started, int(value)))
    code = relay.stop()
    sender.close()
    deaf.close()
    notify.close()
    print("\nEXTEND_TIMEOUT_USEC while draining (s after SIGTERM, usec): %r" % extensions)
    assert code == 0, relay.log()
    assert len(extensions) >= 2, "expected an extension at SIGTERM and another while draining, got %r" % extensions
    assert extensions[0][0] < 1.0, extensions
    assert all(0 < usec <= 10_000_000 for _, usec in extensions), extensions


def test_a_fifo_as_key_file_is_refused_at_once_by_a_reload(start_relay, tmp_path):
    relay = start_relay()
    fifo = str(tmp_path / "authkey.fifo")
    os.mkfifo(fifo, 0o600)
    endpoints = [dict(relay.endpoints[0])]
    endpoints[0].pop("authkey")
    endpoints[0]["authkey_file"] = fifo
    started = time.monotonic()
    try:
        relay.reload(endpoints=endpoints + relay.endpoints[1:], timeout=8.0)
        raise AssertionError("a reload naming a FIFO as key file was applied")
    except AssertionError as error:
        assert "reload rejected" in str(error), error
    assert time.monotonic() - started < 5.0, "the refusal took %.1f s" % (time.monotonic() - started)
    relay.wait_for_log(r"reload rejected.*%s.*it is a FIFO, not a regular file" % re.escape(fifo))
    rw.exchange_check(relay.by_kind("inet"), relay.authkey, "after-fifo-a", "after-fifo-b")
