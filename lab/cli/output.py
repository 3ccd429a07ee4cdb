"""Writing a command's lines: one place, so every command ends its lines the same way."""

from __future__ import annotations

from typing import TextIO


def out(stream: TextIO, text: str) -> None:
    """One line of output."""
    stream.write(text + "\n")
