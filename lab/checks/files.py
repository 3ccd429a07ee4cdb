"""Assertions on files in the workspace: one exists, one holds a text."""

from __future__ import annotations

import difflib
from pathlib import Path

from lab.checks.verdict import LIST_LIMIT, Verdict, listed


def file_exists(path: str | Path) -> Verdict:
    """The path exists (a file, or a directory: the message says which)."""
    target = Path(path)
    if target.is_dir():
        return Verdict(True, f"directory {path} exists")
    if target.exists():
        return Verdict(True, f"file {path} exists ({target.stat().st_size} bytes)")
    return Verdict(False, f"file {path} does not exist ({_siblings(target)})")


def file_contains(path: str | Path, text: str) -> Verdict:
    """The file exists and holds text (an exact substring)."""
    target = Path(path)
    if target.is_dir():
        return Verdict(False, f"{path} is a directory, not a file")
    try:
        content = target.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return Verdict(False, f"file {path} does not exist ({_siblings(target)})")
    except OSError as exc:
        return Verdict(False, f"cannot read file {path} ({(exc.strerror or str(exc)).lower()})")
    if text in content:
        return Verdict(True, f"file {path} contains {text!r}")
    lines = content.count("\n") + (not content.endswith("\n") and bool(content))
    noun = "line" if lines == 1 else "lines"
    return Verdict(False, f"file {path} does not contain {text!r} ({lines} {noun})")


def _siblings(target: Path) -> str:
    """What is there instead: close names, or the directory's entries when there are few."""
    parent = target.parent
    if not parent.is_dir():
        return f"directory {parent} does not exist either"
    names = sorted(p.name for p in parent.iterdir())
    close = difflib.get_close_matches(target.name, names, n=3)
    if close:
        return "did you mean " + " or ".join(str(parent / name) for name in close) + "?"
    if len(names) > LIST_LIMIT:
        return f"{parent} holds {len(names)} entries, none named like it"
    return f"{parent} holds: {listed(names)}"
