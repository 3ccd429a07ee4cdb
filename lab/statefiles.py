"""Where lab keeps its state (session records, progress) and writing it crash-safely."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import platformdirs

_reading: ContextVar[Path | None] = ContextVar("lab_state_root", default=None)


def state_root() -> Path:
    """lab's state directory: `LAB_STATE_DIR`, else the platform's (~/.local/state/lab);
    inside `states_of()`, that one."""
    inside = _reading.get()
    if inside is not None:
        return inside
    override = os.environ.get("LAB_STATE_DIR")
    return Path(override) if override else platformdirs.user_state_path("lab")


@contextmanager
def states_of(root: Path) -> Iterator[None]:
    """Read another state directory for a while (a workshop room reads each attendee's
    progress), in this thread or task only."""
    token = _reading.set(root)
    try:
        yield
    finally:
        _reading.reset(token)


def write_atomic(path: Path, text: str) -> None:
    """Write text to path so that a crash (even `kill -9`) leaves the old or the new file,
    never half of one: a temporary file in the same directory, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
