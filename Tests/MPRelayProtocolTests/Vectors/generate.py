#!/usr/bin/env python3
"""Records multiprocessing.connection handshakes between real CPython interpreters.

The mprelay protocol tests replay these transcripts against ServerHandshake and ClientHandshake,
so the Swift handshake is checked against CPython itself, byte for byte, without needing Python
when the tests run.

Every scenario connects two interpreters over a socketpair. The listener runs what
Listener.accept() runs (deliver_challenge, then answer_challenge); the client runs what Client()
runs (answer_challenge, then deliver_challenge). os.urandom is patched in each process to return a
fixed nonce, so the transcript is reproducible. Modern interpreters (3.12 and later) are given
digest_name= explicitly; legacy ones (3.11 and older) always use a 20-byte challenge and raw
16-byte HMAC-MD5 replies.

Usage, from the repository root:

    PY=$(pyenv root)/versions
    python3 Tests/MPRelayProtocolTests/Vectors/generate.py \\
        --python 3.8=$PY/3.8.18/bin/python3.8 \\
        --python 3.11=$PY/3.11.7/bin/python3.11 \\
        --python 3.12=$PY/3.12.1/bin/python3.12 \\
        --python 3.13=$PY/3.13.0/bin/python3.13 \\
        --out Tests/MPRelayProtocolTests/Vectors/handshake-vectors.json

The script re-runs itself under each interpreter with --role; it needs only the standard library
and must stay runnable by CPython 3.8.
"""

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys

DIGESTS = ["md5", "sha256", "sha384", "sha3_256", "sha3_384"]
MODERN = ["3.12", "3.13"]
AUTHKEY = b"mprelay handshake vectors"
WRONG_AUTHKEY = b"not the mprelay authkey"
# Deterministic, random-looking nonces; each role draws the first MESSAGE_LENGTH bytes.
LISTENER_NONCE = hashlib.sha512(b"mprelay listener nonce").digest()[:40]
CLIENT_NONCE = hashlib.sha512(b"mprelay client nonce").digest()[:40]


def is_modern(version):
    return version in MODERN


# --- one side of the handshake, run under the interpreter being recorded ---------------------

class RecordingConnection(object):
    """Wraps a Connection and logs every frame body sent and received, in order."""

    def __init__(self, connection):
        self.connection = connection
        self.frames = []

    def send_bytes(self, body):
        self.frames.append(["out", bytes(body).hex()])
        self.connection.send_bytes(body)

    def recv_bytes(self, maxlength=None):
        body = self.connection.recv_bytes(maxlength)
        self.frames.append(["in", body.hex()])
        return body


def run_role(args):
    import multiprocessing.connection as mpc

    nonce = bytes.fromhex(args.nonce)
    drawn = []

    def fixed_urandom(count):
        assert count <= len(nonce), "asked for %d random bytes" % count
        drawn.append(nonce[:count])
        return nonce[:count]

    os.urandom = fixed_urandom
    key = bytes.fromhex(args.key)
    connection = RecordingConnection(mpc.Connection(args.fd))

    def deliver():
        if args.digest:
            mpc.deliver_challenge(connection, key, digest_name=args.digest)
        else:
            mpc.deliver_challenge(connection, key)

    result = "ok"
    try:
        if args.role == "listener":
            deliver()
            mpc.answer_challenge(connection, key)
        else:
            mpc.answer_challenge(connection, key)
            deliver()
    except (mpc.AuthenticationError, EOFError, OSError) as error:
        result = "%s: %s" % (type(error).__name__, error)
    finally:
        connection.connection.close()
    json.dump({
        "python": "%d.%d.%d" % sys.version_info[:3],
        "nonce": drawn[0].hex() if drawn else None,
        "frames": connection.frames,
        "result": result,
    }, sys.stdout)


# --- the orchestrator: pairs interpreters and writes the JSON file ----------------------------

def scenarios():
    """(listener version, listener digest, client version, client digest, client key) tuples."""
    found = []
    for version in MODERN:
        for digest in DIGESTS:
            found.append((version, digest, version, digest, AUTHKEY))
        for digest in DIGESTS:
            if digest != "sha256":
                found.append((version, "sha256", version, digest, AUTHKEY))
    for version in ["3.8", "3.11"]:
        found.append((version, None, version, None, AUTHKEY))
    found.append(("3.13", "sha256", "3.11", None, AUTHKEY))
    found.append(("3.11", None, "3.13", "sha256", AUTHKEY))
    found.append(("3.12", "sha256", "3.8", None, AUTHKEY))
    found.append(("3.8", None, "3.12", "sha256", AUTHKEY))
    found.append(("3.13", "sha256", "3.13", "sha256", WRONG_AUTHKEY))
    found.append(("3.13", "sha256", "3.11", None, WRONG_AUTHKEY))
    return found


def describe(version, digest):
    return "%s {%s}" % (version, digest) if digest else "%s legacy" % version


def spawn(executable, role, sock, digest, nonce, key):
    command = [executable, os.path.abspath(__file__), "--role", role, "--fd", str(sock.fileno()),
               "--nonce", nonce.hex(), "--key", key.hex()]
    if digest:
        command += ["--digest", digest]
    return subprocess.Popen(command, pass_fds=(sock.fileno(),), stdout=subprocess.PIPE)


def record(pythons, listener_version, listener_digest, client_version, client_digest, client_key):
    listener_socket, client_socket = socket.socketpair()
    listener = spawn(pythons[listener_version], "listener", listener_socket, listener_digest,
                     LISTENER_NONCE, AUTHKEY)
    client = spawn(pythons[client_version], "client", client_socket, client_digest,
                   CLIENT_NONCE, client_key)
    listener_socket.close()
    client_socket.close()
    sides = {}
    for role, process, version in [("listener", listener, listener_version),
                                   ("client", client, client_version)]:
        out, _ = process.communicate(timeout=60)
        if process.returncode != 0:
            sys.exit("the %s under %s failed" % (role, version))
        sides[role] = json.loads(out)
        if not sides[role]["python"].startswith(version + "."):
            sys.exit("%s is not CPython %s" % (pythons[version], version))
    mirrored = [["in" if way == "out" else "out", body] for way, body in sides["client"]["frames"]]
    if mirrored != sides["listener"]["frames"]:
        sys.exit("the two sides saw different frames")
    name = "%s listener, %s client" % (describe(listener_version, listener_digest),
                                       describe(client_version, client_digest))
    if client_key != AUTHKEY:
        name += ", wrong client key"
    return {
        "name": name,
        "listener": {
            "python": sides["listener"]["python"],
            "digest": listener_digest,
            "authkey": AUTHKEY.hex(),
            "nonce": sides["listener"]["nonce"],
            "result": sides["listener"]["result"],
        },
        "client": {
            "python": sides["client"]["python"],
            "digest": client_digest,
            "authkey": client_key.hex(),
            "nonce": sides["client"]["nonce"],
            "result": sides["client"]["result"],
        },
        "frames": [{"from": "listener" if way == "out" else "client", "body": body}
                   for way, body in sides["listener"]["frames"]],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", default=[], metavar="VERSION=EXECUTABLE")
    parser.add_argument("--out", default="-")
    parser.add_argument("--role", choices=["listener", "client"], help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--digest", help=argparse.SUPPRESS)
    parser.add_argument("--nonce", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        run_role(args)
        return
    pythons = dict(item.split("=", 1) for item in args.python)
    missing = sorted(({"3.8", "3.11"} | set(MODERN)) - set(pythons))
    if missing:
        sys.exit("give --python for %s" % ", ".join(missing))
    vectors = [record(pythons, *scenario) for scenario in scenarios()]
    document = {
        "description": "multiprocessing.connection handshakes recorded between CPython "
                       "interpreters by generate.py; frame bodies in hex, in order",
        "vectors": vectors,
    }
    text = json.dumps(document, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
