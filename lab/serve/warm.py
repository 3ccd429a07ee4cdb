"""Warm seats: the nodes of the room's first lesson are made for each seat before anyone
sits there, a few at a time, while the instructor waits for the room to fill. An attendee's
app then finds them (as after a refresh) instead of starting a node and its dockerd while
the whole room joins at once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lab.errors import LabError
from lab.lesson.course import course
from lab.lesson.needs import terminal_count
from lab.serve.room import Room

if TYPE_CHECKING:
    from lab.sandbox import Sandbox

AT_ONCE = 2
"""Seats warmed at the same time (each a node whose dockerd starts: CPU-bound)."""


class Warmer:
    """Warms the first `room.config.warm` seats in the background; stop() ends it (a node it
    was making is removed with the room's)."""

    def __init__(self, room: Room, engine: Callable[[], Any], say: Callable[[str], None]) -> None:
        self.room = room
        self._engine = engine
        self._say = say
        self._boxes: list[Sandbox] = []
        self._task: asyncio.Task[int] | None = None
        self._stopping = False
        self.ready = 0
        """Seats warmed so far."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._warm())

    async def stop(self) -> None:
        self._stopping = True
        for box in self._boxes:
            box.stop()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    async def _warm(self) -> int:
        from lab.sandbox import Sandbox

        room = self.room
        count = min(room.config.warm, room.config.seats)
        if count <= 0:
            return 0
        entries = await asyncio.to_thread(course, list(room.config.lessons))
        lesson = next((e.lesson for e in entries if e.lesson is not None), None)
        if lesson is None or not lesson.steps:
            return 0
        started = time.monotonic()
        self._say(f"warming {count} seat(s): nodes for {lesson.path.name}, {AT_ONCE} at a time")
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(seat_id: str) -> None:
            async with gate:
                if self._stopping:
                    return
                box = Sandbox(
                    self._engine,
                    lesson=lesson.path,
                    nodes=terminal_count(lesson),
                    image=room.config.node_image,
                    seat=room.seat(seat_id),
                )
                self._boxes.append(box)
                try:
                    await asyncio.to_thread(box.up)
                except LabError as exc:
                    if not self._stopping:
                        self._say(f"could not warm a seat: {exc.message}")
                    return
                finally:
                    box.release()  # the nodes stay for whoever takes the seat
                self.ready += 1

        await asyncio.gather(*(one(s) for s in room.seat_ids[:count]))
        if not self._stopping:
            self._say(f"{self.ready} seat(s) warm in {time.monotonic() - started:.0f} s")
        return self.ready
