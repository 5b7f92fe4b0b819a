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

Checks that need daemon integration not done yet are listed in EXPECTED_FAILURES with the
reason; they run anyway and report XFAIL. One that passes reports XPASS and fails the run, so
that the list never hides a working feature: take it off the list.

Environment: MPRELAYD_BIN (default .build/debug/mprelayd, else .build/release/mprelayd),
MPRELAY_TEST_BUNDLE (default .build/debug/mprelayPackageTests.xctest), MPRELAY_TEST_DEB (default
the newest .build/deb/mprelay_*.deb; without one the package check is reported NOT RUN),
MPRELAY_TEST_KEEP=1 to
leave the namespace running for inspection (the script prints how to enter and end it).
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
UNIT = "mprelay.service"
CONFIG = "/etc/mprelay/mprelay.toml"
KEYFILE = "/etc/mprelay/authkey"
TCP_ENDPOINT = "127.0.0.1:6000"
UNIX_ENDPOINT = "/run/mprelay/mprelay.sock"
ACTIVATION_SOCKET = "/run/mprelay/activation.sock"
DROPIN_DIR = "/run/systemd/system/mprelay.service.d"
NAMESPACES = ["-p", "-m", "-n", "-u", "-i"]
CLEAN_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "SYSTEMD_PAGER": "",
    "SYSTEMD_COLORS": "0",
    "SYSTEMD_LESS": "",
}
LOG_LINE = re.compile(r"^\[(SUBDEBUG|DEBUG|INFO|SUBWARNING|WARNING|ERROR|CRITICAL)/[^\]\s]+\] \S")

# Checks that need mprelayd integration not done yet, with what is missing. A check listed here
# that passes is an XPASS and fails the run: remove its line.
EXPECTED_FAILURES = {}


class CheckFailed(Exception):
    """A check's expectation did not hold; the message says which and what was seen."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


class Namespace:
    """systemd booted as PID 1 of private namespaces, driven through nsenter(1)."""

    def __init__(self, needed):
        self.keep = under_tmp(needed)
        self.token = os.urandom(6).hex()
        self.canary = Path("/tmp") / f"mprelay-systemd-canary-{self.token}"
        self.work = Path(tempfile.mkdtemp(prefix="mprelay-systemd-test.", dir="/var/tmp"))
        if str(self.work.resolve()).startswith("/tmp/") or self.work.resolve() == Path("/tmp"):
            raise SystemExit(f"refusing: the work directory {self.work} is under /tmp")
        self.log_path = self.work.parent / (self.work.name + ".log")
        self.unshare = None
        self.pid = None

    # Boot and teardown.

    @staticmethod
    def host_mounts():
        """The host's mounts on the directories boot.sh mounts over in the namespace."""
        covered = ("/usr", "/etc", "/var", "/tmp", "/run", "/sys", "/proc/sys")
        return sorted(line for line in Path("/proc/self/mountinfo").read_text().splitlines()
                      if line.split()[4] in covered)

    def boot(self):
        self.canary.write_text(self.token)
        host_mounts = self.host_mounts()
        log = open(self.log_path, "wb")
        env = {"PATH": CLEAN_ENV["PATH"], "container": "mprelay-test", "LANG": "C.UTF-8"}
        self.unshare = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "--mount", "--net", "--uts", "--ipc",
             "--propagation", "private",
             str(HERE / "boot.sh"), str(self.work), self.token, self.canary.name, *map(str, self.keep)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True, cwd="/",
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.unshare.poll() is not None:
                raise SystemExit(f"the namespace ended before systemd ran (status {self.unshare.returncode}):\n"
                                 + self.log_text())
            child = self.child_of(self.unshare.pid)
            if child and self.comm(child) == "systemd":
                self.pid = child
                break
            time.sleep(0.05)
        else:
            raise SystemExit("systemd did not start within 30 s:\n" + self.log_text())
        if f"MPRELAY-BOOT-VERIFIED {self.token}" not in self.log_text():
            self.kill()
            raise SystemExit("systemd started without boot.sh's verification line; killed it:\n" + self.log_text())
        if self.host_mounts() != host_mounts:
            self.kill()
            raise SystemExit("a mount of the namespace showed up in the host's mount table; killed systemd")
        fs = self.run(["stat", "-f", "-c", "%T", "/tmp"], check=True).stdout.strip()
        if fs != "tmpfs":
            self.kill()
            raise SystemExit(f"/tmp inside the namespace is {fs}, not tmpfs; killed systemd")
        state = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = self.run(["systemctl", "is-system-running"]).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"systemd is {state!r}, not running, after 60 s:\n" + self.log_text())
        if state == "degraded":
            failed = self.run(["systemctl", "--failed", "--no-legend", "--plain"]).stdout.strip()
            print(f"note: systemd is degraded (units failed at boot, not ours): {failed}")
        return state

    @staticmethod
    def child_of(pid):
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    @staticmethod
    def comm(pid):
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return ""

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def kill(self):
        """Kills PID 1 of the namespace (the kernel then kills every process in it)."""
        if self.pid and self.comm(self.pid) == "systemd":
            os.kill(self.pid, signal.SIGKILL)
        if self.unshare:
            try:
                self.unshare.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.unshare.pid, signal.SIGKILL)
                self.unshare.wait(timeout=5)

    def remove_cgroups(self):
        """Removes the cgroup subtree systemd built under boot.sh's mprelay-test-TOKEN."""
        leftovers = []
        name = f"mprelay-test-{self.token}"
        for top in [*Path("/sys/fs/cgroup").glob(name), *Path("/sys/fs/cgroup").glob(f"*/{name}")]:
            for attempt in range(50):
                directories = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
                try:
                    for directory in directories + [top]:
                        directory.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                leftovers.append(str(top))
        return leftovers

    def teardown(self):
        """Ends the namespace and removes everything it left; returns problems found."""
        problems = []
        self.kill()
        problems += [f"cgroup {path} could not be removed" for path in self.remove_cgroups()]
        shutil.rmtree(self.work, ignore_errors=True)
        if self.work.exists():
            problems.append(f"{self.work} could not be removed")
        try:
            intact = self.canary.read_text() == self.token
        except OSError:
            intact = False
        if not intact:
            problems.append(f"THE HOST'S /tmp WAS TOUCHED: the canary {self.canary} is gone or changed")
        self.canary.unlink(missing_ok=True)
        if (Path("/tmp") / ".mprelay-private-tmp").exists():
            problems.append("the namespace's /tmp marker appeared in the host's /tmp")
        if not problems:
            self.log_path.unlink(missing_ok=True)
        return problems

    # Running commands inside.

    def command(self, argv):
        return ["nsenter", "-t", str(self.pid), *NAMESPACES, "--wdns=/", "--", *argv]

    def run(self, argv, check=False, timeout=30, input=None, env=None):
        merged = dict(CLEAN_ENV, **(env or {}))
        try:
            result = subprocess.run(self.command(argv), capture_output=True, text=True, timeout=timeout,
                                    input=input, env=merged, cwd="/")
        except subprocess.TimeoutExpired as error:
            raise CheckFailed(f"{shlex.join(argv)} did not finish within {timeout} s") from error
        if check and result.returncode != 0:
            raise CheckFailed(f"{shlex.join(argv)} exited {result.returncode}: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def sh(self, script, check=True, timeout=30):
        return self.run(["sh", "-c", script], check=check, timeout=timeout)

    def popen(self, argv):
        return subprocess.Popen(self.command(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=CLEAN_ENV, cwd="/")

    def write(self, path, text, mode="0644"):
        self.run(["sh", "-c", f"umask 077; cat > {shlex.quote(path)} && chmod {mode} {shlex.quote(path)}"],
                 check=True, input=text)

    # systemd helpers.

    def show(self, unit, *properties):
        output = self.run(["systemctl", "show", unit, "-p", ",".join(properties)], check=True).stdout
        return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.2)
        raise CheckFailed(f"{what}: not within {timeout} s")

    def wait_active(self, timeout=15, unit=UNIT):
        def active():
            state = self.show(unit, "ActiveState", "SubState", "MainPID")
            return state if state["ActiveState"] == "active" and state["MainPID"] != "0" else None
        return self.wait_for(f"{unit} active", active, timeout)

    def cursor(self):
        output = self.run(["journalctl", "-n", "0", "--show-cursor", "--no-pager"]).stdout
        match = re.search(r"-- cursor: (\S+)", output)
        return match.group(1) if match else None

    def journal(self, cursor=None, unit=UNIT, output="cat", extra=()):
        argv = ["journalctl", "--no-pager", "-o", output, *extra]
        if unit:
            argv += ["-u", unit]
        if cursor:
            argv += [f"--after-cursor={cursor}"]
        return self.run(argv).stdout

    def wait_journal(self, what, pattern, cursor, timeout=10, unit=UNIT):
        regex = re.compile(pattern, re.M)
        return self.wait_for(what, lambda: regex.search(self.journal(cursor, unit=unit)), timeout)

    def client(self, mode, address, name):
        argv = ["/usr/bin/python3", str(HERE / "relay_client.py"), mode, address, KEYFILE, name]
        if mode == "hello":
            result = self.run(argv, timeout=25)
            expect(result.returncode == 0 and result.stdout.strip() == "OK",
                   f"client {name} via {address}: {(result.stderr or result.stdout).strip()[-400:]}")
            return None
        holder = self.popen(argv)
        line = holder.stdout.readline().strip()
        if line != "CONNECTED":
            holder.kill()
            raise CheckFailed(f"client {name} via {address} did not connect: {line} {holder.stderr.read()[-400:]}")
        return holder


def ask(holder, command, timeout=15):
    """Sends a command line to a holding client and returns its answer line."""
    holder.stdin.write(command + "\n")
    holder.stdin.flush()
    result = {}

    def alarm(*_):
        raise CheckFailed(f"the holding client did not answer {command!r} within {timeout} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(timeout)
    try:
        result["line"] = holder.stdout.readline().strip()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return result["line"]


def release(holder):
    if holder and holder.poll() is None:
        try:
            holder.stdin.write("quit\n")
            holder.stdin.flush()
            holder.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            holder.kill()
            holder.wait()


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
            detail = function() or ""
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

    # Set-up.

    def deb_package(self):
        """The .deb installs, enables and starts nothing, and remove/purge leave nothing behind."""
        ns = self.ns
        deb = self.deb
        ns.run(["dpkg", "-i", str(deb)], check=True, timeout=60)
        files = [f for f in ns.run(["dpkg", "-L", "mprelay"], check=True).stdout.split() if f.startswith("/")]
        expect("/usr/bin/mprelayd" in files and "/usr/lib/systemd/system/mprelay.service" in files, f"dpkg -L: {files}")
        states = ns.run(["systemctl", "is-enabled", UNIT, "mprelay.socket"]).stdout.split()
        active = ns.run(["systemctl", "is-active", UNIT, "mprelay.socket"]).stdout.split()
        expect(states == ["disabled", "disabled"] and active == ["inactive", "inactive"], f"after dpkg -i: {states} {active}")
        expect(ns.run(["getent", "passwd", "mprelay"]).returncode == 0, "postinst did not create the mprelay user")
        owner = ns.run(["stat", "-c", "%U:%G %a", "/run/mprelay"]).stdout.strip()
        expect(owner == "mprelay:mprelay 750", f"postinst left /run/mprelay as {owner!r}")
        ns.sh(f"umask 077; head -c 32 /dev/urandom | base64 > {KEYFILE}")
        ns.run(["systemctl", "start", "--no-block", UNIT], check=True)
        ns.wait_for("mprelayd running from the package", lambda: ns.show(UNIT, "MainPID")["MainPID"] != "0", 10)
        ns.run(["dpkg", "-r", "mprelay"], check=True, timeout=60)
        expect(ns.run(["pgrep", "-x", "mprelayd"]).returncode != 0, "mprelayd still runs after dpkg -r")
        expect(ns.run(["test", "-f", CONFIG]).returncode == 0, "dpkg -r removed the conffile (only purge should)")
        ns.run(["dpkg", "--purge", "mprelay"], check=True, timeout=60)
        # Shared directories such as /usr/bin stay; every file, and mprelay's own directories, go.
        script = ('for f in "$@"; do if [ -e "$f" ] && [ ! -d "$f" ]; then echo "$f"; fi; done; '
                  'for d in /etc/mprelay /run/mprelay /usr/share/doc/mprelay; do [ -e "$d" ] && echo "$d"; done; true')
        left = ns.run(["sh", "-c", script, "sh", *files], check=True).stdout.split()
        expect(not left, f"left after dpkg --purge: {left}")
        load = ns.show(UNIT, "LoadState")["LoadState"]
        expect(load == "not-found", f"systemd still knows {UNIT} after purge ({load})")
        return f"{deb.name}: {len(files)} paths, nothing enabled or started; remove stopped it, purge left nothing"

    def install(self):
        ns = self.ns
        ns.run(["make", "--no-print-directory", "-C", str(REPO), "-f", "packaging/install.mk", "install",
                "PREFIX=/usr", f"MPRELAYD_BIN={self.binary}"], check=True, timeout=60)
        # What the .deb's postinst does, then the operator's key.
        ns.run(["systemd-sysusers", "mprelay.conf"], check=True)
        ns.run(["systemd-tmpfiles", "--create", "mprelay.conf"], check=True)
        ns.run(["systemctl", "daemon-reload"], check=True)
        ns.sh(f"umask 077; head -c 32 /dev/urandom | base64 > {KEYFILE}")
        self.config = ns.run(["cat", CONFIG], check=True).stdout
        expect(self.config == (REPO / "packaging" / "mprelay.toml").read_text(), "the installed config is not the packaged one")
        enabled = ns.run(["systemctl", "is-enabled", UNIT, "mprelay.socket"]).stdout.split()
        expect(enabled == ["disabled", "disabled"], f"install enabled something: {enabled}")
        owner = ns.run(["stat", "-c", "%U:%G %a", "/run/mprelay"], check=True).stdout.strip()
        expect(owner == "mprelay:mprelay 750", f"/run/mprelay is {owner}, not mprelay:mprelay 750")
        return f"units disabled as shipped, user mprelay, /run/mprelay {owner}"

    def security(self):
        output = self.ns.run(["systemd-analyze", "security", "--no-pager", UNIT], check=True).stdout
        exposures = [line.strip() for line in output.splitlines() if line.startswith("✗")]
        score = re.search(r"Overall exposure level for mprelay.service: ([0-9.]+)", output)
        expect(score, "systemd-analyze printed no exposure score")
        print("      remaining exposures:")
        for line in exposures:
            print("        " + re.sub(r"\s{2,}", "  ", line))
        expect(float(score.group(1)) <= 2.0, f"exposure {score.group(1)} is above 2.0")
        return f"exposure {score.group(1)} (target <= 2.0)"

    def verify_units(self):
        result = self.ns.run(["systemd-analyze", "verify", UNIT, "mprelay.socket"])
        noise = [line for line in (result.stdout + result.stderr).splitlines() if "mprelay" in line]
        expect(result.returncode == 0 and not noise, f"systemd-analyze verify: {noise or result.returncode}")

    # The service.

    def start_as_shipped(self):
        ns = self.ns
        result = ns.run(["timeout", "12", "systemctl", "start", UNIT])
        state = ns.show(UNIT, "ActiveState", "SubState", "StatusText", "MainPID")
        if result.returncode != 0 or state["ActiveState"] != "active":
            raise CheckFailed(f"systemctl start did not return active within 12 s (rc {result.returncode}, {state['ActiveState']}/{state['SubState']})")
        expect(state["StatusText"], "no STATUS= text: systemctl show -p StatusText is empty")
        status = ns.run(["systemctl", "status", "--no-pager", UNIT]).stdout
        expect(f"Status: \"{state['StatusText']}\"" in status, f"systemctl status does not show the STATUS text:\n{status}")
        ns.client("hello", UNIX_ENDPOINT, "ready-probe")
        return f"Status: \"{state['StatusText']}\""

    def status_refreshes(self):
        ns = self.ns
        self.ensure_running()
        before = ns.show(UNIT, "StatusText")["StatusText"]
        expect(before, "no STATUS= text")
        holder = ns.client("hold", UNIX_ENDPOINT, "status-holder")
        try:
            after = ns.wait_for("STATUS= to change once a peer connected",
                                lambda: (lambda t: t if t != before else None)(ns.show(UNIT, "StatusText")["StatusText"]), 3)
        finally:
            release(holder)
        return f"{before!r} -> {after!r}"

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

    def clients_with_credential(self):
        ns = self.ns
        self.ensure_running()
        ns.client("hello", TCP_ENDPOINT, "tcp-client")
        ns.client("hello", UNIX_ENDPOINT, "unix-client")
        socket_file = ns.run(["stat", "-c", "%U:%G %a", UNIX_ENDPOINT], check=True).stdout.strip()
        expect(socket_file == "mprelay:mprelay 660", f"{UNIX_ENDPOINT} is {socket_file}")
        # The key reached mprelayd as a credential: the mprelay user cannot read the file itself.
        unreadable = ns.run(["setpriv", "--reuid=mprelay", "--regid=mprelay", "--clear-groups", "cat", KEYFILE])
        expect(unreadable.returncode != 0, f"user mprelay can read {KEYFILE}: LoadCredential= is not what protects it")
        return f"{TCP_ENDPOINT} and {UNIX_ENDPOINT} ({socket_file}); key via $CREDENTIALS_DIRECTORY only"

    def hardening_in_effect(self):
        ns = self.ns
        pid = self.ensure_running()["MainPID"]
        status = ns.run(["cat", f"/proc/{pid}/status"], check=True).stdout
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        user = ns.run(["ps", "-o", "user=", "-p", pid]).stdout.strip()
        seen = {key: fields.get(key, "").strip() for key in ("NoNewPrivs", "Seccomp", "CapEff", "CapBnd")}
        expect(user == "mprelay", f"mprelayd runs as {user!r}")
        expect(seen["NoNewPrivs"] == "1" and seen["Seccomp"] == "2", f"{seen}")
        expect(seen["CapEff"] == "0000000000000000" and seen["CapBnd"] == "0000000000000000", f"{seen}")
        limit = ns.run(["cat", f"/proc/{pid}/limits"], check=True).stdout
        files = re.search(r"Max open files\s+(\d+)\s+(\d+)", limit)
        expect(files and int(files.group(1)) >= 10_240, f"open-file limit too low for 10,000 peers: {files and files.groups()}")
        mounts = ns.run(["cat", f"/proc/{pid}/mountinfo"], check=True).stdout
        tmp_private = any(" /tmp " in line and "tmpfs" in line for line in mounts.splitlines())
        expect(tmp_private, "the service's /tmp is not its own (PrivateTmp=)")
        return f"user mprelay, NoNewPrivs 1, seccomp filter, no capabilities, {files.group(1)} files, private /tmp"

    def journal_lines(self):
        ns = self.ns
        self.ensure_running()
        ns.client("hello", TCP_ENDPOINT, "journal-client")
        ns.wait_journal("a connection's line", r"^\[[A-Z]+/Connection-\d+\] ", None)
        # Everything mprelayd wrote to stderr (SYSLOG_IDENTIFIER=mprelayd): systemd's own lines
        # about the unit are left out.
        lines = [line for line in ns.journal(extra=["SYSLOG_IDENTIFIER=mprelayd"]).splitlines() if line.strip()]
        odd = [line for line in lines if not LOG_LINE.match(line)]
        note = ""
        # LimitNICE=-4 lets libdispatch renice its workers instead of logging that it could not.
        # Where systemd itself cannot raise RLIMIT_NICE (no CAP_SYS_RESOURCE, as in some
        # containers), the limit stays 0 and those lines are the machine's, not mprelayd's.
        pid = ns.show(UNIT, "MainPID")["MainPID"]
        nice = re.search(r"Max nice priority\s+(\d+)", ns.run(["cat", f"/proc/{pid}/limits"]).stdout)
        if nice and int(nice.group(1)) < 24:
            dispatch = [line for line in odd if line.startswith("Failed to set thread priority for worker thread")]
            odd = [line for line in odd if line not in dispatch]
            if dispatch:
                note = (f"; tolerated {len(dispatch)} libdispatch renice line(s): this machine left "
                        f"RLIMIT_NICE at {nice.group(1)} despite LimitNICE=-4")
        expect(lines and not odd, f"{len(odd)} of {len(lines)} lines break the [LEVEL/processName] form, e.g. {odd[:3]}")
        return f"{len(lines)} lines, e.g. {lines[0]!r}{note}"

    def reload_keeps_clients(self):
        ns = self.ns
        before = self.ensure_running()["MainPID"]
        holder = ns.client("hold", UNIX_ENDPOINT, "reload-holder")
        try:
            cursor = ns.cursor()
            ns.write(CONFIG, self.config.replace('log_level = "info"', 'log_level = "debug"'))
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
            self.restore_config()
            ns.run(["systemctl", "reload", UNIT])
        return f"pid {before} kept, the client held its connection, DEBUG lines appeared"

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

    def reload_notifies(self):
        ns = self.ns
        self.ensure_running()
        seen = self.notifications(lambda: ns.run(["systemctl", "reload", UNIT], check=True))
        reloading = [i for i, m in enumerate(seen) if "RELOADING=1" in m]
        expect(reloading, f"no RELOADING=1 among the notifications: {seen}")
        expect("MONOTONIC_USEC=" in seen[reloading[0]], f"RELOADING=1 without MONOTONIC_USEC=: {seen[reloading[0]]}")
        expect(any("READY=1" in m for m in seen[reloading[0] + 1:]), f"no READY=1 after RELOADING=1: {seen}")
        expect(ns.show(UNIT, "ActiveState")["ActiveState"] == "active", "not active after the reload")
        return "; ".join(seen)

    def reload_broken_config(self):
        ns = self.ns
        before = self.ensure_running()["MainPID"]
        holder = ns.client("hold", UNIX_ENDPOINT, "broken-reload-holder")
        try:
            cursor = ns.cursor()
            ns.write(CONFIG, self.config + "\n[broker\nlog_level = \n")
            ns.run(["systemctl", "reload", UNIT], timeout=20)
            ns.wait_journal("an ERROR line about the refused configuration", r"^\[(ERROR|CRITICAL)/", cursor)
            time.sleep(1)
            state = ns.show(UNIT, "ActiveState", "MainPID")
            expect(state["ActiveState"] == "active" and state["MainPID"] == before, f"after a broken reload: {state}")
            expect(ask(holder, "ping") == "PONG", "the client lost its connection over a refused reload")
            ns.client("hello", TCP_ENDPOINT, "after-broken-reload")
        finally:
            release(holder)
            self.restore_config()
        return "refused, still active with the same pid and clients"

    def socket_activation(self):
        ns = self.ns
        ns.run(["systemctl", "stop", UNIT])
        ns.run(["systemctl", "reset-failed", UNIT])
        try:
            ns.write(CONFIG, self.config.replace(
                '# [[endpoint]]\n# socket = "activation"\n# authkey_credential = "authkey"',
                '[[endpoint]]\nsocket = "activation"\nauthkey_credential = "authkey"'))
            expect("\nsocket = \"activation\"" in ns.run(["cat", CONFIG]).stdout,
                   "the packaged config has no commented socket = \"activation\" endpoint to enable")
            ns.run(["systemctl", "start", "mprelay.socket"], check=True)
            mode = ns.run(["stat", "-c", "%U:%G %a", ACTIVATION_SOCKET], check=True).stdout.strip()
            expect(mode == "mprelay:mprelay 660", f"{ACTIVATION_SOCKET} is {mode}")
            expect(ns.show(UNIT, "ActiveState")["ActiveState"] == "inactive", "mprelay.service runs before any connection")
            ns.client("hello", ACTIVATION_SOCKET, "activated-client")
            ns.wait_active(5)
            ns.client("hello", TCP_ENDPOINT, "own-endpoint-too")
        finally:
            ns.run(["systemctl", "stop", UNIT, "mprelay.socket"])
            ns.run(["systemctl", "reset-failed", UNIT, "mprelay.socket"])
            self.restore_config()
        gone = ns.run(["test", "-e", ACTIVATION_SOCKET]).returncode != 0
        expect(gone, f"{ACTIVATION_SOCKET} is left after stopping mprelay.socket")
        return f"first connection on {ACTIVATION_SOCKET} started the relay"

    def socket_unclaimed_is_an_error(self):
        ns = self.ns
        ns.run(["systemctl", "stop", UNIT])
        ns.run(["systemctl", "reset-failed", UNIT])
        cursor = ns.cursor()
        try:
            ns.run(["systemctl", "start", "mprelay.socket"], check=True)
            ns.run(["timeout", "12", "systemctl", "start", UNIT])
            ns.wait_for("mprelay.service failed", lambda: ns.show(UNIT, "ActiveState")["ActiveState"] == "failed"
                        or ns.show(UNIT, "Result")["Result"] not in ("success",), 8)
            ns.wait_journal("an error naming the unclaimed socket", r"socket.*\"activation\"", cursor, timeout=5)
        finally:
            ns.run(["systemctl", "stop", UNIT, "mprelay.socket"])
            ns.run(["systemctl", "reset-failed", UNIT, "mprelay.socket"])
        return "refused to start with a socket no endpoint uses"

    def stop_drains(self):
        ns = self.ns
        self.ensure_running()
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

    def stop_notifies(self):
        ns = self.ns
        self.ensure_running()
        seen = self.notifications(lambda: ns.run(["systemctl", "stop", UNIT], timeout=40))
        expect(any("STOPPING=1" in m for m in seen), f"no STOPPING=1 among the notifications: {seen}")
        return "; ".join(seen)

    def kill9_restarts(self):
        ns = self.ns
        state = self.ensure_running()
        before = state["MainPID"]
        restarts = int(ns.show(UNIT, "NRestarts")["NRestarts"])
        ns.run(["kill", "-KILL", before], check=True)
        after = ns.wait_for("a new main process", lambda: (lambda s: s if s["ActiveState"] == "active" and s["MainPID"] not in ("0", before) else None)(
            ns.show(UNIT, "ActiveState", "MainPID", "NRestarts")), 15)
        expect(int(after["NRestarts"]) == restarts + 1, f"NRestarts {restarts} -> {after['NRestarts']}")
        ns.wait_for("the relay listening again", lambda: ns.run(["test", "-S", UNIX_ENDPOINT]).returncode == 0, 10)
        ns.client("hello", UNIX_ENDPOINT, "after-kill")
        return f"pid {before} killed, restarted as {after['MainPID']}"

    def missing_authkey(self):
        """Without /etc/mprelay/authkey the start fails with systemd's CREDENTIALS status, as
        docs/OPERATIONS.md says, rather than running keyless."""
        ns = self.ns
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

    def watchdog(self):
        ns = self.ns
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

    def journal_fields(self):
        ns = self.ns
        try:
            ns.write(CONFIG, self.config.replace('[broker]\n', '[broker]\nlog_target = "journal"\n', 1))
            ns.run(["systemctl", "restart", UNIT], timeout=25)
            self.ensure_running()
            ns.client("hello", TCP_ENDPOINT, "journal-fields-peer")
            entries = ns.wait_for("an entry with MPRELAY_PEER=journal-fields-peer", lambda: ns.journal(
                unit=UNIT, output="json", extra=["MPRELAY_PEER=journal-fields-peer"]).strip(), 10)
            entry = json.loads(entries.splitlines()[0])
            expect(entry.get("SYSLOG_IDENTIFIER") == "mprelayd", f"{entry}")
            expect(entry.get("PRIORITY") in [str(n) for n in range(8)], f"{entry}")
            expect(LOG_LINE.match(entry.get("MESSAGE", "")), f"MESSAGE is not [LEVEL/processName] ...: {entry.get('MESSAGE')}")
            expect(entry.get("MPRELAY_CONNECTION"), f"no MPRELAY_CONNECTION: {entry}")
        finally:
            self.restore_config()
            ns.run(["systemctl", "restart", UNIT], timeout=25)
        return f"{entry['MESSAGE']!r} PRIORITY={entry['PRIORITY']} MPRELAY_CONNECTION={entry['MPRELAY_CONNECTION']}"

    # MPRelaySystemd against the real thing, before mprelayd uses it.

    def library_socket_activation(self):
        ns = self.ns
        expect(self.bundle.exists(), f"{self.bundle} is missing: build the tests (swift build --build-tests)")
        path = "/run/mprelay-library-test.sock"
        unit = "mprelay-library-test"
        ns.run(["systemd-run", f"--unit={unit}", "--collect", "--quiet",
                f"--socket-property=ListenStream={path}", "--socket-property=FileDescriptorName=activation",
                f"--setenv=MPRELAY_TEST_EXPECT_SOCKET=activation:{path}",
                str(self.bundle), "--testing-library", "swift-testing", "--filter", "socketsPassedBySystemdAreFoundByName"],
               check=True)
        ns.run(["python3", "-c", f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({path!r})"], check=True)
        ns.wait_journal("the test's report", r"MPRELAY-SOCKET-ACTIVATION-OK activation fd 3 " + re.escape(path),
                        None, timeout=30, unit=f"{unit}.service")
        ns.wait_for("the test process to finish", lambda: ns.show(f"{unit}.service", "ActiveState")["ActiveState"] != "active", 20)
        result = ns.show(f"{unit}.service", "Result", "ExecMainStatus")
        ns.run(["systemctl", "stop", f"{unit}.socket"])
        expect(result["ExecMainStatus"] == "0", f"the test failed under systemd: {result}\n" + ns.journal(unit=f"{unit}.service")[-1500:])
        return "ListenFileDescriptors.inherited() found \"activation\" at fd 3 from a systemd socket unit"

    def library_journal(self):
        ns = self.ns
        expect(self.bundle.exists(), f"{self.bundle} is missing: build the tests (swift build --build-tests)")
        mark = f"mark-{ns.token}"
        result = ns.run([str(self.bundle), "--testing-library", "swift-testing", "--filter", "entriesReachJournaldWithTheirFields"],
                        env={"MPRELAY_TEST_JOURNAL_MARK": mark}, timeout=60)
        expect(result.returncode == 0, f"the test failed: {result.stdout[-1500:]}")
        def entries():
            text = ns.journal(unit=None, output="json", extra=["SYSLOG_IDENTIFIER=mprelayd", "MPRELAY_PEER=worker-1"])
            found = [json.loads(line) for line in text.splitlines() if mark in line]
            return found if len(found) >= 2 else None
        found = ns.wait_for("both entries in the journal", entries, 10)
        sink = next(e for e in found if "sink " + mark in str(e.get("MESSAGE")))
        handler = next(e for e in found if "handler " + mark in str(e.get("MESSAGE")))
        expect(sink["MESSAGE"] == f"sink {mark}\nsecond line", f"multi-line MESSAGE mangled: {sink['MESSAGE']!r}")
        expect(sink["PRIORITY"] == "4" and sink["MPRELAY_CONNECTION"] == "7" and "MPRELAY_PRINCIPAL" not in sink, f"{sink}")
        expect(sink["CODE_FILE"] == "JournalTests.swift" and sink["CODE_LINE"] == "42", f"{sink}")
        expect(handler["MESSAGE"] == f"[ERROR/Connection-7] handler {mark}", f"{handler['MESSAGE']!r}")
        expect(handler["PRIORITY"] == "3" and handler["MPRELAY_PEER"] == "worker-1", f"{handler}")
        expect(not any("dropped " + mark in str(e.get("MESSAGE")) for e in found), "a trace line passed a debug level")
        return f"fields as sent: {handler['MESSAGE']!r} PRIORITY=3 MPRELAY_PEER=worker-1"

    def all(self):
        if self.deb:
            self.check("deb-package", self.deb_package)
        else:
            print("NOT RUN deb-package: no .build/deb/mprelay_*.deb (make deb, or set MPRELAY_TEST_DEB)")
        self.check("install", self.install)
        self.check("systemd-analyze-security", self.security)
        self.check("systemd-analyze-verify", self.verify_units)
        self.check("library-socket-activation", self.library_socket_activation)
        self.check("library-journal", self.library_journal)
        self.check("ready-and-status", self.start_as_shipped)
        if self.results[-1][1] != "PASS":
            self.fall_back_to_exec()
        self.check("status-refreshes", self.status_refreshes)
        self.check("clients-with-credential", self.clients_with_credential)
        self.check("hardening-in-effect", self.hardening_in_effect)
        self.check("journal-lines", self.journal_lines)
        self.check("reload-keeps-clients", self.reload_keeps_clients)
        self.check("reload-notifies", self.reload_notifies)
        self.check("reload-broken-config", self.reload_broken_config)
        self.check("kill-9-restarts", self.kill9_restarts)
        self.check("missing-authkey-fails", self.missing_authkey)
        self.check("watchdog-restarts-wedged-relay", self.watchdog)
        self.check("journal-fields", self.journal_fields)
        self.check("stop-drains", self.stop_drains)
        self.check("stop-notifies", self.stop_notifies)
        self.check("socket-activation", self.socket_activation)
        self.check("socket-activation-two-sockets-one-name", lambda: lifecycle_checks.two_sockets_one_name(self))
        self.check("socket-unclaimed-is-an-error", self.socket_unclaimed_is_an_error)
        self.check("drain-outlasts-timeout-stop-sec", lambda: lifecycle_checks.long_drain(self))


def under_tmp(paths):
    """The host paths among `paths` that the private /tmp would hide, without ones inside others.

    boot.sh binds them, read-only, at the same place inside the namespace's /tmp, so that a
    checkout cloned under /tmp is tested like any other.
    """
    hidden = sorted({p for p in paths if p is not None and p.is_relative_to("/tmp") and p != Path("/tmp")})
    return [p for p in hidden if not any(p != q and p.is_relative_to(q) for q in hidden)]


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
    # lifecycle_checks imports this module by name: let it find this one rather than load a copy.
    sys.modules.setdefault("mprelay_systemd_test", sys.modules[__name__])
    import lifecycle_checks
    sys.exit(main())
