"""Writing a command's lines: one place, so every command ends its lines the same way."""

from __future__ import annotations

import argparse
import os
from typing import TextIO


def out(stream: TextIO, text: str) -> None:
    """One line of output."""
    stream.write(text + "\n")


FORMATS = ("plain", "github")
"""Output formats of `lab lint` and `lab run`: plain text, or plain text with GitHub workflow
annotations (`::error file=…,line=…::…`) that GitHub shows on the pull request."""


def output_format(choice: str | None) -> str:
    """The format asked for with --format; else `github` inside GitHub Actions (where
    GITHUB_ACTIONS=true), else `plain`."""
    if choice is not None:
        return choice
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "plain"


def workspace() -> str | None:
    """The checkout GitHub names annotated files relative to (None: outside GitHub Actions)."""
    return os.environ.get("GITHUB_WORKSPACE") or None


def add_format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="github: add GitHub workflow annotations (`::error file=…,line=…::…`) to the "
        "plain output, so failures show on the pull request at their line (the default "
        "when GITHUB_ACTIONS=true; plain elsewhere)",
    )
