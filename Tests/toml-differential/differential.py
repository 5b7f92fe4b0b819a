#!/usr/bin/env python3
"""Differential test of mprelay's TOML parser against CPython's tomllib.

    differential.py --decoder PATH [--count N] [--seed S] [--corpus DIR ...]

Generates N documents (toml_generator.py) plus every file of the corpus directories, has
tomllib and the toml-decode program (which streams them through MPRelayTOML) parse each, and
fails unless both reach the same verdict and, for a valid document, the same values. Prints the
seed, so that a failure replays with --seed.

Comparison rules: floats by value (nan equals nan), date-times by their fields with fractions
of a second truncated to microseconds (tomllib's precision), integers outside 64 bits count as
invalid (TOML 1.0 requires an error for them; tomllib has arbitrary precision). A leading byte
order mark is dropped before tomllib sees the text: both parsers then skip it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import time

import tomllib

from toml_generator import Generator

INT64 = range(-(2**63), 2**63)
TAGGED_DATETIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?)?$|(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$"
)


class OutOfRange(Exception):
    """A value tomllib accepts and TOML 1.0 refuses."""


def python_verdict(document: bytes):
    """tomllib's value for the document, or None if it is refused."""
    try:
        text = document.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return tag(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, OutOfRange):
        return None


def tag(value):
    """A tomllib value in the comparable form."""
    if isinstance(value, dict):
        return {key: tag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tag(item) for item in value]
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        if value not in INT64:
            raise OutOfRange(value)
        return ("integer", value)
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        fields = (value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
        if offset is None:
            return ("datetime-local", fields)
        return ("datetime", fields + (int(offset.total_seconds()) // 60,))
    if isinstance(value, datetime.date):
        return ("date-local", (value.year, value.month, value.day))
    if isinstance(value, datetime.time):
        return ("time-local", (value.hour, value.minute, value.second, value.microsecond))
    raise TypeError(f"unexpected tomllib value {value!r}")


def untag(value):
    """A toml-decode value in the comparable form."""
    if isinstance(value, list):
        return [untag(item) for item in value]
    if set(value) != {"type", "value"} or not isinstance(value["value"], str):
        return {key: untag(item) for key, item in value.items()}
    kind, text = value["type"], value["value"]
    if kind == "string":
        return (kind, text)
    if kind == "integer":
        return (kind, int(text))
    if kind == "bool":
        return (kind, {"true": True, "false": False}[text])
    if kind == "float":
        number = float(text)
        return (kind, "nan" if math.isnan(number) else number)
    match = TAGGED_DATETIME.match(text)
    if not match:
        raise ValueError(f"toml-decode printed a malformed {kind}: {text!r}")
    groups = match.groups()
    if kind == "time-local":
        hour, minute, second, fraction = groups[8:]
        return (kind, (int(hour), int(minute), int(second), micros(fraction)))
    year, month, day, hour, minute, second, fraction, offset = groups[:8]
    if kind == "date-local":
        return (kind, (int(year), int(month), int(day)))
    fields = (int(year), int(month), int(day), int(hour), int(minute), int(second), micros(fraction))
    if kind == "datetime-local":
        return (kind, fields)
    minutes = 0 if offset == "Z" else (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    return (kind, fields + (minutes,))


def micros(fraction: str | None) -> int:
    return int((fraction or "").ljust(6, "0")[:6])


def swift_verdicts(decoder: str, documents: list[bytes]) -> list[dict]:
    stream = b"".join(b"%d\n%s" % (len(document), document) for document in documents)
    result = subprocess.run([decoder], input=stream, capture_output=True, check=False)
    if result.returncode != 0:
        sys.exit(f"differential: {decoder} exited with {result.returncode}: {result.stderr.decode(errors='replace')}")
    lines = result.stdout.split(b"\n")[:-1]
    if len(lines) != len(documents):
        sys.exit(f"differential: {decoder} answered {len(lines)} documents of {len(documents)}")
    return [json.loads(line) for line in lines]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoder", required=True, help="the toml-decode executable")
    parser.add_argument("--count", type=int, default=5000, help="generated documents (default 5000)")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: from the clock)")
    parser.add_argument("--corpus", action="append", default=[], help="a directory of documents to add")
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else int.from_bytes(os.urandom(4), "big")
    print(f"differential: seed {seed} (replay with --seed {seed}), tomllib of Python {sys.version.split()[0]}")

    corpus = [path.read_bytes() for directory in options.corpus
              for path in sorted(pathlib.Path(directory).rglob("*")) if path.is_file()]
    generator = Generator(seed)
    documents = corpus + [generator.document(corpus) for _ in range(options.count)]
    started = time.monotonic()
    answers = swift_verdicts(options.decoder, documents)

    valid = invalid = 0
    failures = []
    for document, answer in zip(documents, answers):
        expected = python_verdict(document)
        actual = untag(answer["ok"]) if "ok" in answer else None
        if expected is None and actual is None:
            invalid += 1
        elif expected is not None and expected == actual:
            valid += 1
        else:
            failures.append((document, expected, answer))
    elapsed = time.monotonic() - started
    for document, expected, answer in failures[:10]:
        print(f"MISMATCH on {document!r}\n  tomllib:     {'refused' if expected is None else expected}\n  MPRelayTOML: {answer}")
    print(f"differential: {len(documents)} documents ({len(corpus)} from the corpus) in {elapsed:.1f} s: "
          f"{valid} valid and {invalid} invalid alike, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
