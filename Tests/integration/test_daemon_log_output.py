"""A log output nobody reads does not stall the relay: mprelayd's stderr is a pipe this test never
reads while peers exchange messages at `log_level = "subdebug"` (a line per message), then the
pipe is read: the lines that did not fit were dropped, counted in the control socket's
`mprelay_log_lines_dropped_total`, and one warning says how many.
"""

import os
import re
import subprocess
import time

import relaywire as rw
from relayharness import AUTHKEY, mprelayd_binary, render_config


def wait_for_socket(path, proc, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, "mprelayd exited with %s" % proc.returncode
        assert time.monotonic() < deadline, "mprelayd did not listen on %s in time" % path
        time.sleep(0.02)


def dropped_metric(ctl, control_socket):
    out = subprocess.run([ctl, "metrics", "--socket", control_socket], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    found = re.search(r"^mprelay_log_lines_dropped_total (\d+)$", out.stdout, re.M)
    assert found, out.stdout
    return int(found.group(1))


def test_a_stderr_nobody_reads_drops_lines_instead_of_stalling_the_relay(tmp_path, short_dir):
    endpoint = os.path.join(short_dir, "log.sock")
    control = os.path.join(short_dir, "control.sock")
    config = tmp_path / "mprelayd.toml"
    config.write_text(render_config({"log_level": "subdebug"}, [{"address": endpoint, "authkey": AUTHKEY.decode()}],
                                    {"socket": control}))
    binary = mprelayd_binary()
    ctl = os.path.join(os.path.dirname(binary), "mprelayctl")
    proc = subprocess.Popen([binary, "--config", str(config)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_socket(endpoint, proc)
        started = time.monotonic()
        for round_ in range(40):
            rw.exchange_check(endpoint, AUTHKEY, "log-a-%d" % round_, "log-b-%d" % round_, count=1000)
        elapsed = time.monotonic() - started
        dropped = dropped_metric(ctl, control)
        print("\n80,000 messages at subdebug with stderr unread: %.2f s, %d log lines dropped" % (elapsed, dropped))
        assert elapsed < 60, "the relay took %.1f s for 80,000 messages while stderr was not read" % elapsed
        assert dropped > 0, "no line was dropped: the pipe and buffer took every line, the test proves nothing"
        # The reader reads again: buffered lines come out, then the warning with the count.
        os.set_blocking(proc.stderr.fileno(), False)
        text, deadline = b"", time.monotonic() + 10
        while b"log lines were dropped" not in text and time.monotonic() < deadline:
            text += proc.stderr.read() or b""
            time.sleep(0.05)
        assert re.search(rb"^\[WARNING/MainProcess\] \d+ log lines were dropped: the log output did not keep up$",
                         text, re.M), text[-2000:]
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert proc.returncode == 0, "mprelayd exited %r" % proc.returncode
