"""`ProblemScreen`: what stops the lesson (no engine, a broken lesson) and what to do."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from lab.errors import LabError
from lab.hoststate.doctor import diagnose
from lab.learner.session import LearnerSession
from lab.lesson.needs import sandboxed

MARKS = {"ok": "[$success]✓[/]", "warn": "[$warning]![/]", "fail": "[$error]✗[/]"}


def engine_advice(learner: LearnerSession, error: LabError) -> Content:
    """What `lab doctor` advises when the lesson's engine does not answer (blocking: it asks
    the engine; run it in a thread). With an engine of the app's own, only its error."""
    lesson = learner.lesson
    lines = [Content.from_markup("[$error]$m[/]", m=error.message)]
    if error.hint:
        lines.append(Content.from_markup("[dim]hint:[/] $h", h=error.hint))
    if learner.engine is None:
        lines.append(Content.from_markup("\n[b]lab doctor[/] says:"))
        for finding in diagnose([lesson], sandboxed=[sandboxed(lesson)]).findings:
            lines.append(Content.from_markup(f"{MARKS[finding.level]} $m", m=finding.message))
            if finding.hint and finding.level != "ok":
                lines.append(Content.from_markup("    [dim]hint:[/] $h", h=finding.hint))
    lines.append(
        Content.from_markup(
            "\n[dim]Fix it, then Retry. Read only: read the lesson; steps cannot run.[/]"
        )
    )
    return Content("\n").join(lines)


def engine_problem(advice: Content) -> ProblemScreen:
    """The dialog for an engine that does not answer."""
    return ProblemScreen(
        "The Docker engine is not reachable",
        advice,
        buttons=(("retry", "Retry"), ("read", "Read only"), ("quit", "Quit")),
    )


class ProblemScreen(ModalScreen[str | None]):
    """Dismisses with the id of the button pressed (Esc: None)."""

    DEFAULT_CSS = """
    ProblemScreen {
        align: center middle;
        #dialog {
            width: 100; max-width: 95%; height: auto; max-height: 90%;
            padding: 1 2; border: thick $error; background: $surface;
            border-title-color: $error;
        }
        #buttons { height: auto; margin-top: 1; align-horizontal: right; }
        #buttons Button { margin-left: 2; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark,f1", "app.help", "Help", show=False),
    ]

    def __init__(
        self,
        title: str,
        message: str | Content,
        *,
        buttons: tuple[tuple[str, str], ...] = (("close", "Close"),),
    ) -> None:
        super().__init__()
        self.title_text = title
        self.message = Content(message) if isinstance(message, str) else message
        self.buttons = buttons

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.message)
            with Horizontal(id="buttons"):
                for key, label in self.buttons:
                    yield Button(label, id=key, variant="primary" if key == "retry" else "default")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_close(self) -> None:
        self.dismiss(None)
