"""`mprelayd --check-config` and `--version`."""

import os
import re
import subprocess

import pytest

from relayharness import check_config, render_config

GOOD_ENDPOINT = {"address": "127.0.0.1:0", "authkey": "check-key"}


def check(mprelayd, path):
    proc = check_config(path, mprelayd)
    return proc.returncode, proc.stdout + proc.stderr


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
    assert code == 1 and out == "mprelayd: %s:1:8: expected ']' to end the table header, found the end of the line\n" % path, out


# Inputs that aborted the process before mprelay had its own TOML parser, and a few of their kin.
MALFORMED = {
    "table-header": (b"[=\n", "1:2"),
    "array-element": (b"b=[1,}\n", "1:6"),
    "date-without-time": (b"t=1979-05-27T:\n", "1:13"),
    "date-then-digit": (b"d = 1979-05-27 9 \n", "1:16"),
    "line-separator-in-array": ("b = [1, \u2028]\n".encode(), "1:9"),
    "invalid-utf8": (b"[broker]\nlog_level = \"\xff\"\n", "2:14"),
    "nul": (b"a = 1\x00\n", "1:6"),
    "deep-nesting": (b"a = " + b"{b=" * 100 + b"1" + b"}" * 100 + b"\n", "1:"),
    "huge-integer": (b"[broker]\nmax_connections = 99999999999999999999\n", "2:19"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("mode", ["check", "start"])
def test_malformed_files_give_one_line_with_the_place(mprelayd, tmp_path, case, mode):
    """Any malformed file: exit 1 and exactly one line, mprelayd: FILE:LINE:COLUMN: message, both
    for --check-config and at start-up."""
    text, place = MALFORMED[case]
    path = tmp_path / ("bad-%s.toml" % case)
    path.write_bytes(text)
    command = [mprelayd, "--config", str(path)] + (["--check-config"] if mode == "check" else [])
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    out = proc.stdout.decode() + proc.stderr.decode(errors="replace")
    assert proc.returncode == 1, "exit %d:\n%s" % (proc.returncode, out)
    assert out.count("\n") == 1 and out.startswith("mprelayd: %s:%s" % (path, place)), out


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


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_embedded_default_with_an_unusable_key_file_fails_in_one_line(mprelayd, short_dir, kind):
    """Without --config the daemon reads or creates `authkey` in its runtime directory; a FIFO
    there must not block it (on open for reading or for writing), nor a directory crash it."""
    path = os.path.join(short_dir, "authkey")
    if kind == "fifo":
        os.mkfifo(path, 0o600)
    else:
        os.mkdir(path)
    environment = {key: value for key, value in os.environ.items() if key != "MPRELAY_AUTHKEY"}
    environment["RUNTIME_DIRECTORY"] = short_dir
    proc = subprocess.run([mprelayd], env=environment, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 1, out
    assert out.count("\n") == 1 and out.startswith("mprelayd: <embedded default>: cannot write a new authkey to %s: " % path), out
