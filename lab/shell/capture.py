"""Turn a command's output bytes into text: capped capture, CRLF->LF, secrets redacted."""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

CAPTURE_LIMIT = 4 * 1024 * 1024
"""Per-command capture cap (4 MiB): the tail is kept, the head is counted as cut."""

REDACTED = "******"
"""What a secret is replaced by in captured and streamed output."""

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
"""CSI, OSC and two-byte escape sequences (for a readable prompt line)."""


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every occurrence of each non-empty secret, longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def to_text(data: bytes) -> str:
    """Decode terminal output: UTF-8 (invalid bytes replaced), CRLF -> LF."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n")


def last_line(text: str) -> str:
    """The line a prompt sits on, as a person sees it: no escapes, after the last CR."""
    line = _ESCAPES.sub("", text).rsplit("\n", 1)[-1].rstrip("\r")
    return line.rsplit("\r", 1)[-1]


class Capture:
    """One command's output bytes, keeping at most `limit` bytes (the tail)."""

    def __init__(self, limit: int = CAPTURE_LIMIT) -> None:
        self._limit = limit
        self._buf = bytearray()
        self._dropped = 0

    def append(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) > 2 * self._limit:  # trim rarely: amortised O(1) a byte
            excess = len(self._buf) - self._limit
            del self._buf[:excess]
            self._dropped += excess

    def tail(self, size: int) -> bytes:
        """The last `size` bytes captured."""
        return bytes(self._buf[-size:])

    def text(self) -> str:
        """Everything kept, decoded; says how many bytes were cut from the head."""
        excess = max(0, len(self._buf) - self._limit)
        cut = self._dropped + excess
        data = bytes(self._buf[excess:])
        if not cut:
            return to_text(data)
        # Do not start inside a UTF-8 sequence (continuation bytes are 0b10xxxxxx).
        skip = 0
        while skip < min(3, len(data)) and data[skip] & 0xC0 == 0x80:
            skip += 1
        return f"[… {cut + skip} bytes cut]\n" + to_text(data[skip:])


class TextStream:
    """Incremental `to_text` + `redact` for live output: holds back what may still change.

    A UTF-8 sequence, a CR whose LF has not arrived yet, or the start of a secret can
    be split across chunks, so the last few characters wait for the next chunk.
    """

    def __init__(self, secrets: list[str]) -> None:
        self._secrets = secrets  # shared: answers given with echo off are added during a run
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""

    def feed(self, data: bytes) -> str:
        text = redact(
            (self._held + self._decoder.decode(data)).replace("\r\n", "\n"), self._secrets
        )
        keep = max((len(s) for s in self._secrets if s), default=1) - 1
        if text.endswith("\r"):
            keep = max(keep, 1)
        cut = max(0, len(text) - keep)
        self._held = text[cut:]
        return text[:cut]

    def flush(self) -> str:
        text = redact(self._held + self._decoder.decode(b"", final=True), self._secrets)
        self._held = ""
        return text
