"""What is typed into the shell: a block's lines, each as keys readline takes literally."""

from __future__ import annotations

CTRL_C = b"\x03"
"""ETX: the tty turns it into SIGINT for the foreground process group."""
PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"
"""Bracketed paste: readline inserts what is between them as text (a TAB is no completion)."""
QUOTED_INSERT = b"\x16"
"""Ctrl-V: readline inserts the next key literally (TABs when bracketed paste is off)."""
ENTER = b"\r"
"""What the Enter key sends; the tty turns it into the newline bash reads."""


def block_lines(block: str) -> list[str]:
    """The block's lines, without CRs and trailing blank lines."""
    lines = [line.rstrip("\r") for line in block.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def line_keys(line: str, *, bracketed_paste: bool) -> bytes:
    """The keys that type `line` as it is, then Enter: pasted when readline has bracketed
    paste on, else with each TAB quoted (so no TAB is taken for completion)."""
    data = line.encode("utf-8")
    if data and bracketed_paste:
        data = PASTE_START + data + PASTE_END
    else:
        data = data.replace(b"\t", QUOTED_INSERT + b"\t")
    return data + ENTER
