"""Random TOML documents, valid and invalid, for the differential test against tomllib.

Structure-aware: documents are built statement by statement from random keys (a small pool, so
that tables and keys collide and the redefinition rules get exercised), every string form with
escapes, every number form, dates and times, arrays and inline tables; then some are mutated by
inserting, deleting or repeating the characters TOML gives meaning to. Nothing here decides
whether a document is valid: tomllib does.
"""

from __future__ import annotations

import random

BARE_KEYS = ["a", "b", "c", "key", "x-y", "_1", "1", "0x1", "true", "inf", "2001-01-01", "é"]
ESCAPES = ["\\n", "\\t", "\\b", "\\f", "\\r", "\\\"", "\\\\", "\\u00e9", "\\U0001F600", "\\u0000",
           "\\uD800", "\\U00110000", "\\e", "\\x41", "\\u12", "\\ ", "\\"]
TEXT_PIECES = ["a", "Z", " ", "\t", "é", "日本", "😀", "#", "=", "[", "]", "{", "}", ",", ".", "'",
               "\"", "\x00", "\x01", "\x7f", "\r", "\n", "\u2028", "\ufeff"]
MUTATION_TOKENS = ["[", "]", "[[", "]]", "=", "\"", "'", "\"\"\"", "'''", "\n", "\r\n", "\r", "#",
                   ",", "{", "}", ".", "\\", "\x00", "\x7f", "é", " ", "\t", "T", ":", "-", "+",
                   "_", "e", "0x", "0", "9", "inf", "nan", "true", "\ufeff", "\\u"]


class Generator:
    """Documents from one seeded random stream."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def document(self, corpus: list[bytes]) -> bytes:
        """One document: generated, a mutation of a generated or corpus document, or a single
        value drawn from the number, date or string grammars."""
        choice = self.random.random()
        if choice < 0.35:
            return self.structured().encode()
        if choice < 0.55:
            return self.single_value().encode()
        base = self.random.choice(corpus) if corpus and choice < 0.7 else self.structured().encode()
        return self.mutate(base)

    # Whole documents.

    def structured(self) -> str:
        lines = []
        for _ in range(self.random.randint(0, 4)):
            lines.append(self.key_value(0))
        for _ in range(self.random.randint(0, 4)):
            path = self.dotted_key(self.random.randint(1, 3))
            header = f"[[{path}]]" if self.random.random() < 0.3 else f"[{path}]"
            lines.append(self.spaced(header) + self.comment())
            for _ in range(self.random.randint(0, 3)):
                lines.append(self.key_value(0))
        newline = "\r\n" if self.random.random() < 0.1 else "\n"
        bom = "\ufeff" if self.random.random() < 0.03 else ""
        return bom + newline.join(lines) + (newline if self.random.random() < 0.8 else "")

    def key_value(self, depth: int) -> str:
        key = self.dotted_key(self.random.choice([1, 1, 1, 2, 3]))
        return f"{self.blank()}{key}{self.blank()}={self.blank()}{self.value(depth)}{self.comment()}"

    def dotted_key(self, parts: int) -> str:
        return ".".join(self.spaced(self.key_part()) if self.random.random() < 0.1 else self.key_part()
                        for _ in range(parts))

    def key_part(self) -> str:
        roll = self.random.random()
        if roll < 0.75:
            return self.random.choice(BARE_KEYS[:6])
        if roll < 0.85:
            return self.random.choice(BARE_KEYS)
        if roll < 0.95:
            return self.basic_string(allow_newlines=False)
        return self.literal_string()

    def value(self, depth: int) -> str:
        roll = self.random.random()
        if depth < 6 and roll < 0.12:
            return self.array(depth + 1)
        if depth < 6 and roll < 0.2:
            return self.inline_table(depth + 1)
        return self.scalar()

    def array(self, depth: int) -> str:
        items = [self.value(depth) for _ in range(self.random.randint(0, 4))]
        separator = self.random.choice([", ", ",", " , ", ",\n  ", ", # c\n"])
        trailing = self.random.choice(["", "", ",", ",\n"])
        return "[" + self.blank() + separator.join(items) + trailing + "]"

    def inline_table(self, depth: int) -> str:
        items = [f"{self.dotted_key(self.random.choice([1, 1, 2]))} = {self.value(depth)}"
                 for _ in range(self.random.randint(0, 3))]
        return "{" + self.blank() + ", ".join(items) + self.blank() + "}"

    # Scalars.

    def scalar(self) -> str:
        kind = self.random.choice(["basic", "literal", "ml-basic", "ml-literal", "integer", "float",
                                   "bool", "datetime", "date", "time"])
        return {
            "basic": lambda: self.basic_string(allow_newlines=False),
            "literal": self.literal_string,
            "ml-basic": lambda: '"""' + self.random.choice(["", "\n"]) + self.text(True) + '"""',
            "ml-literal": lambda: "'''" + self.random.choice(["", "\n"]) + self.raw_text(True) + "'''",
            "integer": self.integer,
            "float": self.float,
            "bool": lambda: self.random.choice(["true", "false"]),
            "datetime": lambda: self.date() + self.random.choice("Tt ") + self.time() + self.offset(),
            "date": self.date,
            "time": self.time,
        }[kind]()

    def basic_string(self, allow_newlines: bool) -> str:
        return '"' + self.text(allow_newlines) + '"'

    def literal_string(self) -> str:
        return "'" + self.raw_text(False) + "'"

    def text(self, allow_newlines: bool) -> str:
        pieces = []
        for _ in range(self.random.randint(0, 5)):
            if self.random.random() < 0.3:
                escape = self.random.choice(ESCAPES)
                if allow_newlines and self.random.random() < 0.2:
                    escape = "\\" + self.random.choice(["", " ", "\t "]) + "\n  "
                pieces.append(escape)
            else:
                pieces.append(self.safe_piece(allow_newlines).replace("\\", "").replace('"', "'"))
        return "".join(pieces)

    def raw_text(self, allow_newlines: bool) -> str:
        return "".join(self.safe_piece(allow_newlines).replace("'", '"')
                       for _ in range(self.random.randint(0, 5)))

    def safe_piece(self, allow_newlines: bool) -> str:
        piece = self.random.choice(TEXT_PIECES)
        if self.random.random() < 0.85 and (piece in "\x00\x01\x7f\r" or (piece == "\n" and not allow_newlines)):
            return "x"
        return piece

    def integer(self) -> str:
        roll = self.random.random()
        if roll < 0.15:
            return self.random.choice(["0x", "0o", "0b"]) + self.digits("0123456789abcdefABCDEF_", 1, 17)
        if roll < 0.25:
            return self.random.choice(["9223372036854775807", "-9223372036854775808", "9223372036854775808",
                                       "-9223372036854775809", "0x7fffffffffffffff", "0x8000000000000000"])
        return self.random.choice(["", "", "+", "-"]) + self.digits("0123456789_", 1, 6)

    def float(self) -> str:
        roll = self.random.random()
        if roll < 0.1:
            return self.random.choice(["", "+", "-"]) + self.random.choice(["inf", "nan"])
        text = self.random.choice(["", "+", "-"]) + self.digits("0123456789_", 1, 4)
        if self.random.random() < 0.7:
            text += "." + self.digits("0123456789_", 0 if self.random.random() < 0.05 else 1, 5)
        if self.random.random() < 0.5:
            text += self.random.choice("eE") + self.random.choice(["", "+", "-"]) + self.digits("0123456789_", 1, 3)
        return text

    def digits(self, alphabet: str, low: int, high: int) -> str:
        weighted = alphabet.replace("_", "") * 6 + "_"
        return "".join(self.random.choice(weighted) for _ in range(self.random.randint(low, high)))

    def date(self) -> str:
        if self.random.random() < 0.8:
            return f"{self.random.randint(1, 9999):04d}-{self.random.randint(1, 12):02d}-{self.random.randint(1, 28):02d}"
        year = self.random.choice(["1979", "2000", "2024", "1900", "0000", "0001", "9999"])
        month = self.random.choice(["01", "02", "05", "12", "13", "00", "1"])
        day = self.random.choice(["01", "27", "28", "29", "30", "31", "32", "00"])
        return f"{year}-{month}-{day}"

    def time(self) -> str:
        if self.random.random() < 0.8:
            text = f"{self.random.randint(0, 23):02d}:{self.random.randint(0, 59):02d}:{self.random.randint(0, 59):02d}"
        else:
            hour = self.random.choice(["00", "07", "23", "24", "7"])
            minute = self.random.choice(["00", "32", "59", "60"])
            second = self.random.choice(["00", "59", "60", ""])
            text = f"{hour}:{minute}" + (f":{second}" if second else "")
        if self.random.random() < 0.3:
            text += "." + self.digits("0123456789", 0 if self.random.random() < 0.1 else 1, 12)
        return text

    def offset(self) -> str:
        if self.random.random() < 0.3:
            return f"{self.random.choice('+-')}{self.random.randint(0, 23):02d}:{self.random.randint(0, 59):02d}"
        return self.random.choice(["", "", "Z", "z", "+00:00", "-07:00", "+05:30", "+24:00", "-00:60", "+5:00"])

    def single_value(self) -> str:
        return f"v = {self.scalar()}" + self.random.choice(["", "\n", " # c\n", " x\n", ",\n"])

    # Small pieces and mutations.

    def blank(self) -> str:
        return self.random.choice(["", "", "", " ", "  ", "\t"])

    def spaced(self, text: str) -> str:
        return self.blank() + text + self.blank()

    def comment(self) -> str:
        return "" if self.random.random() < 0.8 else self.blank() + "#" + self.raw_text(False)

    def mutate(self, document: bytes) -> bytes:
        text = bytearray(document)
        for _ in range(self.random.randint(1, 3)):
            position = self.random.randint(0, len(text))
            roll = self.random.random()
            if roll < 0.45:
                token = self.random.choice(MUTATION_TOKENS).encode()
                text[position:position] = token
            elif roll < 0.75 and text:
                del text[position:position + self.random.randint(1, 3)]
            elif roll < 0.9:
                lines = bytes(text).split(b"\n")
                line = self.random.choice(lines)
                lines.insert(self.random.randint(0, len(lines)), line)
                text = bytearray(b"\n".join(lines))
            else:
                text[position:position] = bytes([self.random.choice([0xFF, 0xC3, 0x80, 0xED, 0xF4, 0xC0])])
        return bytes(text)
