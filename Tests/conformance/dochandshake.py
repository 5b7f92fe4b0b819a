"""The handshake of docs/PROTOCOL.md §2, both roles' arithmetic, written from the doc alone.

Pure code: challenges, replies and the check of a reply, as bytes. A *form* is how a challenge or
a reply is written: "legacy" (20 raw challenge bytes, a raw 16-byte HMAC-MD5 reply) or one of the
digest names of the doc (`{D}` prefix).
"""

import hmac
import os

CHALLENGE = b"#CHALLENGE#"
WELCOME = b"#WELCOME#"
FAILURE = b"#FAILURE#"
DIGESTS = ("md5", "sha256", "sha384", "sha3_256", "sha3_384")
FORMS = ("legacy",) + DIGESTS
LEGACY_CHALLENGE_BYTES = 20
LEGACY_REPLY_BYTES = 16


class HandshakeError(ValueError):
    """A challenge or reply that breaks §2; the message says which rule."""


def challenge_body(form):
    """Message 4's body for a challenge in `form`: 20 random bytes, or `{D}` + 40 random bytes."""
    if form == "legacy":
        return CHALLENGE + os.urandom(LEGACY_CHALLENGE_BYTES)
    return CHALLENGE + b"{" + form.encode() + b"}" + os.urandom(40)


def strip_challenge(body):
    """`M`: a challenge message without its `#CHALLENGE#` prefix."""
    if not body.startswith(CHALLENGE):
        raise HandshakeError("a challenge must start with #CHALLENGE#: %r" % body[:32])
    return body[len(CHALLENGE):]


def digest_of(message):
    """The `D` of a `{D}`-prefixed challenge or reply, or None when it has no known `{D}`."""
    for name in DIGESTS:
        if message.startswith(b"{" + name.encode() + b"}"):
            return name
    return None


def reply(key, m, form):
    """A reply to challenge `M` written in `form`: raw HMAC-MD5, or `{D}` + HMAC-D."""
    if form == "legacy":
        return hmac.new(key, m, "md5").digest()
    return b"{" + form.encode() + b"}" + hmac.new(key, m, form).digest()


def natural_form(m):
    """The form §2 prescribes for replying to `M`: legacy for 20 bytes, else its own `{D}`."""
    if len(m) == LEGACY_CHALLENGE_BYTES:
        return "legacy"
    if len(m) < LEGACY_CHALLENGE_BYTES:
        raise HandshakeError("a challenge of %d bytes is shorter than 20" % len(m))
    digest = digest_of(m)
    if digest is None:
        raise HandshakeError("a challenge with no known {D}: %r" % m[:16])
    return digest


def is_valid_reply(key, m, r):
    """Whether `R` answers our challenge `M` by the checking rules of §2 (constant time)."""
    if len(r) == LEGACY_REPLY_BYTES:
        return hmac.compare_digest(r, reply(key, m, "legacy"))
    digest = digest_of(r)
    if digest is None:
        return False
    return hmac.compare_digest(r, reply(key, m, digest))
