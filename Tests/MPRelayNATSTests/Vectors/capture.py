#!/usr/bin/env python3
"""Records what a real nats-server sends, as the parser's test vectors.

    capture.py NATS_SERVER_BINARY OUTPUT_DIRECTORY

Starts the given nats-server on a free 127.0.0.1 port with JetStream in a temporary store, runs
one short exchange per vector over a raw socket, and writes every byte the server sent in that
exchange to OUTPUT_DIRECTORY/<name>.bin (the INFO line that opens each connection is dropped,
except in info.bin). The server is stopped by its PID at the end.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Wire:
    def __init__(self, port, connect=b'{"verbose":false,"headers":true,"no_responders":true}'):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(5)
        self.info = self.read_until(b"\r\n")
        self.sock.sendall(b"CONNECT " + connect + b"\r\nPING\r\n")
        self.read_until(b"PONG\r\n")

    def read_until(self, marker, after=b""):
        """Reads until `marker` appears (after the first `after`, when given)."""
        data = b""
        while after not in data or marker not in data[data.index(after) + len(after):]:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    def exchange(self, commands, marker=b"PONG\r\n", after=b""):
        """Sends commands then PING, returns what came back up to the PONG (or marker)."""
        self.sock.sendall(commands + b"PING\r\n")
        return self.read_until(marker, after)

    def close(self):
        self.sock.close()


def main():
    binary, output = sys.argv[1], Path(sys.argv[2])
    output.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as store:
        config = Path(store) / "capture.conf"
        config.write_text(f'listen: "127.0.0.1:{port}"\nping_interval: "1s"\n'
                          f'jetstream {{ store_dir: "{store}" }}\n')
        server = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.05)
            record(port, output)
        finally:
            server.terminate()
            server.wait()


def pub(subject, payload, reply=b""):
    reply = b" " + reply if reply else b""
    return b"PUB %s%s %d\r\n%s\r\n" % (subject, reply, len(payload), payload)


def hpub(subject, headers, payload, reply=b""):
    reply = b" " + reply if reply else b""
    return b"HPUB %s%s %d %d\r\n%s%s\r\n" % (subject, reply, len(headers), len(headers) + len(payload),
                                             headers, payload)


def record(port, output):
    def save(name, data):
        (output / f"{name}.bin").write_bytes(data)

    wire = Wire(port)
    save("info", wire.info)
    save("msg", wire.exchange(b"SUB greet 1\r\n" + pub(b"greet", b"hello") + pub(b"greet", b"", b"reply.to")))
    save("hmsg", wire.exchange(
        b"SUB head 2\r\n" + hpub(b"head", b"NATS/1.0\r\nA: one\r\nA: two\r\nB:x\r\n\r\n", b"hello", b"reply")
        + hpub(b"head", b"NATS/1.0\r\n\r\n", b"")))
    save("no-responders", wire.exchange(b"SUB _INBOX.capture 3\r\n" + pub(b"nobody.home", b"", b"_INBOX.capture")))
    inbox = b"_INBOX.js"
    stream = (b'{"name":"KV_cap","subjects":["$KV.cap.>"],"max_msgs_per_subject":1,"discard":"new",'
              b'"allow_rollup_hdrs":true,"deny_delete":true,"allow_direct":true,"num_replicas":1,'
              b'"storage":"file","max_age":0}')
    wire.exchange(b"SUB _INBOX.js 4\r\n")
    save("stream-create", wire.exchange(pub(b"$JS.API.STREAM.CREATE.KV_cap", stream, inbox), b"}\r\n"))
    save("pub-ack", wire.exchange(pub(b"$KV.cap.k1", b"one", inbox), b"}\r\n"))
    save("wrong-last-sequence", wire.exchange(
        hpub(b"$KV.cap.k1", b"NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 0\r\n\r\n", b"two", inbox), b"}\r\n"))
    save("direct-get", wire.exchange(pub(b"$JS.API.DIRECT.GET.KV_cap.$KV.cap.k1", b"", inbox)))
    save("direct-get-404", wire.exchange(pub(b"$JS.API.DIRECT.GET.KV_cap.$KV.cap.none", b"", inbox)))
    consumer = (b'{"stream_name":"KV_cap","config":{"deliver_subject":"_INBOX.watch",'
                b'"deliver_policy":"last_per_subject","ack_policy":"none","filter_subject":"$KV.cap.>",'
                b'"flow_control":true,"idle_heartbeat":100000000,"mem_storage":true}}')
    wire.exchange(b"SUB _INBOX.watch 5\r\n")
    save("consumer", wire.exchange(pub(b"$JS.API.CONSUMER.CREATE.KV_cap", consumer, inbox), b"\r\n\r\n\r\n", b"Idle Heartbeat"))
    save("unknown-operation", wire.exchange(b"BOGUS\r\n", b"\r\n"))
    wire.close()

    wire = Wire(port)
    save("server-ping", wire.read_until(b"PING\r\n"))
    wire.close()

    wire = Wire(port, b'{"verbose":true}')
    save("ok", wire.exchange(b"SUB ok 1\r\n"))
    wire.close()


if __name__ == "__main__":
    main()
