"""Undoing a recorded lesson session: what `lab reset` and the TUI's reset share."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab.engine.cleanup import CleanupReport
from lab.hoststate import store
from lab.hoststate.restore import restore


def reset_recorded(lesson: Path, engine: Callable[[], Any]) -> CleanupReport | None:
    """Restore the host to the lesson's recorded snapshot, remove the session's workspace,
    and forget the record once everything was undone. None when nothing is recorded."""
    record = store.load(lesson)
    if record is None:
        return None
    report = restore(engine, record.before)
    if record.workspace and Path(record.workspace).exists():
        shutil.rmtree(record.workspace, ignore_errors=True)
        report.removed.append(f"workspace {record.workspace}")
    if report.ok:
        store.forget(lesson)
    return report
