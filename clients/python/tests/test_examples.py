"""The examples run as their docstrings say (against a test broker instead of `make run`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mprelay
from conftest import AUTHKEY, Broker, address_text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(broker: Broker, *args: str, timeout: float = 90) -> str:
    env = dict(os.environ, MPRELAY_AUTHKEY=AUTHKEY.decode())
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / args[0]), *args[1:], "--address", address_text(broker.address)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
    )
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, out
    return out


@pytest.fixture
def fresh(make_broker: Any) -> Broker:
    return make_broker()  # the examples use fixed names


def test_work_queue(fresh: Broker) -> None:
    out = run_example(fresh, "work_queue.py", "--workers", "3", "--jobs", "12")
    assert "12 jobs done" in out


def test_chat_demo(fresh: Broker) -> None:
    out = run_example(fresh, "chat.py", "--demo")
    assert "every line reached everyone else" in out


def test_bench_pair(fresh: Broker) -> None:
    out = run_example(fresh, "bench_pair.py", "--count", "2000", "--runs", "1", "--json",
                      "--broker-pid", str(fresh.pid))
    rows = {row["row"]: row for row in json.loads(out)["rows"]}
    assert sorted(rows) == sorted(["pair 64 B", "pair 4 KiB", "batch 64 B", "pickled",
                                   "ping-pong 64 B", "ping-pong stdlib 64 B", "asyncio 64 B"])
    for row in rows.values():
        assert row["mprelay"] > 0 and row["reference"] > 0 and row["dropped"] == 0, row
        for side in ("sender", "receiver"):
            assert row["%s_cpu_us" % side] > 0 and row["reference_%s_cpu_us" % side] > 0, row
        # The broker's CPU counts in clock ticks: a short run may show none.
        assert row["broker_cpu_us"] >= 0, row
    assert sum(row["broker_cpu_us"] for row in rows.values()) > 0, rows


def test_examples_document_how_to_run() -> None:
    programs = [p for p in sorted(EXAMPLES.glob("*.py")) if 'if __name__ == "__main__":' in p.read_text()]
    assert {"bench_pair.py", "chat.py", "work_queue.py"} <= {p.name for p in programs}, programs
    for path in programs:
        doc = path.read_text().split('"""')[1]
        assert "MPRELAY_AUTHKEY=secret make run" in doc, path.name
        assert "clients/python/examples/%s" % path.name in doc, path.name
    # A module that is not a program is a part of one, which names it in its docstring.
    for path in sorted(set(EXAMPLES.glob("*.py")) - set(programs)):
        users = [p.name for p in programs if "from %s import" % path.stem in p.read_text()]
        assert users, "%s is neither a program nor imported by one" % path.name
        assert all(u in path.read_text().split('"""')[1] for u in users), path.name


def test_parse_address() -> None:
    assert mprelay.parse_address("127.0.0.1:6000") == ("127.0.0.1", 6000)
    assert mprelay.parse_address("[::1]:6000") == ("::1", 6000)
    assert mprelay.parse_address("@mprelay") == "\0mprelay"
    assert mprelay.parse_address("/run/mprelay/mprelay.sock") == "/run/mprelay/mprelay.sock"
    for bad in ("nohost", "h:", ":1", "::1:6000", "h:port"):
        with pytest.raises(ValueError):
            mprelay.parse_address(bad)
