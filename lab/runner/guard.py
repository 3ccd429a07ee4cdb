"""Host guarding: what a Docker lesson finds on this host is recorded before it runs (also for
`lab reset`) and put back afterwards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lab.engine.reader import Engine as Reader
from lab.hoststate import CleanupReport, HostState, restore, store, take_snapshot
from lab.hoststate.restore import Owned


class HostGuard:
    """The snapshot a run on this host started from, and its session record."""

    def __init__(self, lesson: Path, before: HostState) -> None:
        self.lesson = lesson
        self.before = before

    @classmethod
    def take(
        cls, lesson: Path, reader: Reader, *, removes_images: Sequence[str], resume: bool = False
    ) -> HostGuard:
        """Snapshot the host; images the lesson removes (and the host has) are saved first.
        resume (a learner's session that goes on): the snapshot on record, if any, is the one
        it started from; its saved images are kept as they were then."""
        record = store.load(lesson) if resume else None
        if record is not None:
            return cls(lesson, record.before)
        before = take_snapshot(
            reader, keep_images=removes_images, keep_dir=store.images_dir(lesson)
        )
        return cls(lesson, before)

    def record(self, workspace: Path, *, replace: bool) -> None:
        """Record the session, so that `lab reset LESSON` can undo it if this run does not.
        replace=False keeps an earlier record (a learner's session spans restarts)."""
        store.save(self.lesson, self.before, workspace, replace=replace)

    def kept(self) -> HostState:
        """What the engine guard keeps: what existed before the session, as its record says
        (a learner's session spans restarts: what its earlier sessions made is the lesson's),
        else this snapshot."""
        record = store.load(self.lesson)
        return record.before if record is not None else self.before

    def restore(self, engine: Callable[[], Any], owned: Owned) -> CleanupReport:
        """Undo what the run added (engine() gives a client that answers; owned says which new
        objects are the lesson's); the record goes once everything is undone."""
        report = restore(engine, self.before, owned)
        if report.ok:
            store.forget(self.lesson)
        return report
