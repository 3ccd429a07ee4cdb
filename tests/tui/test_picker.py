"""The course picker: lessons with progress; Enter opens one, Esc comes back; broken ones."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from lab.tui.app import LabApp
from lab.tui.screens.lesson import LessonScreen
from lab.tui.screens.picker import PickerScreen
from lab.tui.screens.problem import ProblemScreen
from tests.conftest import fixture
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_open_a_lesson_and_come_back_with_its_progress() -> None:
    app = LabApp(course=[fixture("run-pass.md"), fixture("quiz-single.md")])
    async with app.run_test(size=(150, 40)) as pilot:
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        table = picker.query_one(DataTable)
        assert [str(table.get_row_at(n)[1]) for n in range(2)] == [
            "Quiz, one answer",
            "Everything passes",
        ]
        await pilot.press("down", "enter")
        await wait_until(lambda: isinstance(app.screen, LessonScreen), 10, "the lesson")
        lesson = app.screen
        assert isinstance(lesson, LessonScreen)
        await wait_until(lambda: lesson.pane.view(1) is not None, 10, "the terminal")
        await wait_until(lambda: lesson.learner.started, 10, "the lesson to start")
        await pilot.press("enter")
        card = lesson.lesson_view.step_card(0)
        await wait_until(lambda: card.state == "passed", 10, "the step")
        await pilot.press("escape")
        await wait_until(lambda: app.screen is picker, 10, "the picker")
        assert "1/2" in str(table.get_row_at(1)[4])
        await wait_until(lambda: not lesson.learner.started, 10, "the lesson's shells to close")


async def test_a_broken_lesson_says_where_and_why() -> None:
    app = LabApp(course=[fixture("bad-term.md")])
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.press("enter")
        await wait_until(lambda: bool(app.screen.query("#dialog Static")), 10, "the problem")
        assert isinstance(app.screen, ProblemScreen)
        text = str(app.screen.query_one("#dialog Static").render())
        assert "bad-term.md:5: '.term7' is not a terminal" in text
        assert "hint: runnable fences start with .term1" in text


async def test_an_empty_course_says_what_to_do(tmp_path: object) -> None:
    app = LabApp(course=[tmp_path])  # type: ignore[list-item]
    async with app.run_test(size=(150, 40)):
        text = str(app.screen.query_one("#detail").render())
        assert "No lessons found" in text and "lab open FILE.md" in text


def test_parting_notes_name_lessons_that_left_something() -> None:
    from lab.hoststate import HostState, store
    from lab.learner.progress import Progress
    from lab.lesson.load import load_lesson
    from lab.tui.app import parting_notes

    kept, clean = load_lesson(fixture("hints.md")), load_lesson(fixture("run-pass.md"))
    store.save(kept.path, HostState(), None, replace=True)
    assert parting_notes([kept, clean]) == [], "opened, nothing done"
    Progress(kept.path).mark_verified("step:x")
    notes = parting_notes([kept, clean])
    assert notes == [f"{kept.path}: what the lesson created stays for next time; "
                     f"`lab reset {kept.path}` removes it"]  # fmt: skip
