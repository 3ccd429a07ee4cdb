"""Undoing a recorded lesson session: what `lab reset` and the TUI's reset share."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lab.engine.cleanup import CleanupReport
from lab.errors import LabError
from lab.hoststate import store
from lab.hoststate.engine_cleanup import Owned
from lab.hoststate.files import restore_cli_config, restore_files
from lab.hoststate.images import reload_images
from lab.hoststate.owned import OwnedObjects, remove_owned
from lab.hoststate.restore import restore
from lab.hoststate.store import SessionRecord


def claimed_elsewhere(lesson: Path) -> OwnedObjects:
    """What the recorded sessions of other lessons own."""
    mine = str(lesson.resolve())
    others = OwnedObjects()
    for record in store.records():
        if record.lesson != mine:
            others.merge(record.owned)
    return others


def not_theirs(others: OwnedObjects) -> Owned:
    """An `Owned` that refuses objects another session made (by ID, or by tag)."""

    def owned(kind: str, names: Sequence[str]) -> bool:
        if kind == "container":
            return not any(n in others.containers for n in names)
        if kind == "volume":
            return not any(n in others.volumes for n in names)
        if kind == "network":
            return not any(nid.startswith(n) for n in names for nid in others.networks)
        if kind == "image":
            return not any(
                n in others.tags or any(i.startswith(n) for i in others.images) for n in names
            )
        return True

    return owned


def restore_owned(
    engine: Callable[[], Any], record: SessionRecord, *, dry_run: bool = False
) -> CleanupReport:
    """Undo a learner's session: remove what it made (by ID, nothing else), load back the
    images it removed, put /etc/docker and the docker CLI config back."""
    report = CleanupReport()
    try:
        client = engine()
        remove_owned(client, record.owned, report, dry_run=dry_run)
        if not dry_run:
            reload_images(client, record.before, report)
    except LabError as exc:
        report.failed.append(
            f"{exc.message}: containers, images, volumes and networks the lesson created may remain"
        )
    except Exception as exc:  # connection lost half-way
        report.failed.append(f"the Docker engine stopped answering during reset ({exc})")
    if not dry_run:
        restore_files(record.before, report)
        restore_cli_config(record.before, report)
    return report


def reset_recorded(
    lesson: Path, engine: Callable[[], Any], *, dry_run: bool = False
) -> CleanupReport | None:
    """Undo the lesson's recorded session on the host and remove its workspace; forget the
    record once everything was undone. None when nothing is recorded.

    A learner's session removes exactly the objects it made, by ID. A `lab run` that died
    before its cleanup removes what appeared since it started, except objects other
    sessions made."""
    record = store.load(lesson)
    if record is None:
        return None
    if record.interactive:
        report = restore_owned(engine, record, dry_run=dry_run)
    elif dry_run:
        from lab.hoststate.engine_cleanup import restore_engine

        report = CleanupReport()
        owned = not_theirs(claimed_elsewhere(lesson))
        restore_engine(engine(), record.before, report, owned, dry_run=True)
    else:
        report = restore(engine, record.before, not_theirs(claimed_elsewhere(lesson)))
    if dry_run:
        return report
    if record.workspace and Path(record.workspace).exists():
        shutil.rmtree(record.workspace, ignore_errors=True)
        report.removed.append(f"workspace {record.workspace}")
    if report.ok:
        store.forget(lesson)
    return report
