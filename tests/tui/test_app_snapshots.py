"""SVG snapshots of the course picker and the lesson screen (`pytest --snapshot-update`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from lab.learner.progress import Progress, step_keys
from lab.lesson.load import load_lesson
from lab.tui.app import LabApp
from lab.tui.screens.lesson import LessonScreen
from tests.conftest import fixture
from tests.tui.conftest import at_prompt
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)

SIZE = (150, 40)


@pytest.fixture(autouse=True)
def frozen_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step durations vary from run to run: show a fixed one."""
    monkeypatch.setattr("lab.tui.widgets.step_card.duration_text", lambda seconds: "0.1s")


@pytest.fixture(autouse=True)
def fixed_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workspace's path depends on the state directory and the checkout's place: show a
    fixed one, so the snapshot is the same in every clone."""
    monkeypatch.setattr(
        "lab.tui.widgets.header.home_path", lambda path: "~/.local/state/lab/workspaces/lesson"
    )


def test_course_picker(snap_compare: Callable[..., bool]) -> None:
    lessons = [fixture(n) for n in ("run-pass.md", "seed-registry-part1.md", "quiz-single.md")]
    progress = Progress(lessons[0])
    progress.mark_verified(step_keys(load_lesson(lessons[0]))[0])
    app = LabApp(course=lessons)
    assert snap_compare(app, terminal_size=SIZE)


def test_lesson_screen_after_a_step(snap_compare: Callable[..., bool]) -> None:
    async def run_first_step(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, LessonScreen)
        await wait_until(lambda: bool(screen.query("TerminalView")), 10, "the terminal")
        view = screen.pane.view(1)
        assert view is not None
        await wait_until(lambda: at_prompt(view.screen_text()), 10, "the prompt")
        await wait_until(lambda: screen.learner.started, 10, "the lesson")
        await pilot.press("enter")
        card = screen.lesson_view.step_card(0)
        await wait_until(lambda: card.state == "passed", 10, "the step")
        await wait_until(lambda: at_prompt(view.screen_text()), 10, "the prompt after it")
        await pilot.pause(0.1)

    app = LabApp(lesson=load_lesson(fixture("run-pass.md")))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_first_step)
