"""A work queue over mprelay: a coordinator hands jobs to N workers by name and collects results.

Start a broker and run the demo, which starts the workers as local processes (from the
repository root, in two terminals)::

    MPRELAY_AUTHKEY=secret make run
    MPRELAY_AUTHKEY=secret python3 clients/python/examples/work_queue.py --workers 4 --jobs 20

Across machines, run each role on its own (any number of workers, started before or after the
coordinator; a worker that leaves mid-job has its job handed to another)::

    MPRELAY_AUTHKEY=secret python3 work_queue.py worker --name worker-1 --address HOST:6000
    MPRELAY_AUTHKEY=secret python3 work_queue.py coordinator --jobs 20 --address HOST:6000

How it works: workers register as ``worker-*``. The coordinator watches presence, so it learns
of workers from ``peers()`` and then from ``PeerJoined``/``PeerLeft`` events, and gives each idle
worker one job at a time with ``send(worker, job)``. A worker answers with ``msg.reply(result)``;
the reply comes back to the coordinator's ``recv()`` marked ``is_reply``. ``None`` tells a worker
to stop.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import sys
import time
from typing import Any, Deque, Dict, List, Optional, Set, Tuple

try:
    import mprelay
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    import mprelay

PREFIX = "worker-"


def work(job: Dict[str, int]) -> int:
    """The job itself: a small CPU-bound computation."""
    n = job["n"]
    return sum(i * i for i in range(n))


def worker(address: Any, name: str) -> None:
    """Serve jobs until the coordinator says stop (or the broker goes away)."""
    with mprelay.connect(address, name=name, timeout=10) as peer:
        while True:
            try:
                msg = peer.recv()
            except mprelay.BrokerClosing:
                return
            except mprelay.RelayError as exc:  # e.g. a reply to a coordinator that left
                print("%s: %s" % (name, exc), file=sys.stderr)
                continue
            if not isinstance(msg, mprelay.Message):
                continue
            if msg.payload is None:
                return
            msg.reply(work(msg.payload))


def coordinator(address: Any, jobs: List[Dict[str, int]], name: str = "coordinator",
                expect_workers: int = 0, quiet: bool = False) -> Dict[int, Tuple[int, str]]:
    """Hand out ``jobs`` and return ``{job id: (result, worker)}``."""
    results: Dict[int, Tuple[int, str]] = {}
    with mprelay.connect(address, name=name, timeout=10) as peer:
        peer.watch()  # before peers(): no worker can slip between the list and the events
        workers: Set[str] = {p for p in peer.peers() if p.startswith(PREFIX)}
        idle: Deque[str] = collections.deque(sorted(workers))
        todo: Deque[Dict[str, int]] = collections.deque(jobs)
        busy: Dict[str, Tuple[int, Dict[str, int]]] = {}  # worker -> (correlation id, job)
        if expect_workers and not quiet:
            print("waiting for %d workers" % expect_workers)

        def dispatch() -> None:
            if len(workers) < expect_workers:
                return
            while todo and idle:
                w = idle.popleft()
                job = todo.popleft()
                busy[w] = (peer.send(w, job), job)

        dispatch()
        while len(results) < len(jobs):
            try:
                item = peer.recv(timeout=30)
            except mprelay.UnknownPeer as exc:  # the worker left before the job reached it
                if exc.peer in busy:
                    todo.appendleft(busy.pop(exc.peer)[1])
                continue
            if isinstance(item, mprelay.PeerJoined) and item.name.startswith(PREFIX):
                workers.add(item.name)
                idle.append(item.name)
            elif isinstance(item, mprelay.PeerLeft) and item.name in workers:
                workers.discard(item.name)
                if item.name in idle:
                    idle.remove(item.name)
                if item.name in busy:  # its job is not lost: someone else does it
                    todo.appendleft(busy.pop(item.name)[1])
            elif isinstance(item, mprelay.Message) and item.is_reply and item.sender in busy:
                cid, job = busy[item.sender]
                if item.correlation_id == cid:
                    del busy[item.sender]
                    results[job["id"]] = (item.payload, item.sender)
                    idle.append(item.sender)
                    if not quiet:
                        print("job %3d -> %-12s result %d" % (job["id"], item.sender, item.payload))
            dispatch()
        for w in sorted(workers):
            peer.send(w, None)  # stop
    return results


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("role", nargs="?", default="demo", choices=["demo", "coordinator", "worker"])
    parser.add_argument("--address", default="127.0.0.1:6000",
                        help="the broker: host:port, [v6]:port, /path/to.sock or @name")
    parser.add_argument("--workers", type=int, default=4, help="demo: local worker processes")
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--name", default=None, help="worker: the name to register (worker-...)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    address = mprelay.parse_address(args.address)
    jobs = [{"id": i, "n": 20000 + 1000 * i} for i in range(args.jobs)]
    if args.role == "worker":
        worker(address, args.name or "%s%d" % (PREFIX, os.getpid()))
        return 0
    if args.role == "coordinator":
        coordinator(address, jobs)
        return 0

    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=worker, args=(address, "%s%d" % (PREFIX, i + 1)))
             for i in range(args.workers)]
    for p in procs:
        p.start()
    start = time.monotonic()
    results = coordinator(address, jobs, expect_workers=args.workers)
    elapsed = time.monotonic() - start
    for p in procs:
        p.join(30)
    assert all(results[j["id"]][0] == work(j) for j in jobs), "wrong result"
    per_worker = collections.Counter(w for _, w in results.values())
    print("%d jobs done in %.2f s by %s" % (len(results), elapsed, dict(sorted(per_worker.items()))))
    return 0 if all(p.exitcode == 0 for p in procs) else 1


if __name__ == "__main__":
    sys.exit(main())
