"""A log output nobody reads does not stall the relay: mprelayd's stderr is a pipe (the harness
reads it only until the daemon is ready) that this test leaves unread while peers exchange
messages at `log_level = "subdebug"` (a line per message), then the pipe is read: the lines that
did not fit were dropped, counted in the control socket's `mprelay_log_lines_dropped_total`, and
one warning says how many.
"""

import os
import re
import time

import relaywire as rw


def dropped_metric(relay):
    out = relay.ctl("metrics")
    assert out.code == 0, out
    found = re.search(r"^mprelay_log_lines_dropped_total (\d+)$", out.out, re.M)
    assert found, out.out
    return int(found.group(1))


def test_a_stderr_nobody_reads_drops_lines_instead_of_stalling_the_relay(start_relay):
    relay = start_relay(endpoints=["unix"], stderr_pipe=True, log_level="subdebug")
    endpoint = relay.by_kind("unix")
    started = time.monotonic()
    for round_ in range(40):
        rw.exchange_check(endpoint, relay.authkey, "log-a-%d" % round_, "log-b-%d" % round_, count=1000)
    elapsed = time.monotonic() - started
    dropped = dropped_metric(relay)
    print("\n80,000 messages at subdebug with stderr unread: %.2f s, %d log lines dropped" % (elapsed, dropped))
    assert elapsed < 60, "the relay took %.1f s for 80,000 messages while stderr was not read" % elapsed
    assert dropped > 0, "no line was dropped: the pipe and buffer took every line, the test proves nothing"
    # The reader reads again: buffered lines come out, then the warning with the count.
    os.set_blocking(relay.proc.stderr.fileno(), False)
    text, deadline = b"", time.monotonic() + 10
    while b"log lines were dropped" not in text and time.monotonic() < deadline:
        text += relay.proc.stderr.read() or b""
        time.sleep(0.05)
    assert re.search(rb"^\[WARNING/MainProcess\] \d+ log lines were dropped: the log output did not keep up$",
                     text, re.M), text[-2000:]
    assert relay.stop() == 0, relay.log()
