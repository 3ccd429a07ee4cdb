"""The guard's private socket directories, and removing those whose lab process is gone.

Each guard listens in a directory of its own under the system's temporary directory, named
after the lab process that made it (`lab-guard-PID-START-…`, START being the process's start
time, so a reused pid is not mistaken for it). A lab that was killed (`kill -9`) leaves its
directory behind: the next guard, and `lab reset`, remove it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from lab.sandbox.owner import start_time

PREFIX = "lab-guard-"
_NAME = re.compile(rf"^{PREFIX}(?P<pid>\d+)-(?P<started>\d+|x)-")


def directory_prefix() -> str:
    """The name prefix of a guard directory of this process."""
    pid = os.getpid()
    return f"{PREFIX}{pid}-{start_time(pid) or 'x'}-"


def _alive(pid: int, started: str) -> bool:
    now = start_time(pid)
    return now is not None and (started == "x" or now == started)


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the guard directories of lab processes that are gone (this user's only);
    returns what was removed."""
    base = root or Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or _alive(int(match["pid"]), match["started"]):
            continue
        try:
            if entry.lstat().st_uid != os.getuid() or not entry.is_dir():
                continue
        except OSError:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
    return removed
