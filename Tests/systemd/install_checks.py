"""Checks of mprelay.service as installed and started as shipped, under the real systemd of
mprelay_systemd_test.py: the Debian package, `make -f packaging/install.mk install`, what
systemd-analyze says of the units, READY=1 and STATUS=, clients with the credential's key, and
the hardening in effect. Each takes the test's Run and raises CheckFailed (through expect) on a
failure.
"""

import re

from private_boot import CONFIG, KEYFILE, REPO, TCP_ENDPOINT, UNIT, UNIX_ENDPOINT, CheckFailed, expect, release


def deb_package(run):
    """The .deb installs, enables and starts nothing, and remove/purge leave nothing behind."""
    ns = run.ns
    deb = run.deb
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


def install(run):
    ns = run.ns
    ns.run(["make", "--no-print-directory", "-C", str(REPO), "-f", "packaging/install.mk", "install",
            "PREFIX=/usr", f"MPRELAYD_BIN={run.binary}"], check=True, timeout=60)
    # What the .deb's postinst does, then the operator's key.
    ns.run(["systemd-sysusers", "mprelay.conf"], check=True)
    ns.run(["systemd-tmpfiles", "--create", "mprelay.conf"], check=True)
    ns.run(["systemctl", "daemon-reload"], check=True)
    ns.sh(f"umask 077; head -c 32 /dev/urandom | base64 > {KEYFILE}")
    run.config = ns.run(["cat", CONFIG], check=True).stdout
    expect(run.config == (REPO / "packaging" / "mprelay.toml").read_text(), "the installed config is not the packaged one")
    enabled = ns.run(["systemctl", "is-enabled", UNIT, "mprelay.socket"]).stdout.split()
    expect(enabled == ["disabled", "disabled"], f"install enabled something: {enabled}")
    owner = ns.run(["stat", "-c", "%U:%G %a", "/run/mprelay"], check=True).stdout.strip()
    expect(owner == "mprelay:mprelay 750", f"/run/mprelay is {owner}, not mprelay:mprelay 750")
    return f"units disabled as shipped, user mprelay, /run/mprelay {owner}"


def security(run):
    output = run.ns.run(["systemd-analyze", "security", "--no-pager", UNIT], check=True).stdout
    exposures = [line.strip() for line in output.splitlines() if line.startswith("✗")]
    score = re.search(r"Overall exposure level for mprelay.service: ([0-9.]+)", output)
    expect(score, "systemd-analyze printed no exposure score")
    print("      remaining exposures:")
    for line in exposures:
        print("        " + re.sub(r"\s{2,}", "  ", line))
    expect(float(score.group(1)) <= 2.0, f"exposure {score.group(1)} is above 2.0")
    return f"exposure {score.group(1)} (target <= 2.0)"


def verify_units(run):
    result = run.ns.run(["systemd-analyze", "verify", UNIT, "mprelay.socket"])
    noise = [line for line in (result.stdout + result.stderr).splitlines() if "mprelay" in line]
    expect(result.returncode == 0 and not noise, f"systemd-analyze verify: {noise or result.returncode}")


def start_as_shipped(run):
    ns = run.ns
    result = ns.run(["timeout", "12", "systemctl", "start", UNIT])
    state = ns.show(UNIT, "ActiveState", "SubState", "StatusText", "MainPID")
    if result.returncode != 0 or state["ActiveState"] != "active":
        raise CheckFailed(f"systemctl start did not return active within 12 s (rc {result.returncode}, {state['ActiveState']}/{state['SubState']})")
    expect(state["StatusText"], "no STATUS= text: systemctl show -p StatusText is empty")
    status = ns.run(["systemctl", "status", "--no-pager", UNIT]).stdout
    expect(f"Status: \"{state['StatusText']}\"" in status, f"systemctl status does not show the STATUS text:\n{status}")
    ns.client("hello", UNIX_ENDPOINT, "ready-probe")
    return f"Status: \"{state['StatusText']}\""


def status_refreshes(run):
    ns = run.ns
    run.ensure_running()
    before = ns.show(UNIT, "StatusText")["StatusText"]
    expect(before, "no STATUS= text")
    holder = ns.client("hold", UNIX_ENDPOINT, "status-holder")
    try:
        after = ns.wait_for("STATUS= to change once a peer connected",
                            lambda: (lambda t: t if t != before else None)(ns.show(UNIT, "StatusText")["StatusText"]), 3)
    finally:
        release(holder)
    return f"{before!r} -> {after!r}"


def clients_with_credential(run):
    ns = run.ns
    run.ensure_running()
    ns.client("hello", TCP_ENDPOINT, "tcp-client")
    ns.client("hello", UNIX_ENDPOINT, "unix-client")
    socket_file = ns.run(["stat", "-c", "%U:%G %a", UNIX_ENDPOINT], check=True).stdout.strip()
    expect(socket_file == "mprelay:mprelay 660", f"{UNIX_ENDPOINT} is {socket_file}")
    # The key reached mprelayd as a credential: the mprelay user cannot read the file itself.
    unreadable = ns.run(["setpriv", "--reuid=mprelay", "--regid=mprelay", "--clear-groups", "cat", KEYFILE])
    expect(unreadable.returncode != 0, f"user mprelay can read {KEYFILE}: LoadCredential= is not what protects it")
    return f"{TCP_ENDPOINT} and {UNIX_ENDPOINT} ({socket_file}); key via $CREDENTIALS_DIRECTORY only"


def hardening_in_effect(run):
    ns = run.ns
    pid = run.ensure_running()["MainPID"]
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


def monitoring_thread_idle_class(run):
    """[http] turned on by a reload: inside the unit's sandbox (User=mprelay, no capabilities,
    the system call filter, RestrictRealtime=) the monitoring thread gets the idle scheduling
    class, and every other thread of mprelayd keeps the normal one (none inherited it)."""
    ns = run.ns
    pid = run.ensure_running()["MainPID"]
    try:
        cursor = ns.cursor()
        ns.write(CONFIG, run.config + '\n[http]\nlisten = "127.0.0.1:0"\n')
        ns.run(["systemctl", "reload", UNIT], check=True, timeout=20)
        ns.wait_journal("the monitoring server's start", r"monitoring HTTP server listening on", cursor)
        # Each thread's name, then field 41 of its stat (the policy), counted after the name.
        listing = ns.run(["sh", "-c", f'for t in /proc/{pid}/task/*; do echo "$(sed "s/.*) //" $t/stat | cut -d" " -f39) $(cat $t/comm)"; done'], check=True).stdout
        policies = [line.split(" ", 1) for line in listing.splitlines() if line.strip()]
        idle = [name for policy, name in policies if policy == "5"]
        others = sorted({f"{name}={policy}" for policy, name in policies if policy != "0" and name != "mprelay-http"})
        expect(idle == ["mprelay-http"], f"threads in the idle class: {idle} (all: {policies})")
        expect(not others, f"threads of mprelayd outside the normal class: {others}")
    finally:
        run.restore_config()
        ns.run(["systemctl", "reload", UNIT])
    return f"mprelay-http in SCHED_IDLE, the other {len(policies) - 1} threads in SCHED_OTHER"
