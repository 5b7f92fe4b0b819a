#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target under Fuzz/Corpus/<target>/.

handshake: the frames of the real CPython transcripts in
           Tests/MPRelayProtocolTests/Vectors/handshake-vectors.json, laid out as fuzz-handshake
           reads them (mode byte, client digest byte, then length-prefixed frames).
envelope:  one frame body of every envelope kind, encoded as docs/PROTOCOL.md lays them out.
frames:    streams of framed envelopes and handshake frames, short and long headers.
config:    config/mprelay.toml and variants that reach every table of the loader.
cluster:   frames between nodes, bucket keys and claim values, behind fuzz-cluster's selector byte.
nats:      the bytes nats-server sent in Tests/MPRelayNATSTests/Vectors/*.bin, whole and in small
           chunks, under the default limits and under small ones.

Run it from anywhere after changing a layout or the vectors; it rewrites the corpus whole.
"""

import hashlib
import json
import shutil
import struct
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "Corpus"
VECTORS = ROOT / "Tests/MPRelayProtocolTests/Vectors/handshake-vectors.json"

# The key and nonces fuzz-handshake is built with; the transcripts must use them too.
TRANSCRIPT_KEY = b"mprelay handshake vectors"
LISTENER_NONCE = "eb60898ffc6b4471d01842112f58b4940c9cc7251f0e6c86d0b482a639cb1baae95024f057a5047b"
CLIENT_NONCE = "a566e1c45317c9889a16ca53532e7cafdbe2651d63fbb87985fcc44e2d050c6d96c0ba2f060db72f"
DIGESTS = ["md5", "sha256", "sha384", "sha3_256", "sha3_384"]  # HandshakeDigest.allCases


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


# MARK: handshake

def handshake_seed(mode, client_digest, frames):
    out = bytes([mode, client_digest])
    for frame in frames:
        assert len(frame) < 256, "fuzz-handshake frames carry a one-byte length"
        out += bytes([len(frame)]) + frame
    return out


def handshake_seeds():
    vectors = json.loads(VECTORS.read_text())["vectors"]
    for number, vector in enumerate(vectors, 1):
        # The listener always holds the key; a "wrong client key" transcript is a refusal.
        assert bytes.fromhex(vector["listener"]["authkey"]) == TRANSCRIPT_KEY, vector["name"]
        assert vector["listener"]["nonce"].startswith(LISTENER_NONCE[:40]), vector["name"]
        assert (vector["client"]["nonce"] or CLIENT_NONCE).startswith(CLIENT_NONCE[:40]), vector["name"]
        client = [bytes.fromhex(f["body"]) for f in vector["frames"] if f["from"] == "client"]
        listener = [bytes.fromhex(f["body"]) for f in vector["frames"] if f["from"] == "listener"]
        client_digest = vector["client"]["digest"]
        digest_index = DIGESTS.index(client_digest) if client_digest else 1
        stem = f"{number:02d}"
        # The broker's side: CPython's client frames. Transcripts whose listener challenged with
        # {sha256}, as ServerHandshake does, complete; the others fail at the reply.
        write("handshake", f"{stem}-server", handshake_seed(0x00, digest_index, client))
        # The client's side: CPython's listener frames. They complete when the client was modern,
        # so that its challenge is the one ClientHandshake sends.
        write("handshake", f"{stem}-client", handshake_seed(0x01, digest_index, listener))
        if number == 2:
            # The same frames against a secret key, two keys, legacy refused, min_digest sha384.
            write("handshake", f"{stem}-server-secret", handshake_seed(0x02, digest_index, client))
            write("handshake", f"{stem}-server-two-keys", handshake_seed(0x04, digest_index, client))
            write("handshake", f"{stem}-server-keys-reversed", handshake_seed(0x06, digest_index, client))
            write("handshake", f"{stem}-client-secret", handshake_seed(0x03, digest_index, listener))
            write("handshake", f"{stem}-server-min-sha384", handshake_seed(0x30, digest_index, client))
        if client_digest is None:
            write("handshake", f"{stem}-server-no-legacy", handshake_seed(0x08, digest_index, client))


# MARK: envelopes

def name(text):
    raw = text.encode() if isinstance(text, str) else text
    return bytes([len(raw)]) + raw


def u16(value):
    return struct.pack(">H", value)


def u64(value):
    return struct.pack(">Q", value)


def message(kind, options, flags, correlation, peer, payload):
    return bytes([kind, options, flags]) + u64(correlation) + name(peer) + payload


ENVELOPES = {
    "hello": bytes([0x01, 1]) + name("worker-1"),
    "hello-long-name": bytes([0x01, 1]) + name("n" * 255),
    "welcome": bytes([0x02, 1]) + u64(16 << 20),
    "send": message(0x03, 0x00, 0x00, 0, "coordinator", b"payload"),
    "send-confirm-reply-pickle": message(0x03, 0x03, 0x01, 42, "worker-7", b"\x80\x05\x95\x05\x00\x00\x00\x00\x00\x00\x00K*."),
    "send-empty-payload": message(0x03, 0x01, 0x00, 1, "b", b""),
    "deliver": message(0x04, 0x00, 0x00, 0, "worker-1", b"result"),
    "deliver-reply": message(0x04, 0x02, 0x01, 0x0102030405060708, "caf\u00e9", bytes(range(256))),
    "error": bytes([0x05]) + u16(1) + u64(7) + name("b") + b"no peer named b",
    "error-unknown-code": bytes([0x05]) + u16(999) + u64(0) + name(b"\xff" * 3) + "\u00fcn\u00efcode".encode(),
    "ack": bytes([0x06]) + u64(7),
    "ping": bytes([0x07]) + u64(2**64 - 1),
    "pong": bytes([0x08]) + u64(1),
    "goodbye-leaving": bytes([0x09]) + u16(0),
    "goodbye-shutting-down": bytes([0x09]) + u16(1) + b"mprelay is shutting down",
    "list": bytes([0x0A]) + u64(3),
    "peer-list": bytes([0x0B]) + u64(4) + struct.pack(">I", 3) + name("a") + name("b") + name("\u540d\u524d"),
    "peer-list-empty": bytes([0x0B]) + u64(3) + struct.pack(">I", 0),
    "watch-on": bytes([0x0C]) + u64(9) + b"\x01",
    "watch-off": bytes([0x0C]) + u64(10) + b"\x00",
    "joined": bytes([0x0D]) + name("worker-2"),
    "left": bytes([0x0E]) + name("\u540d\u524d"),
}


def frame(body, long=False):
    if long:
        return b"\xff\xff\xff\xff" + struct.pack(">Q", len(body)) + body
    return struct.pack(">I", len(body)) + body


def envelope_and_frame_seeds():
    for label, body in ENVELOPES.items():
        write("envelope", label, body)
    # fuzz-frames: [chunking] [limit] [directives] [new limit] stream.
    everything = b"".join(frame(body) for body in ENVELOPES.values())
    write("frames", "all-kinds-one-read", bytes([0, 255, 0x00, 0]) + everything)
    write("frames", "all-kinds-chunks-of-1-to-7", bytes([6, 255, 0x00, 0]) + everything)
    write("frames", "all-kinds-limit-64", bytes([13, 64, 0x00, 0]) + everything)
    write("frames", "long-headers", bytes([5, 200, 0x00, 0]) + b"".join(frame(b, long=True) for b in ENVELOPES.values() if len(b) <= 200))
    write("frames", "stop-after-3", bytes([9, 255, 0x30, 0]) + everything)
    write("frames", "too-large", bytes([3, 16, 0x00, 0]) + frame(b"x" * 17))
    write("frames", "negative-length", bytes([1, 16, 0x00, 0]) + b"\xff\xff\xff\xfe")
    vectors = json.loads(VECTORS.read_text())["vectors"]
    client = [bytes.fromhex(f["body"]) for f in vectors[1]["frames"] if f["from"] == "client"]
    hello = frame(ENVELOPES["hello"]) + frame(ENVELOPES["send"])
    # A client's whole stream: two handshake frames under the 256-byte limit, then (after the
    # handler raises the limit, as the broker does at the end of the handshake) envelopes.
    write("frames", "handshake-then-envelopes", bytes([7, 255, 0x03, 255]) + b"".join(frame(b) for b in client) + hello)


# MARK: config

CONFIGS = {
    "inline-key": """\
[[endpoint]]
address = "127.0.0.1:6000"
authkey = "development key"
""",
    "key-file": """\
# fuzz-config runs in a directory holding a key file named authkey.
[broker]
log_level = "debug"
max_message_bytes = 1048576
max_outbound_bytes = 4194304
slow_consumer_timeout = 0
auth_failure_limit = 5
auth_failure_window = 30.5
auth_failure_penalty = 120
idle_timeout = 0
drain_timeout = 1.5

[[endpoint]]
address = "[::1]:6001"
authkey_file = "authkey"
min_digest = "sha3_256"

[[endpoint]]
address = "/tmp/mprelay-fuzz.sock"
authkey_file = "authkey"
mode = "0600"

[[endpoint]]
address = "@mprelay-fuzz"
authkey = "k"
""",
    "principals": """\
[[principal]]
name = "workers"
authkey = ["old key", "new key"]
may_register = ["worker-*"]
may_send_to = ["coordinator", "worker-*"]
max_connections = 500
max_names = 4

[[principal]]
name = "coordinator"
authkey_file = "authkey"
may_register = ["coordinator"]
may_send_to = ["worker-*"]
may_list = true
on_name_conflict = "replace"

[[endpoint]]
address = "0.0.0.0:6000"
principals = ["workers", "coordinator"]
min_digest = "sha256"
""",
    "control": """\
[control]
enabled = true
socket = "/run/mprelay/control.sock"
mode = 0o600
allow_users = ["root", 1000]
allow_groups = ["0", "root"]
max_clients = 4
max_request_bytes = 4096
max_answer_bytes = 1048576
client_timeout = 2.5

[[endpoint]]
address = "localhost:0"
authkey = "k"
""",
    "cluster": """\
[cluster]
node = "node-a"
name = "prod"
nats = ["nats://127.0.0.1:4222", "10.0.0.2:4223", "nats://[::1]"]
nats_token_file = "authkey"
name_lease = 5
nats_timeout = 0.5
max_pending_bytes = 65536

[[endpoint]]
address = "127.0.0.1:6000"
authkey = "k"
""",
    "errors": """\
[broker]
max_message_bytes = 70000000000000000000
handshake_timeout = nan
[[endpoint]]
address = "\\\\\\\\.\\\\pipe\\\\x"
authkey_credential = "key"
""",
    "toml-forms": """\
title = 'literal'
multi = \"\"\"
lines\"\"\"
date = 1979-05-27T07:32:00-08:00
local = 07:32:00
inline = { a = 1, b = [1.5, -inf, +nan, 0x7f, 0b101, 1e300] }
[a.b."c d"]
[[endpoint]]
address = "127.0.0.1:6000"
""",
    "toml-strings-and-tables": (
        '\ufeffbasic = "tab\\t quote\\" \\u00e9 \\U0001F600"\r\n'
        'trimmed = """\\\r\n    a \\\n    b"""\r\n'
        "raw = '''\r\nit's raw'''''\r\n"
        "dotted . \"key\" . 'x' = 1_000\r\n"
        "when = 1979-05-27 07:32:00.999999999Z\r\n"
        "[[endpoint]] # comment\r\n"
        'address = "\\u0000mprelay-fuzz"\r\n'
        'authkey = "k"\r\n'
        "[[endpoint]]\r\n"
        'address = "127.0.0.1:6000"\r\n'
        'authkey = "k"\r\n'
    ),
    # Inputs that aborted TOMLKit, the parser mprelay used before its own.
    "malformed-header": "[=\n",
    "malformed-array": "b=[1,}\n",
    "malformed-date": "t=1979-05-27T:\n",
}


def config_seeds():
    write("config", "mprelay.toml", (ROOT / "config/mprelay.toml").read_bytes())
    for label, text in CONFIGS.items():
        write("config", label + ".toml", text.encode())


def nats_seeds():
    # fuzz-nats reads [chunking] [limits] then the stream; limits 0 means the parser's defaults.
    for vector in sorted((ROOT / "Tests/MPRelayNATSTests/Vectors").glob("*.bin")):
        stream = vector.read_bytes()
        write("nats", vector.stem, bytes([0, 0]) + stream)
        write("nats", vector.stem + "-chunks-small-limits", bytes([7, 0x44]) + stream)


def cluster_seeds():
    # fuzz-cluster reads a selector byte (0 frame, 1 key, 2 claim) then the input.
    deliver = bytes([0x04, 0x02, 0x01]) + struct.pack(">Q", 42) + bytes([5]) + b"alice" + b"payload"
    # epoch 9, first sequence 3, two entries: connection 7 for bob, then with confirm for carol
    entries = b""
    for flags, receiver in [(0, b"bob"), (1, b"carol")]:
        entry = bytes([flags]) + struct.pack(">Q", 7) + bytes([len(receiver)]) + receiver + deliver
        entries += struct.pack(">I", len(entry)) + entry
    header = bytes([0x01]) + struct.pack(">QQ", 9, 3) + bytes([6]) + b"node-a" + struct.pack(">I", 2)
    write("cluster", "delivery", bytes([0]) + header + entries)
    lost = struct.pack(">QQQQ", 2, 3, 5, 5)
    refused = bytes([1]) + struct.pack(">QQH", 4, 4, 6)
    write("cluster", "acknowledgement", bytes([0, 0x04]) + struct.pack(">QQ", 9, 6) + bytes([6]) + b"node-b" + bytes([2]) + lost + refused)
    write("cluster", "outcome-ack", bytes([0, 0x02]) + struct.pack(">Q", 7) + bytes([0x06]) + struct.pack(">Q", 42))
    error = bytes([0x05]) + struct.pack(">HQ", 6, 42) + bytes([3]) + b"bob" + b"peer busy"
    write("cluster", "outcome-error", bytes([0, 0x02]) + struct.pack(">Q", 7) + error)
    for label, key in [("key-name", b"name.worker-1"), ("key-escaped", b"name.a=2Eb=C3=A9"), ("key-node", b"node.node-a")]:
        write("cluster", label, bytes([1]) + key)
    write("cluster", "claim", bytes([2]) + b"node-a beef 12")


def main():
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    handshake_seeds()
    envelope_and_frame_seeds()
    config_seeds()
    nats_seeds()
    cluster_seeds()
    for target in sorted(p.name for p in CORPUS.iterdir()):
        files = sorted((CORPUS / target).iterdir())
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()
