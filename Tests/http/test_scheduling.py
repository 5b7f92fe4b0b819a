"""The monitoring server yields the cores to the relay: its thread is in the idle scheduling
class, and the reads of the broker's locked state run on a thread of the normal class."""

import os

SCHED_OTHER = 0
SCHED_IDLE = 5


def threads(pid):
    """{thread name: [scheduling policy of each thread of that name]} of process `pid`."""
    found = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as comm:
            name = comm.read().strip()
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as stat:
            # Field 41 (policy), counted after the parenthesised name, which may hold spaces.
            fields = stat.read().rpartition(")")[2].split()
        found.setdefault(name, []).append(int(fields[41 - 3]))
    return found


def test_the_http_thread_is_idle_class_and_the_relay_is_not(http_relay):
    relay = http_relay()
    assert relay.get("/status").status == 200
    assert relay.get("/metrics").status == 200
    policies = threads(relay.relay.pid)
    assert policies.get("mprelay-http") == [SCHED_IDLE], policies
    others = [policy for name, each in policies.items() if name != "mprelay-http" for policy in each]
    assert others and all(policy == SCHED_OTHER for policy in others), policies
