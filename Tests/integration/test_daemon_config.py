"""`mprelayd --check-config` and `--version`."""

import os
import re
import subprocess

import pytest

from relayharness import render_config

GOOD_ENDPOINT = {"address": "127.0.0.1:0", "authkey": "check-key"}


def check(mprelayd, path):
    proc = subprocess.run([mprelayd, "--check-config", "--config", str(path)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    return proc.returncode, proc.stdout.decode() + proc.stderr.decode()


def write(tmp_path, name, broker=None, endpoints=None, text=None):
    path = tmp_path / name
    path.write_text(text if text is not None else render_config(broker or {}, endpoints or [GOOD_ENDPOINT]))
    return path


BAD_CONFIGS = {
    # name: (broker, endpoints, key named in the message, extra regex)
    "unknown-key": ({"max_mesage_bytes": 10}, None, "broker.max_mesage_bytes", r"unknown"),
    "wrong-type": ({"max_message_bytes": "big"}, None, "broker.max_message_bytes", r"integer"),
    "wrong-type-bool": ({"allow_legacy_md5": "yes"}, None, "broker.allow_legacy_md5", r"true or false|bool"),
    "zero-max-message": ({"max_message_bytes": 0}, None, "broker.max_message_bytes", r"range"),
    "negative-timeout": ({"handshake_timeout": -1.0}, None, "broker.handshake_timeout", r"range"),
    "bad-log-level": ({"log_level": "verbose"}, None, "broker.log_level", r"verbose"),
    "port-70000": (None, [{"address": "127.0.0.1:70000", "authkey": "k"}], "endpoint[1].address", r"70000"),
    "windows-pipe": (None, [{"address": "\\\\.\\pipe\\x", "authkey": "k"}], "endpoint[1].address", r"Windows only"),
    "duplicate-address": (None, [{"address": "127.0.0.1:7001", "authkey": "k"},
                                 {"address": "127.0.0.1:7001", "authkey": "k"}], "endpoint[2].address", r"endpoint\[1\]"),
    "unknown-endpoint-key": (None, [{"address": "127.0.0.1:0", "authkey": "k", "mood": "happy"}], "endpoint[1].mood", r"unknown"),
    "no-authkey": (None, [{"address": "127.0.0.1:0"}], "endpoint[1]", r"authkey"),
    "long-socket-path": (None, [{"address": "/" + "s" * 120 + ".sock", "authkey": "k"}], "endpoint[1].address", r"107|108|too long"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_check_config_rejects(mprelayd, tmp_path, case):
    broker, endpoints, key, extra = BAD_CONFIGS[case]
    path = write(tmp_path, "bad-%s.toml" % case, broker, endpoints)
    code, out = check(mprelayd, path)
    assert code == 1, "exit %d for %s:\n%s" % (code, case, out)
    assert str(path) in out or path.name in out, "message does not name the file: %r" % out
    assert key in out, "message does not name %s: %r" % (key, out)
    said = out.replace(str(path), "")
    assert re.search(extra, said, re.I), "message does not say %r: %r" % (extra, out)


def test_check_config_missing_key_file(mprelayd, tmp_path):
    missing = tmp_path / "no-such.key"
    path = write(tmp_path, "missing-key.toml", endpoints=[{"address": "127.0.0.1:0", "authkey_file": str(missing)}])
    code, out = check(mprelayd, path)
    assert code == 1, out
    assert path.name in out and "endpoint[1].authkey_file" in out and str(missing) in out, out


def test_check_config_syntax_error(mprelayd, tmp_path):
    path = write(tmp_path, "syntax.toml", text="[broker\nlog_level = \n")
    code, out = check(mprelayd, path)
    assert code == 1 and path.name in out, out


def test_check_config_missing_config_file(mprelayd, tmp_path):
    code, out = check(mprelayd, tmp_path / "absent.toml")
    assert code == 1 and "absent.toml" in out, out


def test_check_config_valid(mprelayd, tmp_path, short_dir):
    key = tmp_path / "relay.key"
    key.write_bytes(b"a key from a file\n")
    os.chmod(str(key), 0o600)
    endpoints = [
        {"address": "127.0.0.1:0", "authkey_file": str(key)},
        {"address": os.path.join(short_dir, "v.sock"), "authkey": "k", "mode": 0o660},
        {"address": "@mprelay-check", "authkey": "k"},
    ]
    broker = {"log_level": "subwarning", "max_message_bytes": 1024, "handshake_timeout": 0.5,
              "allow_legacy_md5": False, "idle_timeout": 5.0, "drain_timeout": 1.0}
    path = write(tmp_path, "good.toml", broker, endpoints)
    code, out = check(mprelayd, path)
    assert code == 0, out
    # Checking binds nothing.
    assert not os.path.exists(os.path.join(short_dir, "v.sock"))


def test_version(mprelayd):
    proc = subprocess.run([mprelayd, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    assert proc.returncode == 0, proc
    assert re.match(r"^(mprelayd )?\d+\.\d+\.\d+\S*\s*$", proc.stdout.decode()), proc.stdout
