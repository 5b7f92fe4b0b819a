"""Endpoint settings seen from a client: key files, socket modes, address spellings, log level."""

import os
import socket
import stat
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, answer_challenge, deliver_challenge

import pytest

import relaywire as rw
from relayharness import AUTHKEY, check_config


def test_authkey_file_drops_one_trailing_newline_and_warns_when_readable(start_relay, tmp_path):
    key_file = tmp_path / "relay.key"
    key_file.write_bytes(b"key-from-file-93ab\n")
    os.chmod(str(key_file), 0o644)
    relay = start_relay(endpoints=[{"address": "127.0.0.1:0", "authkey_file": str(key_file)}])
    rw.Peer(relay.addr, b"key-from-file-93ab", "file-keyed").close()
    with pytest.raises(AuthenticationError):
        Client(relay.addr, authkey=b"key-from-file-93ab\n")
    log = relay.log()
    warning = [l for l in log.splitlines() if l.startswith("[WARNING/MainProcess]") and "relay.key" in l]
    assert warning, "no WARNING about a key file other users can read:\n" + log
    assert "key-from-file-93ab" not in log


def test_authkey_file_private_no_warning(start_relay, tmp_path):
    key_file = tmp_path / "private.key"
    key_file.write_bytes(b"two\nlines\n\n")  # only the last newline goes
    os.chmod(str(key_file), 0o600)
    relay = start_relay(endpoints=[{"address": "127.0.0.1:0", "authkey_file": str(key_file)}])
    rw.Peer(relay.addr, b"two\nlines\n", "multi-line-key").close()
    assert not [l for l in relay.log().splitlines() if l.startswith("[WARNING/")], relay.log()


@pytest.mark.parametrize("mode,expected", [(None, 0o660), (0o600, 0o600), ("0640", 0o640)])
def test_socket_file_mode(start_relay, short_dir, mode, expected):
    path = os.path.join(short_dir, "m.sock")
    endpoint = {"address": path, "authkey": AUTHKEY.decode()}
    if mode is not None:
        endpoint["mode"] = mode
    relay = start_relay(endpoints=[endpoint])
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == expected, "socket mode %o, expected %o" % (stat.S_IMODE(st.st_mode), expected)
    rw.Peer(path, relay.authkey, "moded").close()


def test_abstract_address_written_with_nul_is_the_at_form(mprelayd, tmp_path):
    """docs/CONFIG.md: Python's "\\u0000name" spelling of an abstract address means "@name"; a NUL
    anywhere else in an address or in a path is refused, never cut off."""
    def check(text):
        config = tmp_path / "nul.toml"
        config.write_text(text)
        proc = check_config(config, mprelayd)
        return proc.returncode, proc.stdout + proc.stderr

    code, output = check('[[endpoint]]\naddress = "\\u0000mprelay-nul"\nauthkey = "k"\n')
    assert code == 0, output
    code, output = check('[[endpoint]]\naddress = "/tmp/x\\u0000y.sock"\nauthkey = "k"\n')
    assert code == 1 and "endpoint[1].address" in output and "NUL" in output, output
    code, output = check('[[endpoint]]\naddress = "127.0.0.1:0"\nauthkey_file = "/etc/passwd\\u0000x"\n')
    assert code == 1 and "endpoint[1].authkey_file" in output and "NUL" in output, output


def ipv6_loopback_available():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_available(), reason="this machine has no IPv6 loopback (::1)")
def test_ipv6_endpoint(start_relay):
    relay = start_relay(endpoints=[{"address": "[::1]:0", "authkey": AUTHKEY.decode()}])
    assert relay.printed[0].startswith("[::1]:"), relay.printed
    host, port = relay.addr
    # The stock Client maps tuples to AF_INET, so connect by hand and use the stock handshake.
    sock = socket.create_connection((host, port))
    conn = Connection(sock.detach())
    answer_challenge(conn, relay.authkey)
    deliver_challenge(conn, relay.authkey)
    conn.send_bytes(rw.hello("six"))
    assert rw.decode(conn.recv_bytes()).kind == rw.WELCOME
    conn.close()
    relay.wait_for_log(r"authenticated from \[::1\]:\d+")


def test_info_level_logs_no_per_message_lines(start_relay):
    relay = start_relay(log_level="info")
    a = rw.Peer(relay.by_kind("unix"), relay.authkey, "quiet-a")
    b = rw.Peer(relay.by_kind("unix"), relay.authkey, "quiet-b")
    before = len(relay.log().splitlines())
    for i in range(200):
        a.send("quiet-b", b"m%d" % i, cid=i, options=rw.OPT_CONFIRM)
        a.send("nobody", b"m%d" % i, cid=i)
    for i in range(200):
        assert b.recv_kind(rw.DELIVER).fields["cid"] == i
    a.send_raw(rw.ping(1))
    while a.recv().kind != rw.PONG:
        pass
    new = relay.log().splitlines()[before:]
    assert not [l for l in new if l.startswith("[DEBUG/") or l.startswith("[SUBDEBUG/")], new[:5]
    assert len(new) < 10, "per-message lines at info level: %r" % new[:10]
    a.close()
    b.close()
