"""`QuizCard`: a quiz to answer (one choice, several, or in your own words), then graded."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from lab.learner.progress import QuizAnswer
from lab.lesson.model import Quiz

KIND_TITLE = {"single": "one answer", "multiple": "several answers", "open": "your own words"}


def inline(text: str) -> Content:
    """Inline Markdown of a question or choice: `code` spans stand out, the rest is plain."""
    parts = text.split("`")
    pieces: list[Content] = []
    for n, part in enumerate(parts):
        code = n % 2 == 1 and n < len(parts) - 1
        pieces.append(Content.from_markup("[b $accent]$t[/]", t=part) if code else Content(part))
    return Content("").join(pieces)


class QuizCard(Vertical):
    """A quiz in the lesson. Posts `Answered` (the screen grades and records it) and `Retry`."""

    DEFAULT_CSS = """
    QuizCard {
        height: auto;
        margin: 0 1 1 1;
        padding: 0 1;
        border: round $secondary 60%;
        border-title-color: $secondary;
        border-subtitle-color: $text-muted;
        &.-current { border: round $accent; border-title-color: $accent; }
        &.-right { border-subtitle-color: $success; }
        &.-wrong { border-subtitle-color: $error; }
        #question { text-style: bold; margin-bottom: 1; }
        RadioSet, #choices { height: auto; width: 1fr; }
        Input { margin: 0; background: $boost; }
        #buttons { height: auto; margin-top: 1; }
        #buttons Button { margin-right: 2; }
        #feedback { height: auto; margin-top: 1; }
    }
    """

    class Answered(Message):
        """The learner submitted an answer."""

        def __init__(self, card: QuizCard, choices: tuple[int, ...], text: str) -> None:
            super().__init__()
            self.card = card
            self.choices = choices
            self.text = text

    class Retry(Message):
        """The learner wants to answer again."""

        def __init__(self, card: QuizCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, quiz: Quiz, number: int, answer: QuizAnswer | None = None) -> None:
        super().__init__(id=f"quiz-{number}")
        self.quiz = quiz
        self.number = number
        self.answer = answer
        self.border_title = f"Quiz {number + 1} · {KIND_TITLE[quiz.kind]}"

    def compose(self) -> ComposeResult:
        yield Static(inline(self.quiz.question), id="question")
        if self.quiz.kind == "single":
            yield RadioSet(*(RadioButton(inline(c.text)) for c in self.quiz.choices), compact=True)
        elif self.quiz.kind == "multiple":
            with Vertical(id="choices"):
                for c in self.quiz.choices:
                    yield Checkbox(inline(c.text), compact=True)
        else:
            yield Input(placeholder="Your answer, then Enter", id="open-answer", compact=True)
        with Horizontal(id="buttons"):
            yield Button("Check answer", id="submit", variant="primary", compact=True)
            yield Button("Try again", id="retry", compact=True)
        yield Static(id="feedback")

    def on_mount(self) -> None:
        self.show_answer(self.answer)

    def focus_first(self) -> None:
        """Put the keyboard on the first control of the quiz."""
        for widget in self.query("RadioSet, Checkbox, Input, #submit"):
            if widget.focusable:
                widget.focus()
                return

    def _picked(self) -> tuple[int, ...]:
        if self.quiz.kind == "single":
            index = self.query_one(RadioSet).pressed_index
            return (index,) if index >= 0 else ()
        return tuple(n for n, box in enumerate(self.query(Checkbox)) if box.value)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def _submit(self, event: Message) -> None:
        event.stop()
        text = self.query_one(Input).value if self.quiz.kind == "open" else ""
        choices = self._picked()
        if self.quiz.kind == "open" and not text.strip():
            self._feedback(Content.from_markup("[$warning]Write an answer first.[/]"))
            return
        if self.quiz.kind != "open" and not choices:
            self._feedback(Content.from_markup("[$warning]Pick an answer first.[/]"))
            return
        self.post_message(self.Answered(self, choices, text))

    @on(Button.Pressed, "#retry")
    def _retry(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Retry(self))

    def set_current(self, current: bool) -> None:
        """Highlight the quiz the learner is at."""
        self.set_class(current, "-current")

    def show_answer(self, answer: QuizAnswer | None) -> None:
        """Show a graded answer (controls locked), or none (controls open)."""
        self.answer = answer
        answered = answer is not None
        for widget in self.query("RadioSet, Checkbox, Input"):
            widget.disabled = answered
        self.query_one("#submit").display = not answered
        self.query_one("#retry").display = answered
        self.set_class(answer is not None and answer.correct is True, "-right")
        self.set_class(answer is not None and answer.correct is False, "-wrong")
        if answer is None:
            self.border_subtitle = "not answered"
            self._feedback(Content())
            for box in self.query(Checkbox):
                box.value = False
            if self.quiz.kind == "single":
                for button in self.query(RadioButton):
                    button.value = False
            return
        self._restore(answer)
        self._feedback(self._grade_text(answer))

    def _restore(self, answer: QuizAnswer) -> None:
        if self.quiz.kind == "open":
            self.query_one(Input).value = answer.text
            return
        widgets = list(self.query(RadioButton if self.quiz.kind == "single" else Checkbox))
        for n, widget in enumerate(widgets):
            widget.value = n in answer.choices

    def _grade_text(self, answer: QuizAnswer) -> Content:
        if answer.correct is None:
            self.border_subtitle = "✓ answered"
            return Content.from_markup(
                "[$success]Answer saved.[/] Compare it with the lesson's answer:\n[i]$model[/]",
                model=self.quiz.explanation or "(the lesson gives no model answer)",
            )
        if answer.correct:
            self.border_subtitle = "✓ right"
            return Content.from_markup("[b $success]✓ Right![/]")
        self.border_subtitle = "✗ not quite"
        right = [c.text for c in self.quiz.choices if c.correct]
        label = "The right answer" if len(right) == 1 else "The right answers"
        return Content.assemble(
            Content.from_markup(f"[b $error]✗ Not quite.[/] {label}: "),
            Content(", ").join([inline(t) for t in right]),
        )

    def _feedback(self, content: Content) -> None:
        feedback = self.query_one("#feedback", Static)
        feedback.display = bool(content.plain)
        feedback.update(content)
