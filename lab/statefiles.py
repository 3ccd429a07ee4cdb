"""Where lab keeps its state (session records, progress) and writing it crash-safely."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs


def state_root() -> Path:
    """lab's state directory: `LAB_STATE_DIR`, else the platform's (~/.local/state/lab)."""
    override = os.environ.get("LAB_STATE_DIR")
    return Path(override) if override else platformdirs.user_state_path("lab")


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
