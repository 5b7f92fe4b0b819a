"""A misbehaving control client, run as its own process by test_hostile_clients.py so that its
work never competes with the measuring relay pair for the test's interpreter lock.

    python3 hostile_client.py MODE SOCKET [AMOUNT]

Modes:
  garbage-line    AMOUNT MiB of "x" with no newline: one endless request line.
  garbage-random  AMOUNT MiB of random bytes (newlines included), never reading an answer.
  never-read      AMOUNT pipelined `peers` requests, never reading an answer until the end.
  slow            one byte every 0.1 s, no newline, for at most AMOUNT seconds.

Prints one JSON object: bytes sent, seconds taken, whether the daemon closed the connection,
the answer lines it had sent before closing, and the error that ended the sending.
"""

import json
import os
import socket
import sys
import time

MIB = 1 << 20


def drain(sock, timeout=5.0):
    """Everything the daemon sent, and whether it closed the connection."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(MIB)
        except ConnectionResetError:
            return data, True
        except socket.timeout:
            return data, False
        if not chunk:
            return data, True
        data += chunk


def main():
    mode, path = sys.argv[1], sys.argv[2]
    amount = float(sys.argv[3]) if len(sys.argv) > 3 else 100
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sent, error, started = 0, None, time.monotonic()
    if mode == "garbage-line":
        chunks = [b"x" * MIB] * int(amount)
    elif mode == "garbage-random":
        block = os.urandom(MIB)
        chunks = [block] * int(amount)
    elif mode == "never-read":
        chunks = [b'{"version":1,"command":"peers"}\n' * 1000] * int(amount / 1000)
    elif mode == "slow":
        chunks = None
    else:
        raise SystemExit("unknown mode %s" % mode)
    try:
        if chunks is None:
            while time.monotonic() - started < amount:
                sock.sendall(b"{")
                sent += 1
                time.sleep(0.1)
        else:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    count = sock.send(view)
                    sent += count
                    view = view[count:]
    except (BrokenPipeError, ConnectionResetError) as exc:
        error = type(exc).__name__
    if mode == "never-read":
        time.sleep(1.0)  # the daemon answers meanwhile; nobody reads
    answers, closed = drain(sock)
    print(json.dumps({
        "sent": sent,
        "seconds": round(time.monotonic() - started, 3),
        "closed": closed or error is not None,
        "error": error,
        "answer_lines": answers.count(b"\n"),
        "last_answer": answers.split(b"\n")[-2].decode("utf-8", "replace") if answers.count(b"\n") else "",
    }))


if __name__ == "__main__":
    main()
