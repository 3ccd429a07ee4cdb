"""Paths inside a node's filesystem, reached from the host through /proc/PID/root."""

from __future__ import annotations

import os
from pathlib import Path

MAX_LINKS = 40
"""Symbolic links followed while resolving one path (the kernel's limit is 40 too)."""


def resolve_in(root: Path, path: str) -> Path:
    """`path` as a process whose root directory is `root` sees it, as a host path.

    Symbolic links are followed inside root: an absolute link (`/var/run -> /run`) would
    otherwise lead to the host's own directory. Missing components are kept as they are."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        current = root.joinpath(*done, part)
        try:
            target = os.readlink(current)
        except OSError:  # not a link, or missing
            done.append(part)
            continue
        links += 1
        if links > MAX_LINKS:
            raise OSError(f"too many levels of symbolic links in {path}")
        if target.startswith("/"):
            done = []
        parts = [p for p in target.split("/") if p not in ("", ".")] + parts
    return root.joinpath(*done)
