"""Remembering a lesson session's host snapshot on disk, so `lab reset` can undo it later."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from lab.hoststate.snapshot import HostState
from lab.statefiles import state_root, write_atomic


def state_dir() -> Path:
    """Where session records live."""
    return state_root() / "sessions"


def _record_path(lesson: Path) -> Path:
    key = hashlib.sha256(str(lesson.resolve()).encode()).hexdigest()[:16]
    return state_dir() / f"{lesson.stem[:40]}-{key}.json"


def images_dir(lesson: Path) -> Path:
    """Where images a lesson removes are saved until its cleanup loads them back."""
    return _record_path(lesson).with_suffix(".images")


@dataclass(frozen=True)
class SessionRecord:
    """What a lesson session started from."""

    lesson: str
    """The lesson file (absolute path)."""
    before: HostState
    """The host as it was before the session."""
    workspace: str | None = None
    """The session's workspace directory, removed by a reset."""


def save(lesson: Path, before: HostState, workspace: Path | None, *, replace: bool) -> Path:
    """Record a session. replace=False keeps an existing record: a learner's session that
    goes on after a restart still started from the earliest snapshot."""
    path = _record_path(lesson)
    if path.exists() and not replace:
        return path
    data = {
        "lesson": str(lesson.resolve()),
        "before": before.to_json(),
        "workspace": str(workspace) if workspace else None,
    }
    write_atomic(path, json.dumps(data))
    return path


def load(lesson: Path) -> SessionRecord | None:
    """The recorded session of a lesson, None when there is none (or it cannot be read)."""
    path = _record_path(lesson)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SessionRecord(
            data["lesson"], HostState.from_json(data["before"]), data.get("workspace")
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget(lesson: Path) -> None:
    """Delete a lesson's session record and the images saved with it."""
    _record_path(lesson).unlink(missing_ok=True)
    shutil.rmtree(images_dir(lesson), ignore_errors=True)
