"""Terminal escape sequences: removing them to get the text a reader sees."""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
"""CSI sequences, OSC strings and two-byte escapes."""


def plain(text: str) -> str:
    """text with escapes removed and, per line, only the last frame of CR redraws."""
    stripped = ANSI.sub("", text.replace("\r\n", "\n"))
    return "\n".join(line.split("\r")[-1] for line in stripped.split("\n"))
