"""A chat room over mprelay: every line you type is fanned out to everyone present.

Start a broker, then one chat per terminal (from the repository root)::

    MPRELAY_AUTHKEY=secret make run
    MPRELAY_AUTHKEY=secret python3 clients/python/examples/chat.py alice
    MPRELAY_AUTHKEY=secret python3 clients/python/examples/chat.py bob

Type lines; end with Ctrl-D. Or watch three scripted participants talk::

    MPRELAY_AUTHKEY=secret python3 clients/python/examples/chat.py --demo

How it works: each participant registers as ``chat.NICK`` and watches presence. The room is
``peers()`` at the start, then kept up to date by ``PeerJoined``/``PeerLeft`` events; a line is
sent to every member by name. One thread reads the keyboard and sends while another receives on
the same peer (a peer is thread-safe).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
from typing import Any, List, Optional, Set

try:
    import mprelay
except ImportError:  # running from a source checkout without installing the package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    import mprelay

PREFIX = "chat."


class Room:
    """This participant's view of the room, kept current by presence events."""

    def __init__(self, peer: mprelay.Peer) -> None:
        self.peer = peer
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        peer.watch()  # first, so nobody can join between the list and the events
        self.members: Set[str] = {p for p in peer.peers() if p.startswith(PREFIX)}
        self.members.discard(peer.name)

    def others(self) -> List[str]:
        with self.lock:
            return sorted(self.members)

    def say(self, text: str) -> None:
        """Fan ``text`` out to everyone in the room."""
        for member in self.others():
            try:
                self.peer.send(member, text)
            except mprelay.UnknownPeer:  # an earlier line reached someone who had just left
                pass

    def receive(self, show: Any, stop_after: Optional[int] = None) -> int:
        """Print what arrives until the peer closes (or ``stop_after`` lines); returns the count."""
        lines = 0
        while stop_after is None or lines < stop_after:
            try:
                item = self.peer.recv()
            except mprelay.UnknownPeer:
                continue
            except mprelay.Disconnected:
                break
            with self.changed:
                if isinstance(item, mprelay.PeerJoined) and item.name.startswith(PREFIX):
                    self.members.add(item.name)
                    show("* %s joined" % item.name[len(PREFIX):])
                elif isinstance(item, mprelay.PeerLeft) and item.name in self.members:
                    self.members.discard(item.name)
                    show("* %s left" % item.name[len(PREFIX):])
                elif isinstance(item, mprelay.Message):
                    lines += 1
                    show("<%s> %s" % (item.sender[len(PREFIX):], item.payload))
                self.changed.notify_all()
        return lines

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` others are present."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.members) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True


def chat(address: Any, nick: str) -> None:
    """Interactive: lines from stdin go to the room, the room's lines are printed."""
    with mprelay.connect(address, name=PREFIX + nick, timeout=10) as peer:
        room = Room(peer)
        print("* you are %s; here: %s" % (nick, ", ".join(m[len(PREFIX):] for m in room.others())
                                             or "nobody yet"))
        receiver = threading.Thread(target=room.receive, args=(print,), daemon=True)
        receiver.start()
        for line in sys.stdin:
            line = line.rstrip("\n")
            if line:
                room.say(line)


def bot(address: Any, nick: str, everyone: int, lines: List[str], out: Any) -> None:
    """A scripted participant for the demo: waits for the others, talks, listens, leaves."""
    transcript: List[str] = []
    with mprelay.connect(address, name=PREFIX + nick, timeout=10) as peer:
        room = Room(peer)
        expected = (everyone - 1) * len(lines)
        receiver = threading.Thread(target=room.receive, args=(transcript.append, expected))
        receiver.start()
        if not room.wait_for(everyone - 1, 30):
            raise SystemExit("%s: the others did not come" % nick)
        for line in lines:
            room.say(line)
        receiver.join(30)
        time.sleep(0.2)  # let everyone hear the last lines before leaving
    out.put((nick, transcript))


def demo(address: Any) -> int:
    script = {
        "alice": ["hello all", "who brought the data?"],
        "bob": ["hi alice", "carol did"],
        "carol": ["here it is", "bye"],
    }
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=bot, args=(address, nick, len(script), lines, out))
             for nick, lines in script.items()]
    for p in procs:
        p.start()
    transcripts = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(30)
    ok = True
    for nick in script:
        heard = [t for t in transcripts[nick] if t.startswith("<")]
        print("--- %s heard:" % nick)
        for t in transcripts[nick]:
            print("    " + t)
        want = sorted("<%s> %s" % (n, line) for n, ls in script.items() if n != nick for line in ls)
        ok = ok and sorted(heard) == want
    print("every line reached everyone else" if ok else "SOME LINES WERE MISSED")
    return 0 if ok and all(p.exitcode == 0 for p in procs) else 1


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nick", nargs="?", help="your name in the room")
    parser.add_argument("--demo", action="store_true", help="run three scripted participants")
    parser.add_argument("--address", default="127.0.0.1:6000",
                        help="the broker: host:port, [v6]:port, /path/to.sock or @name")
    args = parser.parse_args(argv)
    address = mprelay.parse_address(args.address)
    if args.demo:
        return demo(address)
    if not args.nick:
        parser.error("give a nick, or --demo")
    chat(address, args.nick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
