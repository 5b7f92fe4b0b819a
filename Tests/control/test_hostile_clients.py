"""Control clients that flood, stall or never read do not disturb the relay, and are cut off.

A relay pair exchanges messages in a thread the whole time and stamps every round trip; the
hostile clients run as separate processes. The test compares the pair's rate and its longest
stall with and without them, and prints the numbers.
"""

import json
import os
import subprocess
import sys
import threading
import time

import relaywire as rw

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20


class TimedPair:
    """Two registered peers sending each other a message and its answer, as fast as they can."""

    def __init__(self, relay):
        self.a = rw.Peer(relay.by_kind("inet"), relay.authkey, "pair-a")
        self.b = rw.Peer(relay.by_kind("unix"), relay.authkey, "pair-b")
        self.stamps = []
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            i = 0
            while not self._stop.is_set():
                i += 1
                self.a.send("pair-b", b"ping %d" % i, cid=i)
                assert self.b.recv_kind(rw.DELIVER, timeout=5).fields["payload"] == b"ping %d" % i
                self.b.send("pair-a", b"pong %d" % i, cid=i)
                assert self.a.recv_kind(rw.DELIVER, timeout=5).fields["payload"] == b"pong %d" % i
                self.stamps.append(time.monotonic())
        except BaseException as exc:
            self.error = exc

    def window(self, start, end):
        """Round trips per second in [start, end), and the longest gap between two of them."""
        stamps = [t for t in self.stamps if start <= t < end]
        edges = [start] + stamps + [end]
        gap = max(b - a for a, b in zip(edges, edges[1:]))
        return len(stamps) / (end - start), gap

    def stop(self):
        self._stop.set()
        self._thread.join(10)
        self.a.close()
        self.b.close()
        assert self.error is None, "the relay pair failed after %d rounds: %r" % (len(self.stamps), self.error)


def hostile(mode, socket_path, amount):
    return subprocess.Popen([sys.executable, os.path.join(HERE, "hostile_client.py"), mode, socket_path, str(amount)],
                            stdout=subprocess.PIPE, text=True)


def test_flooding_stalling_and_deaf_control_clients_do_not_disturb_the_relay(control_relay):
    relay = control_relay(control={"client_timeout": 2.0}, log_level="info")
    pair = TimedPair(relay)
    try:
        time.sleep(0.5)  # warm up
        base_start = time.monotonic()
        time.sleep(2.0)
        base_end = time.monotonic()

        started = time.monotonic()
        clients = {
            "garbage-line": hostile("garbage-line", relay.control_socket, 100),
            "garbage-random": hostile("garbage-random", relay.control_socket, 100),
            "never-read": hostile("never-read", relay.control_socket, 200000),
            "slow": hostile("slow", relay.control_socket, 30),
        }
        time.sleep(0.5)
        asked = time.monotonic()
        status = relay.ctl("status", "--json")
        answered = time.monotonic() - asked
        assert status.code == 0, status
        results = {}
        for name, proc in clients.items():
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, (name, out)
            results[name] = json.loads(out)
        ended = time.monotonic()
        # During the flood, and the quiet after it for as long again as the baseline.
        time.sleep(max(0.0, 2.0 - (ended - started)))
        load_end = time.monotonic()
    finally:
        pair.stop()

    base_rate, base_gap = pair.window(base_start, base_end)
    load_rate, load_gap = pair.window(started, load_end)
    print("\nrelay pair: %.0f round trips/s alone (longest gap %.3f s), %.0f/s with hostile control clients "
          "over %.1f s (longest gap %.3f s)" % (base_rate, base_gap, load_rate, load_end - started, load_gap))
    print("mprelayctl status answered in %.3f s during the flood" % answered)
    for name, result in results.items():
        print("%-15s %s" % (name, result))

    assert load_gap < 1.0, "the relay stalled for %.2f s while control clients misbehaved" % load_gap
    assert load_rate >= 0.2 * base_rate, "relay rate fell from %.0f/s to %.0f/s" % (base_rate, load_rate)
    assert answered < 5.0, "an operator's status waited %.1f s behind the hostile clients" % answered

    line = results["garbage-line"]
    assert line["closed"] and line["sent"] < 100 * MIB, line
    assert '"code":"request_too_long"' in line["last_answer"], line
    rand = results["garbage-random"]
    assert rand["closed"] and rand["sent"] < 100 * MIB, rand
    deaf = results["never-read"]
    assert deaf["closed"] and deaf["answer_lines"] < 200000, deaf
    slow = results["slow"]
    assert slow["closed"] and slow["seconds"] < 10, slow
    assert '"code":"timeout"' in slow["last_answer"], slow

    log = relay.log()
    assert "request line longer than max_request_bytes" in log
    assert "answer bytes unread, more than max_answer_bytes" in log
    assert "did not complete its request line within client_timeout" in log
    assert relay.ask("status")["peers"] == 0
