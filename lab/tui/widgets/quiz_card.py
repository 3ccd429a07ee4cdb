"""`QuizCard`: a quiz to answer (one choice, several, or in your own words), then graded."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from lab.learner.progress import QuizAnswer
from lab.lesson.model import Quiz

KIND_TITLE = {"single": "one answer", "multiple": "several answers", "open": "your own words"}
KEYS = {
    "single": "↑↓ choose · Enter check · n next",
    "multiple": "↑↓ move · Space tick · Enter check · n next",
    "open": "type · Enter saves · Tab leaves the box",
}
"""The keys of a quiz, shown on its card while it can be answered."""


class Choice(RadioButton):
    """A radio choice whose mark says picked or not (not only its colour)."""

    @property
    def _button(self) -> Content:
        mark = "(●)" if self.value else "( )"
        return Content.from_markup("[b $accent]$m[/]" if self.value else "$m", m=mark)


class Tick(Checkbox):
    """A checkbox whose mark says ticked or not (not only its colour)."""

    @property
    def _button(self) -> Content:
        mark = "[✓]" if self.value else "[ ]"
        return Content.from_markup("[b $accent]$m[/]" if self.value else "$m", m=mark)


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
        #keys { color: $text-muted; height: auto; }
        RadioButton.-selected, Checkbox:focus { text-style: bold; }
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
            yield RadioSet(*(Choice(inline(c.text)) for c in self.quiz.choices), compact=True)
        elif self.quiz.kind == "multiple":
            with Vertical(id="choices"):
                for c in self.quiz.choices:
                    yield Tick(inline(c.text), compact=True)
        else:
            yield Input(placeholder="Your answer, then Enter", id="open-answer", compact=True)
        with Horizontal(id="buttons"):
            yield Button("Check answer", id="submit", variant="primary", compact=True)
            yield Button("Try again", id="retry", compact=True)
        yield Static(id="feedback")
        yield Static(KEYS[self.quiz.kind], id="keys")

    def on_mount(self) -> None:
        self.show_answer(self.answer)

    @property
    def accepts_input(self) -> bool:
        """It can be answered now (not yet answered, or a wrong answer to try again)."""
        return self.answer is None or self.answer.correct is False

    def focus_first(self) -> None:
        """Put the keyboard on the quiz: its choices, or Try again after a wrong answer."""
        for widget in self.query("RadioSet, Checkbox, Input, #retry, #submit"):
            if widget.focusable and widget.display:
                widget.focus()
                return

    def on_key(self, event: events.Key) -> None:
        """Enter checks the answer from any choice (a single choice: the one highlighted);
        ↑ and ↓ move between ticks."""
        focused = self.screen.focused
        if self.answer is not None or focused is None:
            return
        if event.key == "enter" and isinstance(focused, RadioSet | Checkbox):
            event.stop()
            event.prevent_default()
            if isinstance(focused, RadioSet):
                buttons = list(focused.query(RadioButton))
                highlighted = focused._selected  # the choice under the cursor
                if highlighted is not None and not buttons[highlighted].value:
                    focused.action_toggle_button()
            self.call_after_refresh(self._submit_now)
        elif event.key in ("up", "down") and isinstance(focused, Checkbox):
            event.stop()
            event.prevent_default()
            boxes = list(self.query(Checkbox))
            step = -1 if event.key == "up" else 1
            boxes[max(0, min(len(boxes) - 1, boxes.index(focused) + step))].focus()

    def _submit_now(self) -> None:
        self.query_one("#submit", Button).press()

    def _picked(self) -> tuple[int, ...]:
        kind = RadioButton if self.quiz.kind == "single" else Checkbox
        return tuple(n for n, box in enumerate(self.query(kind)) if box.value)

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
        """Show a graded answer (controls locked), or none (controls open). A right answer
        is final; a wrong one (or an open answer) may be tried again."""
        self.answer = answer
        answered = answer is not None
        for widget in self.query("RadioSet, Checkbox, Input"):
            widget.disabled = answered
        self.query_one("#submit").display = not answered
        self.query_one("#retry").display = answer is not None and answer.correct is not True
        keys = self.query_one("#keys", Static)
        if answer is None:
            keys.update(KEYS[self.quiz.kind])
        elif answer.correct is True:
            keys.update("n next")
        else:
            keys.update("Enter on Try again · n next")
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
