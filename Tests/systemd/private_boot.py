"""systemd booted as PID 1 of private namespaces, and what every check of mprelay_systemd_test.py
shares: the paths of the installed service, CheckFailed and expect, and the holding clients.

See mprelay_systemd_test.py for how the host is kept untouched.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
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


def under_tmp(paths):
    """The host paths among `paths` that the private /tmp would hide, without ones inside others.

    boot.sh binds them, read-only, at the same place inside the namespace's /tmp, so that a
    checkout cloned under /tmp is tested like any other.
    """
    hidden = sorted({p for p in paths if p is not None and p.is_relative_to("/tmp") and p != Path("/tmp")})
    return [p for p in hidden if not any(p != q and p.is_relative_to(q) for q in hidden)]
