"""`HelpScreen`: the keys of the lesson screen and of the terminal."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("Lesson side", ""),
    ("Enter", "run the current step in its terminal (lab verifies it), or answer the quiz"),
    ("click ▶", "the same, with the mouse; click a step to make it current"),
    ("n / ctrl+down", "next step or quiz"),
    ("p / ctrl+up", "previous step or quiz"),
    ("h", "show or hide the current step's hint"),
    ("d", "show or hide the output drift (expected vs. real output)"),
    ("o", "sections: jump to a part of the lesson"),
    ("t", "show the next terminal (lessons with several)"),
    ("R", "reset the lesson: undo what it created, clear progress, fresh shells"),
    ("↑ ↓ PgUp PgDn", "scroll the lesson"),
    ("? / F1", "this help"),
    ("Esc", "back to the course"),
    ("q / ctrl+q", "quit (progress is saved)"),
    ("", ""),
    ("Terminal side", ""),
    ("F6", "switch the keyboard between the lesson and the terminal"),
    ("every other key", "goes to the shell: Tab, ctrl+c, ctrl+r, arrows …"),
    ("shift+PgUp/PgDn", "scroll the terminal's history (or the mouse wheel)"),
    ("ctrl+q", "quit"),
    ("", ""),
    ("Good to know", ""),
    ("", "You may type a step's commands yourself instead of running it: that works,"),
    ("", "but only steps lab runs are verified and count towards your progress."),
)
"""(keys, what they do); a row with no description is a heading."""


def help_text() -> Content:
    """The key table as text."""
    rows = []
    for keys, what in KEYS:
        if keys and not what:
            rows.append(Content.from_markup("[b $accent]$k[/]", k=keys))
        else:
            rows.append(Content.from_markup("  [b]$k[/]$w", k=keys.ljust(18), w=what))
    return Content("\n").join(rows)


class HelpScreen(ModalScreen[None]):
    """Any of Esc, q, ? or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        #help {
            width: 96; max-width: 95%; height: auto; max-height: 90%;
            padding: 1 2; border: thick $accent; background: $surface;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Keys"
            yield Static(help_text())

    def action_close(self) -> None:
        self.dismiss(None)
