"""What holding many subscriptions costs each server of a NATS cluster: one client on the first
server given subscribes to N fresh subjects (as a node with a subject per peer would, one per
registered peer), and each server's monitoring endpoint is read once its subscription count has
grown by N (the routes have carried the interest everywhere): /subsz's count and cache, /varz's
resident memory. Prints a Markdown table; the client then closes and the next N starts afresh.

Usage: nats_subsz.py CLIENT_PORT MONITOR_PORT[,MONITOR_PORT...] N [N...]"""

import json
import socket
import sys
import time
import urllib.request


def monitor(port, path):
    """One monitoring endpoint's JSON, from 127.0.0.1."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=5) as response:
        return json.load(response)


def subscribe(client_port, count):
    """A raw NATS connection holding `count` subscriptions, once its server has them all."""
    conn = socket.create_connection(("127.0.0.1", client_port), timeout=10)
    lines = [b'CONNECT {"verbose":false,"pedantic":false}\r\n']
    lines += [f"SUB subsz.{count}.{i} {i + 1}\r\n".encode() for i in range(count)]
    conn.sendall(b"".join(lines) + b"PING\r\n")
    received = b""
    while b"PONG\r\n" not in received:
        chunk = conn.recv(65536)
        if not chunk:
            raise SystemExit(f"nats_subsz.py: 127.0.0.1:{client_port} closed the connection: {received[-200:]!r}")
        received += chunk
    return conn


def wait_for(port, at_least, seconds=20):
    """/subsz of the server at `port` once it counts `at_least` subscriptions."""
    deadline = time.monotonic() + seconds
    while True:
        subsz = monitor(port, "subsz")
        if subsz["num_subscriptions"] >= at_least:
            return subsz
        if time.monotonic() > deadline:
            raise SystemExit(f"nats_subsz.py: server monitored on {port} counts {subsz['num_subscriptions']} subscriptions after {seconds} s, expected {at_least}")
        time.sleep(0.05)


def main():
    client_port = int(sys.argv[1])
    monitor_ports = [int(port) for port in sys.argv[2].split(",")]
    counts = [int(count) for count in sys.argv[3:]]
    print("| subscriptions held | server | subscriptions counted | match cache entries | resident MB |")
    print("|---:|---|---:|---:|---:|")
    for count in [0] + counts:
        before = {port: monitor(port, "subsz")["num_subscriptions"] for port in monitor_ports}
        conn = subscribe(client_port, count) if count else None
        for index, port in enumerate(monitor_ports):
            subsz = wait_for(port, before[port] + count)
            mem = monitor(port, "varz")["mem"] / 1e6
            where = "the subscriber's" if index == 0 else f"other {index}"
            print(f"| {count:,} | {where} | {subsz['num_subscriptions']:,} | {subsz['num_cache']:,} | {mem:.1f} |")
        if conn:
            conn.close()
            for port in monitor_ports:
                wait_for_drop(port, before[port])


def wait_for_drop(port, at_most, seconds=20):
    """Waits until the server at `port` counts no more than `at_most` subscriptions again."""
    deadline = time.monotonic() + seconds
    while monitor(port, "subsz")["num_subscriptions"] > at_most:
        if time.monotonic() > deadline:
            raise SystemExit(f"nats_subsz.py: server monitored on {port} still holds the subscriptions of a closed client after {seconds} s")
        time.sleep(0.05)


if __name__ == "__main__":
    main()
