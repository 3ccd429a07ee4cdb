"""`LabHeader`: a one-line title bar with the learner's progress on the right."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from lab.learner.progress import Tally

BAR_WIDTH = 16
"""Cells of the progress bar."""


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> Content:
    """A bar of `width` cells, filled to `fraction`."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return Content.from_markup(
        "[$success]$done[/][$foreground 25%]$left[/]",
        done="━" * filled,
        left="━" * (width - filled),
    )


def tally_text(tally: Tally, what: str = "done") -> Content:
    """`━━━━──── 3/9 done` (steps and quizzes)."""
    words = Content.from_markup(
        " [b]$done[/][dim]/$total $what[/]", done=str(tally.done), total=str(tally.total), what=what
    )
    return Content.assemble(progress_bar(tally.fraction), words)


class LabHeader(Horizontal):
    """`lab │ title ........ progress`."""

    DEFAULT_CSS = """
    LabHeader {
        dock: top;
        height: 1;
        background: $panel;
        #brand { width: auto; padding: 0 1; background: $primary; color: $text; text-style: bold; }
        #title { width: 1fr; padding: 0 1; text-style: bold; text-overflow: ellipsis; }
        #progress { width: auto; padding: 0 1; }
    }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        yield Static("lab", id="brand")
        yield Static(Content(self._title), id="title")
        yield Static(id="progress")

    def set_title(self, title: str) -> None:
        """Change the title."""
        self.query_one("#title", Static).update(Content(title))

    def set_progress(self, tally: Tally | None, what: str = "done") -> None:
        """Show how far the learner is (None: nothing)."""
        self.query_one("#progress", Static).update(tally_text(tally, what) if tally else Content())
