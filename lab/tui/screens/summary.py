"""`SummaryScreen`: the lesson is done: what was verified, the quiz score, what next."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from lab.learner.progress import Tally
from lab.lesson.model import Lesson


def summary_text(lesson: Lesson, tally: Tally) -> Content:
    """The body of the summary."""
    lines = [Content.from_markup("[b]$t[/]\n", t=lesson.title)]
    mark = "[$success]✓[/]" if tally.steps_done == tally.steps else "[$warning]![/]"
    lines.append(
        Content.from_markup(
            f"{mark} $d of $n steps verified (their checks passed on the last run)",
            d=str(tally.steps_done),
            n=str(tally.steps),
        )
    )
    if tally.steps_failed:
        lines.append(
            Content.from_markup("[$error]✗ $n failed on the last run[/]", n=str(tally.steps_failed))
        )
    if tally.steps_invalidated:
        lines.append(
            Content.from_markup(
                "[$warning]! $n passed, but what they made is gone since[/]",
                n=str(tally.steps_invalidated),
            )
        )
    if tally.quizzes:
        lines.append(
            Content.from_markup(
                "[$success]✓[/] $a quizzes answered, $r right",
                a=str(tally.quizzes_done),
                r=str(tally.quizzes_right),
            )
        )
    lines.append(
        Content.from_markup(
            "\n[dim]What the lesson created (containers, images, files) stays on this machine.\n"
            "Remove it with [b]R[/] (reset) here, or later with [b]lab reset $p[/].[/]",
            p=str(lesson.path),
        )
    )
    return Content("\n").join(lines)


class SummaryScreen(ModalScreen[str | None]):
    """Dismisses with "back" (to the course) or "stay"."""

    DEFAULT_CSS = """
    SummaryScreen {
        align: center middle;
        #dialog {
            width: 80; max-width: 95%; height: auto; padding: 1 2;
            border: thick $success; background: $surface; border-title-color: $success;
        }
        #buttons { height: auto; margin-top: 1; align-horizontal: right; }
        #buttons Button { margin-left: 2; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stay", "Close"),
        Binding("question_mark,f1", "app.help", "Help", show=False),
    ]

    def __init__(self, lesson: Lesson, tally: Tally, *, can_go_back: bool = True) -> None:
        super().__init__()
        self.lesson = lesson
        self.tally = tally
        self.can_go_back = can_go_back

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Lesson complete"
            yield Static(summary_text(self.lesson, self.tally))
            with Horizontal(id="buttons"):
                yield Button("Stay here", id="stay")
                if self.can_go_back:
                    yield Button("Back to the course", id="back", variant="success")

    def on_mount(self) -> None:
        self.query("Button").last().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_stay(self) -> None:
        self.dismiss("stay")
