"""A room's secrets: the room code, the instructor key, and signed cookies that say who an
attendee is (HMAC-SHA256 with a per-room secret; every comparison in constant time)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Room code letters: no 0/O, 1/I, so that a code read off a projector is typed right."""
CODE_LENGTH = 8
"""32**8 ≈ 10**12 codes: guessing one through the join page (one try a request) is hopeless."""


def new_code() -> str:
    """A room code as people type it: `7K3M-Q9TX`."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normal_code(typed: str) -> str:
    """A code as typed (any case, spaces, with or without the dash) in the form new_code()
    makes, so that `7k3m q9tx` is the same code."""
    raw = "".join(ch for ch in typed.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == CODE_LENGTH else raw


def same(given: str, expected: str) -> bool:
    """True when two secrets are equal, in time that does not depend on where they differ."""
    return hmac.compare_digest(given.encode(), expected.encode())


class Signer:
    """Signs values with the room's secret, so that a cookie cannot be made or changed by the
    browser: `value.signature`."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, purpose: str, value: str) -> str:
        message = f"{purpose}\0{value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, purpose: str, value: str) -> str:
        """`value.signature` for one purpose (an attendee cookie, the instructor's)."""
        return f"{value}.{self._mac(purpose, value)}"

    def unsign(self, purpose: str, signed: str | None) -> str | None:
        """The value of a signed string, None when it is missing, malformed or tampered
        with (or signed for another purpose, or by another room)."""
        if not signed or "." not in signed:
            return None
        value, _, signature = signed.rpartition(".")
        return value if same(signature, self._mac(purpose, value)) else None
