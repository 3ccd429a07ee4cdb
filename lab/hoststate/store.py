"""Remembering a lesson session's host snapshot on disk, so `lab reset` can undo it later."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from lab.hoststate.owned import OwnedObjects
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
    owned: OwnedObjects = field(default_factory=OwnedObjects)
    """Engine objects the session's steps and shells made, by ID, as they appeared."""
    pid: int = 0
    """The lab process that ran the session last (0: not known)."""
    started: float = 0.0
    """When the record was made (seconds since the epoch)."""
    interactive: bool = False
    """A learner's session (`lab open`), not a `lab run`."""

    @property
    def running(self) -> bool:
        """Its lab process still runs."""
        if self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def to_json(self) -> dict[str, object]:
        """The file's content."""
        return {
            "lesson": self.lesson,
            "before": self.before.to_json(),
            "workspace": self.workspace,
            "owned": self.owned.to_json(),
            "pid": self.pid,
            "started": self.started,
            "interactive": self.interactive,
        }


def save(lesson: Path, before: HostState, workspace: Path | None, *, replace: bool) -> Path:
    """Record a session. replace=False keeps an existing record (only its process is
    updated): a learner's session that goes on after a restart still started from the
    earliest snapshot, and owns what it made before."""
    path = _record_path(lesson)
    old = load(lesson) if not replace else None
    if old is not None:
        write_atomic(path, json.dumps({**old.to_json(), "pid": os.getpid()}))
        return path
    record = SessionRecord(
        str(lesson.resolve()),
        before,
        str(workspace) if workspace else None,
        pid=os.getpid(),
        started=time.time(),
        interactive=not replace,
    )
    write_atomic(path, json.dumps(record.to_json()))
    return path


def claim(lesson: Path, objects: OwnedObjects) -> SessionRecord | None:
    """Add objects to what the lesson's recorded session owns (None: no record)."""
    record = load(lesson)
    if record is None or not objects:
        return record
    record.owned.merge(objects)
    write_atomic(_record_path(lesson), json.dumps(record.to_json()))
    return record


def _read(path: Path) -> SessionRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SessionRecord(
            data["lesson"],
            HostState.from_json(data["before"]),
            data.get("workspace"),
            OwnedObjects.from_json(data.get("owned")),
            int(data.get("pid", 0)),
            float(data.get("started", 0.0)),
            bool(data.get("interactive", False)),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def load(lesson: Path) -> SessionRecord | None:
    """The recorded session of a lesson, None when there is none (or it cannot be read)."""
    return _read(_record_path(lesson))


def records() -> list[SessionRecord]:
    """Every recorded session on this machine."""
    found = (_read(path) for path in sorted(state_dir().glob("*.json")))
    return [r for r in found if r is not None]


def forget(lesson: Path) -> None:
    """Delete a lesson's session record and the images saved with it."""
    _record_path(lesson).unlink(missing_ok=True)
    shutil.rmtree(images_dir(lesson), ignore_errors=True)
