"""Checks of what mprelay.service writes to the journal under the real systemd of
mprelay_systemd_test.py: its lines, its structured fields, and MPRelaySystemd's journal sink
against the real journald. Each takes the test's Run and raises CheckFailed (through expect) on a
failure.
"""

import json
import re

from private_boot import CONFIG, LOG_LINE, TCP_ENDPOINT, UNIT, expect


def journal_lines(run):
    ns = run.ns
    run.ensure_running()
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


def journal_fields(run):
    ns = run.ns
    try:
        ns.write(CONFIG, run.config.replace('[broker]\n', '[broker]\nlog_target = "journal"\n', 1))
        ns.run(["systemctl", "restart", UNIT], timeout=25)
        run.ensure_running()
        ns.client("hello", TCP_ENDPOINT, "journal-fields-peer")
        entries = ns.wait_for("an entry with MPRELAY_PEER=journal-fields-peer", lambda: ns.journal(
            unit=UNIT, output="json", extra=["MPRELAY_PEER=journal-fields-peer"]).strip(), 10)
        entry = json.loads(entries.splitlines()[0])
        expect(entry.get("SYSLOG_IDENTIFIER") == "mprelayd", f"{entry}")
        expect(entry.get("PRIORITY") in [str(n) for n in range(8)], f"{entry}")
        expect(LOG_LINE.match(entry.get("MESSAGE", "")), f"MESSAGE is not [LEVEL/processName] ...: {entry.get('MESSAGE')}")
        expect(entry.get("MPRELAY_CONNECTION"), f"no MPRELAY_CONNECTION: {entry}")
    finally:
        run.restore_config()
        ns.run(["systemctl", "restart", UNIT], timeout=25)
    return f"{entry['MESSAGE']!r} PRIORITY={entry['PRIORITY']} MPRELAY_CONNECTION={entry['MPRELAY_CONNECTION']}"


def library_journal(run):
    ns = run.ns
    expect(run.bundle.exists(), f"{run.bundle} is missing: build the tests (swift build --build-tests)")
    mark = f"mark-{ns.token}"
    result = ns.run([str(run.bundle), "--testing-library", "swift-testing", "--filter", "entriesReachJournaldWithTheirFields"],
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
