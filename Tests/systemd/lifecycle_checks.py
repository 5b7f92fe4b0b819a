"""Checks of mprelay.service's lifecycle under the real systemd of mprelay_systemd_test.py:
reloads (clients kept, RELOADING=1 sent, a broken config refused), restarts after kill -9, a
missing authkey, the watchdog, and stops (drained, STOPPING=1 sent, a drain longer than
TimeoutStopSec= not killed). Each takes the test's Run and raises CheckFailed (through expect) on
a failure.
"""

import time

from private_boot import CONFIG, DROPIN_DIR, KEYFILE, TCP_ENDPOINT, UNIT, UNIX_ENDPOINT, ask, expect, release


def reload_keeps_clients(run):
    ns = run.ns
    before = run.ensure_running()["MainPID"]
    holder = ns.client("hold", UNIX_ENDPOINT, "reload-holder")
    try:
        cursor = ns.cursor()
        ns.write(CONFIG, run.config.replace('log_level = "info"', 'log_level = "debug"'))
        ns.run(["systemctl", "reload", UNIT], check=True, timeout=20)
        ns.wait_for("the unit active again after the reload",
                    lambda: ns.show(UNIT, "ActiveState")["ActiveState"] == "active", 10)
        ns.client("hello", TCP_ENDPOINT, "after-reload")
        ns.wait_journal("a DEBUG line once log_level is debug", r"^\[DEBUG/", cursor)
        expect(ask(holder, "ping") == "PONG", "the client connected before the reload lost its connection")
        after = ns.show(UNIT, "MainPID")["MainPID"]
        expect(after == before, f"the reload restarted mprelayd (pid {before} -> {after})")
    finally:
        release(holder)
        run.restore_config()
        ns.run(["systemctl", "reload", UNIT])
    return f"pid {before} kept, the client held its connection, DEBUG lines appeared"


def reload_notifies(run):
    ns = run.ns
    run.ensure_running()
    seen = run.notifications(lambda: ns.run(["systemctl", "reload", UNIT], check=True))
    reloading = [i for i, m in enumerate(seen) if "RELOADING=1" in m]
    expect(reloading, f"no RELOADING=1 among the notifications: {seen}")
    expect("MONOTONIC_USEC=" in seen[reloading[0]], f"RELOADING=1 without MONOTONIC_USEC=: {seen[reloading[0]]}")
    expect(any("READY=1" in m for m in seen[reloading[0] + 1:]), f"no READY=1 after RELOADING=1: {seen}")
    expect(ns.show(UNIT, "ActiveState")["ActiveState"] == "active", "not active after the reload")
    return "; ".join(seen)


def reload_broken_config(run):
    ns = run.ns
    before = run.ensure_running()["MainPID"]
    holder = ns.client("hold", UNIX_ENDPOINT, "broken-reload-holder")
    try:
        cursor = ns.cursor()
        ns.write(CONFIG, run.config + "\n[broker\nlog_level = \n")
        ns.run(["systemctl", "reload", UNIT], timeout=20)
        ns.wait_journal("an ERROR line about the refused configuration", r"^\[(ERROR|CRITICAL)/", cursor)
        time.sleep(1)
        state = ns.show(UNIT, "ActiveState", "MainPID")
        expect(state["ActiveState"] == "active" and state["MainPID"] == before, f"after a broken reload: {state}")
        expect(ask(holder, "ping") == "PONG", "the client lost its connection over a refused reload")
        ns.client("hello", TCP_ENDPOINT, "after-broken-reload")
    finally:
        release(holder)
        run.restore_config()
    return "refused, still active with the same pid and clients"


def kill9_restarts(run):
    ns = run.ns
    state = run.ensure_running()
    before = state["MainPID"]
    restarts = int(ns.show(UNIT, "NRestarts")["NRestarts"])
    ns.run(["kill", "-KILL", before], check=True)
    after = ns.wait_for("a new main process", lambda: (lambda s: s if s["ActiveState"] == "active" and s["MainPID"] not in ("0", before) else None)(
        ns.show(UNIT, "ActiveState", "MainPID", "NRestarts")), 15)
    expect(int(after["NRestarts"]) == restarts + 1, f"NRestarts {restarts} -> {after['NRestarts']}")
    ns.wait_for("the relay listening again", lambda: ns.run(["test", "-S", UNIX_ENDPOINT]).returncode == 0, 10)
    ns.client("hello", UNIX_ENDPOINT, "after-kill")
    return f"pid {before} killed, restarted as {after['MainPID']}"


def missing_authkey(run):
    """Without /etc/mprelay/authkey the start fails with systemd's CREDENTIALS status, as
    docs/OPERATIONS.md says, rather than running keyless."""
    ns = run.ns
    ns.run(["systemctl", "stop", UNIT])
    ns.run(["mv", KEYFILE, KEYFILE + ".saved"], check=True)
    try:
        ns.run(["systemctl", "reset-failed", UNIT])
        ns.run(["timeout", "12", "systemctl", "start", UNIT])
        state = ns.wait_for("the start to fail", lambda: (lambda s: s if s["ActiveState"] in ("failed", "inactive") else None)(
            ns.show(UNIT, "ActiveState", "ExecMainStatus", "Result")), 10)
        expect(state["ExecMainStatus"] == "243", f"expected status 243/CREDENTIALS, got {state}")
    finally:
        ns.run(["mv", KEYFILE + ".saved", KEYFILE], check=True)
        ns.run(["systemctl", "reset-failed", UNIT])
    return "status=243/CREDENTIALS"


def watchdog(run):
    ns = run.ns
    ns.run(["mkdir", "-p", DROPIN_DIR], check=True)
    ns.write(f"{DROPIN_DIR}/60-test-watchdog.conf", "[Service]\nWatchdogSec=3s\nEnvironment=MPRELAY_TEST_WEDGE=1\n")
    ns.run(["systemctl", "daemon-reload"], check=True)
    try:
        ns.run(["systemctl", "restart", UNIT], timeout=25)
        before = ns.wait_active()["MainPID"]
        time.sleep(7)
        state = ns.show(UNIT, "ActiveState", "MainPID", "NRestarts")
        expect(state["ActiveState"] == "active" and state["MainPID"] == before,
               f"without a wedge the relay did not survive 2 x WatchdogSec=3s: {state} (is it sending WATCHDOG=1?)")
        restarts = int(state["NRestarts"])
        cursor = ns.cursor()
        ns.run(["systemctl", "kill", "--kill-who=main", "-s", "SIGUSR2", UNIT], check=True)
        ns.wait_journal("systemd's watchdog timeout", r"[Ww]atchdog timeout", cursor, timeout=10)
        after = ns.wait_active(15)
        expect(after["MainPID"] != before, "the wedged process was not replaced")
        expect(int(ns.show(UNIT, "NRestarts")["NRestarts"]) == restarts + 1, "no restart counted")
        ns.client("hello", UNIX_ENDPOINT, "after-watchdog")
    finally:
        ns.run(["rm", "-f", f"{DROPIN_DIR}/60-test-watchdog.conf"])
        ns.run(["systemctl", "daemon-reload"])
        ns.run(["systemctl", "restart", UNIT], timeout=25)
    return "wedged by SIGUSR2, killed on watchdog timeout, restarted"


def stop_drains(run):
    ns = run.ns
    run.ensure_running()
    holder = ns.client("hold", UNIX_ENDPOINT, "stop-holder")
    try:
        holder.stdin.write("goodbye\n")
        holder.stdin.flush()
        time.sleep(0.3)
        result = ns.run(["systemctl", "stop", UNIT], timeout=40)
        expect(result.returncode == 0, f"systemctl stop: {result.stderr.strip()}")
        answer = holder.stdout.readline().strip()
        expect(answer.startswith("GOODBYE 1"), f"the connected client got {answer!r}, not GOODBYE (reason 1, shutting down)")
        state = ns.show(UNIT, "ActiveState", "Result")
        expect(state["ActiveState"] == "inactive" and state["Result"] == "success", f"after stop: {state}")
        left = ns.run(["test", "-e", UNIX_ENDPOINT]).returncode == 0
        expect(not left, f"{UNIX_ENDPOINT} is left behind")
    finally:
        release(holder)
    return "the client got GOODBYE, the unit stopped cleanly, no socket file left"


def stop_notifies(run):
    ns = run.ns
    run.ensure_running()
    seen = run.notifications(lambda: ns.run(["systemctl", "stop", UNIT], timeout=40))
    expect(any("STOPPING=1" in m for m in seen), f"no STOPPING=1 among the notifications: {seen}")
    return "; ".join(seen)


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
