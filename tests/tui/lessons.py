"""Driving the lab app headless: open a fixture lesson, wait for its terminal and its steps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot

from lab.lesson.load import load_lesson
from lab.tui.app import LabApp
from lab.tui.screens.lesson import LessonScreen
from lab.tui.widgets.lesson_view import LessonView
from lab.tui.widgets.step_card import StepCard
from lab.tui.widgets.terminal import TerminalView
from tests.conftest import fixture
from tests.tui.conftest import at_prompt
from tests.waiting import wait_until

SIZE = (160, 45)
"""Columns, rows of the app in Pilot tests."""


@dataclass
class Lab:
    """A running app on a lesson."""

    app: LabApp
    pilot: Pilot[None]

    @property
    def screen(self) -> LessonScreen:
        """The lesson screen (under any dialog)."""
        return next(s for s in self.app.screen_stack if isinstance(s, LessonScreen))

    @property
    def view(self) -> LessonView:
        return self.screen.query_one(LessonView)

    def card(self, step: int) -> StepCard:
        return self.view.step_card(step)

    def terminal(self, number: int = 1) -> TerminalView:
        view = self.screen.pane.view(number)
        assert view is not None
        return view

    async def ready(self, number: int = 1) -> None:
        """Wait for terminal `number`'s prompt and for the lesson to be started (a
        reading-only lesson has no terminal: only for the lesson to be shown whole)."""
        if not self.screen.has_terminals:
            blocks = self.view.blocks
            await wait_until(
                lambda: all(b.is_mounted for b in blocks), 10, "the rest of the lesson"
            )
            return
        await wait_until(lambda: self.screen.pane.view(number) is not None, 10, "the terminal")
        await wait_until(lambda: at_prompt(self.terminal(number).screen_text()), 10, "the prompt")
        await wait_until(lambda: self.screen.learner.started, 10, "the lesson to start")
        blocks = self.view.blocks
        await wait_until(lambda: all(b.is_mounted for b in blocks), 10, "the rest of the lesson")

    async def finished(self, step: int, timeout: float = 30.0) -> str:
        """Wait until step `step` is no longer running; its state."""
        card = self.card(step)
        await wait_until(lambda: card.state not in ("not run", "running"), timeout, f"step {step}")
        await wait_until(lambda: self.screen._busy is None, timeout, "the screen")
        await self.pilot.pause()
        return card.state


@asynccontextmanager
async def open_lab(name: str | Path, size: tuple[int, int] = SIZE) -> AsyncIterator[Lab]:
    """The app on a fixture lesson (a name under tests/fixtures/lessons, or a path)."""
    path = name if isinstance(name, Path) else fixture(name)
    app = LabApp(lesson=load_lesson(path))
    async with app.run_test(size=size) as pilot:
        lab = Lab(app, pilot)
        await lab.ready()
        yield lab
