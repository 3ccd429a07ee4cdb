"""The room as the instructor sees it: each attendee's browser, nodes and progress."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from lab.learner import progress
from lab.lesson.course import CourseEntry, course
from lab.sandbox import owner as labels
from lab.sandbox.seat import format_bytes
from lab.sandbox.usage import memory_bytes
from lab.serve.pages import Row
from lab.serve.room import Attendee, Room
from lab.statefiles import states_of


class RoomStatus:
    """Rows of the instructor's page (nodes read from the engine, progress from each
    attendee's own state directory)."""

    def __init__(self, room: Room, engine: Callable[[], Any]) -> None:
        self.room = room
        self._engine = engine
        self._course: list[CourseEntry] | None = None

    @property
    def entries(self) -> list[CourseEntry]:
        """The room's lessons (read once)."""
        if self._course is None:
            self._course = course(list(self.room.config.lessons))
        return self._course

    def progress_of(self, attendee: Attendee) -> str:
        """`registry-1-local 3/9 · registry-2-tls 0/7` (lessons not started left out)."""
        parts = []
        with states_of(attendee.state_dir):
            for entry in self.entries:
                if entry.lesson is None:
                    continue
                tally = progress.tally(entry.lesson, progress.load(entry.path))
                if tally.done:
                    parts.append(f"{entry.path.stem} {tally.done}/{tally.total}")
        return " · ".join(parts) or "not started"

    def nodes(self) -> dict[str, list[tuple[str, int | None]]]:
        """Seat id -> (status, memory in bytes) of each of its nodes."""
        found: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
        client = self._engine()
        for container in client.containers.list(
            all=True, filters={"label": f"{labels.ROOM}={self.room.id}"}, ignore_removed=True
        ):
            seat = (container.labels or {}).get(labels.SEAT, "")
            used = memory_bytes(container.id) if container.status == "running" else None
            found[seat].append((container.status, used))
        return found

    async def rows(self) -> list[Row]:
        """One row per attendee, in seat order."""
        try:
            nodes = await asyncio.to_thread(self.nodes)
        except Exception:  # no engine right now: the page still shows who is here
            nodes = {}
        now = time.time()
        rows = []
        for attendee in sorted(self.room.attendees.values(), key=lambda a: a.seat):
            if attendee.connected:
                status = "connected"
            else:
                status = f"away {(now - attendee.last_seen) / 60:.0f} min"
            rows.append(
                Row(
                    attendee.seat,
                    attendee.name,
                    status,
                    describe_nodes(nodes.get(attendee.id, []), stopped=attendee.nodes_stopped),
                    self.progress_of(attendee),
                    attendee.connected,
                )
            )
        return rows


def describe_nodes(nodes: list[tuple[str, int | None]], *, stopped: bool = False) -> str:
    """`2 running, 301 MiB`, `1 stopped (idle)`, `none yet`."""
    if not nodes:
        return "none yet"
    running = [used for status, used in nodes if status == "running"]
    if not running:
        return f"{len(nodes)} stopped" + (" (idle)" if stopped else "")
    total = sum(used or 0 for used in running)
    return f"{len(running)} running, {format_bytes(total)}"
