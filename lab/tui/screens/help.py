"""`HelpScreen`: the keys of the screen it was opened from (the lesson and its terminal, or
the course picker), in two columns: keys on the left, what they do on the right."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

Rows = tuple[tuple[str, str], ...]
"""(keys, what they do); a row with no keys is a heading, one with neither a gap."""


def lesson_keys(*, back: bool) -> Rows:
    """The lesson screen's keys (back: it was opened from the course, Esc returns there)."""
    return (
        ("", "Lesson side"),
        (
            "Enter",
            "run the current step in its terminal; lab waits for it and verifies it. "
            "You stay on the step to read what happened",
        ),
        ("click ▶", "the same, with the mouse; click a step to make it current"),
        ("n / ctrl+↓", "next step or quiz (the keyboard follows onto a quiz's choices)"),
        ("p / ctrl+↑", "previous step or quiz"),
        ("h", "the current step's hint (a failed step shows what to try by itself)"),
        ("d", "how the step's output differs from the lesson's"),
        ("o", "sections: jump to a part of the lesson"),
        ("t", "show the next terminal (lessons with several)"),
        ("R", "reset the lesson: remove what it made, clear progress, fresh shells"),
        ("↑ ↓ PgUp PgDn", "scroll the lesson"),
        ("? / F1", "this help"),
        *((("Esc", "back to the course"),) if back else ()),
        ("q / ctrl+q", "quit: everything is saved, and the lesson reopens where you were"),
        ("", ""),
        ("", "Quiz"),
        ("↑ ↓", "choose (one answer) or move (several answers)"),
        ("Space", "tick or untick a choice (several answers)"),
        ("Enter", "check your answer; a right answer stays, a wrong one may be tried again"),
        ("", ""),
        ("", "Terminal side"),
        ("F6", "switch the keyboard between the lesson and the terminal"),
        ("every other key", "goes to the shell: Tab, ctrl+c, ctrl+r, arrows, Esc …"),
        ("shift+PgUp/PgDn", "scroll the terminal's history (or the mouse wheel)"),
        ("ctrl+q", "quit"),
        ("", ""),
        ("", "Good to know"),
        (
            "",
            "You may type a step's commands yourself instead of running it: that works, "
            "but only steps lab runs are verified and count towards your progress.",
        ),
    )


PICKER_KEYS: Rows = (
    ("", "Course"),
    ("↑ ↓", "choose a lesson"),
    ("Enter", "open it beside a live terminal (it takes up where you left off)"),
    ("r", "read the course and the progress again"),
    ("? / F1", "this help"),
    ("q / ctrl+q", "quit"),
)


def help_text(rows: Rows) -> Content:
    """The key table as plain text (one line a row; for tests and screen readers)."""
    return Content("\n").join(
        Content(f"{keys.ljust(18)}{what}" if keys else what) for keys, what in rows
    )


class HelpScreen(ModalScreen[None]):
    """Any of Esc, q, ? or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        #help {
            width: 96; max-width: 95%; height: auto; max-height: 90%;
            padding: 1 2; border: thick $accent; background: $surface;
        }
        Grid { grid-size: 2; grid-columns: 18 1fr; grid-rows: auto; height: auto; }
        .keys { text-style: bold; width: 18; }
        .heading { column-span: 2; color: $accent; text-style: bold; }
        .what { width: 1fr; }
        .note { column-span: 2; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close"),
    ]

    def __init__(self, rows: Rows | None = None, *, back: bool = False) -> None:
        super().__init__()
        self.rows = rows if rows is not None else lesson_keys(back=back)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Keys"
            with Grid():
                for keys, what in self.rows:
                    if not keys:
                        kind = "note" if len(what) > 40 else "heading"
                        yield Static(what or " ", classes=kind)
                    else:
                        yield Static(keys, classes="keys")
                        yield Static(what, classes="what")

    def action_close(self) -> None:
        self.dismiss(None)
