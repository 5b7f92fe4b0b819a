#!/usr/bin/python3
"""mprelay.service under a real systemd, booted as PID 1 of private namespaces.

Run as root through Tests/systemd/run.sh. The host is left untouched:

* systemd runs as PID 1 of new PID, mount, network, UTS and IPC namespaces (unshare(1));
* boot.sh puts overlays over /usr, /etc and /var (upper layers in a fresh work directory under
  /var/tmp), private tmpfs over /tmp and /run, makes /sys and /proc/sys read-only, masks the
  units that reach devices, kernel settings or disks, and refuses to start systemd unless it
  has proved that /tmp is private (systemd-tmpfiles' boot-time "D /tmp" would otherwise empty
  the host's /tmp);
* a checkout under /tmp (and binaries there) stays visible inside: boot.sh binds it, read-only,
  at the same path in the private /tmp;
* a canary file in the host's /tmp is checked after the run;
* the end kills that PID 1, which ends every process of the namespace, removes the cgroup
  subtree systemd built, and removes the work directory.

The units, sysusers/tmpfiles entries and packaged config are installed with
`make -f packaging/install.mk install PREFIX=/usr` inside the namespace and run as shipped,
hardening included; the test only adds the authkey an operator would create, and drop-ins under
/run/systemd/system where a check says so.

The checks are functions of the Run below, by concern: install_checks.py (the package, the
installed units, the service started as shipped), activation_checks.py (socket activation),
journal_checks.py (the journal) and lifecycle_checks.py (reload, restart, watchdog, stop).
private_boot.py boots the namespace and drives it.

Checks that need daemon integration not done yet are listed in EXPECTED_FAILURES with the
reason; they run anyway and report XFAIL. One that passes reports XPASS and fails the run, so
that the list never hides a working feature: take it off the list.

Environment: MPRELAYD_BIN (default .build/debug/mprelayd, else .build/release/mprelayd),
MPRELAY_TEST_BUNDLE (default .build/debug/mprelayPackageTests.xctest), MPRELAY_TEST_DEB (default
the newest .build/deb/mprelay_*.deb; without one the package check is reported NOT RUN),
MPRELAY_TEST_KEEP=1 to
leave the namespace running for inspection (the script prints how to enter and end it).
"""

import os
import re
import signal
import sys
import textwrap
import time
from pathlib import Path

import activation_checks
import install_checks
import journal_checks
import lifecycle_checks
from private_boot import CONFIG, DROPIN_DIR, NAMESPACES, REPO, UNIT, UNIX_ENDPOINT, CheckFailed, Namespace

# Checks that need mprelayd integration not done yet, with what is missing. A check listed here
# that passes is an XPASS and fails the run: remove its line.
EXPECTED_FAILURES = {}


class Run:
    """The checks, in order, with their shared state."""

    def __init__(self, ns, binary, bundle, deb=None):
        self.deb = deb
        self.ns = ns
        self.binary = binary
        self.bundle = bundle
        self.results = []
        self.config = ""
        self.fallback = False

    def check(self, name, function):
        started = time.monotonic()
        try:
            detail = function(self) or ""
            outcome = "XPASS" if name in EXPECTED_FAILURES else "PASS"
        except CheckFailed as error:
            detail = str(error)
            outcome = "XFAIL" if name in EXPECTED_FAILURES else "FAIL"
        except Exception as error:  # a bug in the check itself, or an answer it did not foresee
            detail = f"the check raised {type(error).__name__}: {error}"
            outcome = "XFAIL" if name in EXPECTED_FAILURES else "FAIL"
        elapsed = time.monotonic() - started
        if outcome == "XPASS":
            detail = f"passes now: remove it from EXPECTED_FAILURES ({EXPECTED_FAILURES[name]})"
        elif outcome == "XFAIL":
            detail = f"{detail}\n        expected: {EXPECTED_FAILURES[name]}"
        self.results.append((name, outcome))
        print(f"{outcome:5} {name} ({elapsed:.1f} s){': ' + detail if detail else ''}", flush=True)

    def fall_back_to_exec(self):
        """Without READY=1 the shipped Type=notify never becomes active: run the remaining checks
        with a Type=exec drop-in, so what does work is still proved."""
        ns = self.ns
        ns.run(["systemctl", "stop", UNIT])
        ns.run(["systemctl", "reset-failed", UNIT])
        ns.run(["mkdir", "-p", DROPIN_DIR], check=True)
        ns.write(f"{DROPIN_DIR}/50-test-no-notify.conf", "[Service]\nType=exec\nWatchdogSec=0\n")
        ns.run(["systemctl", "daemon-reload"], check=True)
        self.fallback = True
        print("note: the remaining checks run with a Type=exec, WatchdogSec=0 drop-in until mprelayd sends READY=1")

    def ensure_running(self):
        ns = self.ns
        try:
            if ns.show(UNIT, "ActiveState")["ActiveState"] != "active":
                ns.run(["systemctl", "reset-failed", UNIT])
                ns.run(["timeout", "20", "systemctl", "start", UNIT], timeout=25)
            state = ns.wait_active()
            ns.wait_for("the unix endpoint listening", lambda: ns.run(["test", "-S", UNIX_ENDPOINT]).returncode == 0, 10)
        except CheckFailed as error:
            tail = ns.run(["journalctl", "--no-pager", "-o", "short-monotonic", "-n", "12", "-u", UNIT]).stdout
            raise CheckFailed(f"{error}; the journal says:\n" + textwrap.indent(tail.rstrip(), "          ")) from error
        return state

    def restore_config(self):
        self.ns.write(CONFIG, self.config)

    def notifications(self, action, timeout=10):
        """Runs `action` with PID 1 logging at debug level and returns the sd_notify messages
        systemd got from mprelay.service meanwhile, e.g. ["RELOADING=1, MONOTONIC_USEC=...", ...]."""
        ns = self.ns
        cursor = ns.cursor()
        ns.run(["systemd-analyze", "log-level", "debug"], check=True)
        try:
            action()
            time.sleep(1)
        finally:
            ns.run(["systemd-analyze", "log-level", "info"])
        text = ns.journal(cursor, unit=None, extra=["_PID=1"])
        return re.findall(r"^mprelay\.service: Got notification message from PID \d+ \((.*)\)$", text, re.M)

    def all(self):
        if self.deb:
            self.check("deb-package", install_checks.deb_package)
        else:
            print("NOT RUN deb-package: no .build/deb/mprelay_*.deb (make deb, or set MPRELAY_TEST_DEB)")
        self.check("install", install_checks.install)
        self.check("systemd-analyze-security", install_checks.security)
        self.check("systemd-analyze-verify", install_checks.verify_units)
        self.check("library-socket-activation", activation_checks.library_socket_activation)
        self.check("library-journal", journal_checks.library_journal)
        self.check("ready-and-status", install_checks.start_as_shipped)
        if self.results[-1][1] != "PASS":
            self.fall_back_to_exec()
        self.check("status-refreshes", install_checks.status_refreshes)
        self.check("clients-with-credential", install_checks.clients_with_credential)
        self.check("hardening-in-effect", install_checks.hardening_in_effect)
        self.check("monitoring-thread-idle-class", install_checks.monitoring_thread_idle_class)
        self.check("journal-lines", journal_checks.journal_lines)
        self.check("reload-keeps-clients", lifecycle_checks.reload_keeps_clients)
        self.check("reload-notifies", lifecycle_checks.reload_notifies)
        self.check("reload-broken-config", lifecycle_checks.reload_broken_config)
        self.check("kill-9-restarts", lifecycle_checks.kill9_restarts)
        self.check("missing-authkey-fails", lifecycle_checks.missing_authkey)
        self.check("watchdog-restarts-wedged-relay", lifecycle_checks.watchdog)
        self.check("journal-fields", journal_checks.journal_fields)
        self.check("stop-drains", lifecycle_checks.stop_drains)
        self.check("stop-notifies", lifecycle_checks.stop_notifies)
        self.check("socket-activation", activation_checks.socket_activation)
        self.check("socket-activation-two-sockets-one-name", activation_checks.two_sockets_one_name)
        self.check("socket-unclaimed-is-an-error", activation_checks.socket_unclaimed_is_an_error)
        self.check("drain-outlasts-timeout-stop-sec", lifecycle_checks.long_drain)


def locate(variable, candidates):
    if os.environ.get(variable):
        return Path(os.environ[variable]).resolve()
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    return candidates[0]


def main():
    if os.geteuid() != 0:
        raise SystemExit("run as root (Tests/systemd/run.sh skips when not root)")
    binary = locate("MPRELAYD_BIN", [REPO / ".build/debug/mprelayd", REPO / ".build/release/mprelayd"])
    bundle = locate("MPRELAY_TEST_BUNDLE", [REPO / ".build/debug/mprelayPackageTests.xctest"])
    debs = sorted((REPO / ".build/deb").glob("mprelay_*.deb"), key=lambda p: p.stat().st_mtime)
    deb = Path(os.environ["MPRELAY_TEST_DEB"]).resolve() if os.environ.get("MPRELAY_TEST_DEB") else (debs[-1] if debs else None)
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: build mprelayd first (swift build)")
    started = time.monotonic()
    ns = Namespace([REPO.resolve(), binary, bundle, deb])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    problems = []
    run = None
    try:
        state = ns.boot()
        print(f"systemd {state} as PID 1 of private namespaces (host pid {ns.pid}); "
              f"mprelayd {binary}, work directory {ns.work}", flush=True)
        run = Run(ns, binary, bundle, deb)
        run.all()
    finally:
        if os.environ.get("MPRELAY_TEST_KEEP") == "1" and ns.pid:
            print(f"kept: nsenter -t {ns.pid} {' '.join(NAMESPACES)} bash; end it with kill -9 {ns.pid}, "
                  f"then remove {ns.work} and /sys/fs/cgroup/*/mprelay-test-{ns.token}")
        else:
            problems = ns.teardown()
    for problem in problems:
        print(f"FAIL  teardown: {problem}")
    results = run.results if run else []
    counts = {outcome: sum(1 for _, o in results if o == outcome) for outcome in ("PASS", "FAIL", "XFAIL", "XPASS")}
    print(f"\n{counts['PASS']} passed, {counts['FAIL']} failed, {counts['XFAIL']} expected failures, "
          f"{counts['XPASS']} unexpected passes in {time.monotonic() - started:.0f} s; host /tmp canary intact: "
          f"{'no' if any('/tmp' in p for p in problems) else 'yes'}")
    return 1 if counts["FAIL"] or counts["XPASS"] or problems or not results else 0


if __name__ == "__main__":
    sys.exit(main())
