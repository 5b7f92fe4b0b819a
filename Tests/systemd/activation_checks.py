"""Checks of socket activation under the real systemd of mprelay_systemd_test.py: mprelay.socket
starts the relay, two sockets passed under one name are both served, a socket nobody claims is an
error, and MPRelaySystemd's ListenFileDescriptors against a real socket unit. Each takes the
test's Run and raises CheckFailed (through expect) on a failure.
"""

import re

from private_boot import ACTIVATION_SOCKET, CONFIG, TCP_ENDPOINT, UNIT, expect

SECOND_ACTIVATION_SOCKET = "/run/mprelay/activation-2.sock"
SOCKET_DROPIN_DIR = "/run/systemd/system/mprelay.socket.d"


def socket_activation(run):
    ns = run.ns
    ns.run(["systemctl", "stop", UNIT])
    ns.run(["systemctl", "reset-failed", UNIT])
    try:
        ns.write(CONFIG, run.config.replace(
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
        run.restore_config()
    gone = ns.run(["test", "-e", ACTIVATION_SOCKET]).returncode != 0
    expect(gone, f"{ACTIVATION_SOCKET} is left after stopping mprelay.socket")
    return f"first connection on {ACTIVATION_SOCKET} started the relay"


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


def socket_unclaimed_is_an_error(run):
    ns = run.ns
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


def library_socket_activation(run):
    ns = run.ns
    expect(run.bundle.exists(), f"{run.bundle} is missing: build the tests (swift build --build-tests)")
    path = "/run/mprelay-library-test.sock"
    unit = "mprelay-library-test"
    ns.run(["systemd-run", f"--unit={unit}", "--collect", "--quiet",
            f"--socket-property=ListenStream={path}", "--socket-property=FileDescriptorName=activation",
            f"--setenv=MPRELAY_TEST_EXPECT_SOCKET=activation:{path}",
            str(run.bundle), "--testing-library", "swift-testing", "--filter", "socketsPassedBySystemdAreFoundByName"],
           check=True)
    ns.run(["python3", "-c", f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({path!r})"], check=True)
    ns.wait_journal("the test's report", r"MPRELAY-SOCKET-ACTIVATION-OK activation fd 3 " + re.escape(path),
                    None, timeout=30, unit=f"{unit}.service")
    ns.wait_for("the test process to finish", lambda: ns.show(f"{unit}.service", "ActiveState")["ActiveState"] != "active", 20)
    result = ns.show(f"{unit}.service", "Result", "ExecMainStatus")
    ns.run(["systemctl", "stop", f"{unit}.socket"])
    expect(result["ExecMainStatus"] == "0", f"the test failed under systemd: {result}\n" + ns.journal(unit=f"{unit}.service")[-1500:])
    return "ListenFileDescriptors.inherited() found \"activation\" at fd 3 from a systemd socket unit"
