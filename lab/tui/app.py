"""`LabApp`: the course picker and the lesson screen; `run_app()` is what `lab` calls."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from lab.errors import LessonError
from lab.learner.session import LearnerSession
from lab.lesson.load import load_lesson
from lab.lesson.model import Lesson
from lab.tui.screens.lesson import LessonScreen

if TYPE_CHECKING:
    from lab.sandbox import Seat
    from lab.tui.screens.picker import PickerScreen


class LabApp(App[None]):
    """One lesson (`lesson`), or the course picker over `course` (default: the bundled
    lessons); with `seat` (a `lab serve` attendee) every lesson runs in the room's nodes of
    the seat."""

    TITLE = "lab"
    ENABLE_COMMAND_PALETTE = False  # ctrl+p belongs to the shell (previous command)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
        Binding("question_mark,f1", "help", "Help", show=False),
    ]

    def __init__(
        self,
        *,
        lesson: Lesson | None = None,
        course: list[Path] | None = None,
        seat: Seat | None = None,
    ) -> None:
        super().__init__()
        self.lesson = lesson
        self.course = course
        self.seat = seat
        self.opened: list[Lesson] = []
        """Lessons opened in this run (for the parting message)."""

    def action_help(self) -> None:
        """The keys, on any screen (the lesson's and the picker's say theirs themselves; a
        dialog shows those of the screen under it)."""
        from lab.tui.screens.help import PICKER_KEYS, HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        lesson = next((s for s in self.screen_stack if isinstance(s, LessonScreen)), None)
        rows = PICKER_KEYS if lesson is None else None
        self.push_screen(HelpScreen(rows, back=lesson is not None and lesson.from_picker))

    def get_default_screen(self) -> Screen[None]:
        if self.lesson is not None:
            return self._lesson_screen(self.lesson, from_picker=False)
        from lab.tui.screens.picker import PickerScreen

        return PickerScreen(self.course)

    def _lesson_screen(self, lesson: Lesson, *, from_picker: bool) -> LessonScreen:
        self.opened.append(lesson)
        learner = LearnerSession(lesson, seat=self.seat)
        return LessonScreen(learner, from_picker=from_picker)

    def on_picker_screen_open(self, message: PickerScreen.Open) -> None:
        try:
            lesson = load_lesson(message.path)
        except LessonError as exc:
            from lab.tui.screens.problem import ProblemScreen

            self.push_screen(ProblemScreen("This lesson cannot be opened", str(exc)))
            return
        self.push_screen(self._lesson_screen(lesson, from_picker=True))


def run_app(*, lesson: Lesson | None = None, course: list[Path] | None = None) -> int:
    """Run the TUI in this terminal; returns the exit status."""
    app = LabApp(lesson=lesson, course=course)
    app.run()
    for note in parting_notes(app.opened):
        sys.stdout.write(note + "\n")
    return app.return_code or 0


def parting_notes(lessons: list[Lesson]) -> list[str]:
    """What stays on this machine after the app: lessons the learner worked on whose changes
    `lab reset` undoes (a session record, and progress made)."""
    from lab.hoststate import store
    from lab.learner import progress

    def worked_on(lesson: Lesson) -> bool:
        made = progress.load(lesson.path)
        return bool(made.verified or made.position) and store.load(lesson.path) is not None

    kept = {str(x.path): x for x in lessons if worked_on(x)}
    return [
        f"{path}: what the lesson created stays for next time; `lab reset {path}` removes it"
        for path in kept
    ]
