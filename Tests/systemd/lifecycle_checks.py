"""Checks of mprelay.service's lifecycle edges under the real systemd of mprelay_systemd_test.py:
two sockets passed under one name are both served, and a drain longer than TimeoutStopSec= is
not killed. Each takes the test's Run and raises CheckFailed (through expect) on a failure.
"""

import time

from mprelay_systemd_test import ACTIVATION_SOCKET, CONFIG, DROPIN_DIR, UNIT, UNIX_ENDPOINT, expect, release

SECOND_ACTIVATION_SOCKET = "/run/mprelay/activation-2.sock"
SOCKET_DROPIN_DIR = "/run/systemd/system/mprelay.socket.d"


def two_sockets_one_name(run):
    """A drop-in adds a second ListenStream= to mprelay.socket: both sockets reach the relay."""
    ns = run.ns
    ns.run(["systemctl", "stop", UNIT])
    ns.run(["systemctl", "reset-failed", UNIT])
    ns.run(["mkdir", "-p", SOCKET_DROPIN_DIR], check=True)
    ns.write(f"{SOCKET_DROPIN_DIR}/60-test-second.conf", f"[Socket]\nListenStream={SECOND_ACTIVATION_SOCKET}\n")
    ns.run(["systemctl", "daemon-reload"], check=True)
    try:
        ns.write(CONFIG, run.config.replace(
            '# [[endpoint]]\n# socket = "activation"\n# authkey_credential = "authkey"',
            '[[endpoint]]\nsocket = "activation"\nauthkey_credential = "authkey"'))
        ns.run(["systemctl", "start", "mprelay.socket"], check=True)
        ns.client("hello", SECOND_ACTIVATION_SOCKET, "on-second-socket")
        ns.wait_active(5)
        ns.client("hello", ACTIVATION_SOCKET, "on-first-socket")
        ns.client("hello", SECOND_ACTIVATION_SOCKET, "on-second-again")
    finally:
        ns.run(["systemctl", "stop", UNIT, "mprelay.socket"])
        ns.run(["systemctl", "reset-failed", UNIT, "mprelay.socket"])
        ns.run(["rm", "-f", f"{SOCKET_DROPIN_DIR}/60-test-second.conf"])
        ns.run(["systemctl", "daemon-reload"])
        run.restore_config()
    return f"{ACTIVATION_SOCKET} and {SECOND_ACTIVATION_SOCKET}, both FileDescriptorName=activation, served"


def long_drain(run):
    """drain_timeout = 8 with TimeoutStopSec=3s and a client whose queue never empties: the stop
    takes the whole drain and ends in success, not in a timeout kill."""
    ns = run.ns
    ns.run(["mkdir", "-p", DROPIN_DIR], check=True)
    ns.write(f"{DROPIN_DIR}/60-test-stop-timeout.conf", "[Service]\nTimeoutStopSec=3s\n")
    ns.run(["systemctl", "daemon-reload"], check=True)
    ns.write(CONFIG, run.config.replace("[broker]\n", "[broker]\ndrain_timeout = 8.0\n", 1))
    holder = None
    try:
        expect("drain_timeout = 8.0" in ns.run(["cat", CONFIG]).stdout, "the packaged config has no [broker] table")
        ns.run(["systemctl", "restart", UNIT], timeout=25)
        run.ensure_running()
        holder = ns.client("hold", UNIX_ENDPOINT, "deaf-during-drain")
        holder.stdin.write("flood\n")
        holder.stdin.flush()
        expect(holder.stdout.readline().strip() == "FLOODED", "the holding client did not flood")
        started = time.monotonic()
        result = ns.run(["systemctl", "stop", UNIT], timeout=40)
        took = time.monotonic() - started
        state = ns.show(UNIT, "ActiveState", "Result")
        expect(result.returncode == 0, f"systemctl stop: {result.stderr.strip()}")
        expect(state["Result"] == "success", f"after a drain longer than TimeoutStopSec=3s: {state}")
        expect(took > 6, f"the stop took {took:.1f} s: the drain did not last drain_timeout = 8")
    finally:
        release(holder)
        ns.run(["rm", "-f", f"{DROPIN_DIR}/60-test-stop-timeout.conf"])
        ns.run(["systemctl", "daemon-reload"])
        run.restore_config()
        ns.run(["systemctl", "reset-failed", UNIT])
    return f"stopped after {took:.1f} s of drain with TimeoutStopSec=3s, Result=success"
