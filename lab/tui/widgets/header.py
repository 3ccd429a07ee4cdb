"""`LabHeader`: a one-line title bar: the title, where the shells work, the progress."""

from __future__ import annotations

from pathlib import Path

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
    """`━━━━──── 3/9 done` (steps and quizzes), and how many steps failed or were undone:
    the header never looks all green while one did."""
    words = Content.from_markup(
        " [b]$done[/][dim]/$total $what[/]", done=str(tally.done), total=str(tally.total), what=what
    )
    trouble = []
    if tally.steps_failed:
        trouble.append(Content.from_markup(" [b $error]✗ $n failed[/]", n=str(tally.steps_failed)))
    if tally.steps_invalidated:
        trouble.append(
            Content.from_markup(" [b $warning]! $n undone[/]", n=str(tally.steps_invalidated))
        )
    return Content.assemble(progress_bar(tally.fraction), words, *trouble)


def home_path(path: Path) -> str:
    """A path with the home directory as `~`."""
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


class WhereLabel(Static):
    """`in ~/path/to/workspace`, cut at the start (`in …/workspace`) when narrow: the end of
    a path says most."""

    def __init__(self, path: Path) -> None:
        super().__init__(id="where")
        self.path = home_path(path)
        self.tooltip = f"The terminals start in {path}"

    def render(self) -> Content:
        room = self.content_region.width or 80
        text = self.path
        if len(text) + 3 > room:
            text = "…" + text[-max(room - 4, 1) :]
        return Content("in " + text)


class LabHeader(Horizontal):
    """`lab │ title ........ progress`."""

    DEFAULT_CSS = """
    LabHeader {
        dock: top;
        height: 1;
        background: $panel;
        #brand { width: auto; padding: 0 1; background: $primary; color: $text; text-style: bold; }
        #title { width: 2fr; padding: 0 1; text-style: bold; text-overflow: ellipsis; }
        #where { width: 1fr; max-width: 64; padding: 0 1; color: $text-muted; }
        #progress { width: auto; padding: 0 1; }
    }
    """

    def __init__(self, title: str, *, where: Path | None = None) -> None:
        super().__init__()
        self._title = title
        self._where = where

    def compose(self) -> ComposeResult:
        yield Static("lab", id="brand")
        yield Static(Content(self._title), id="title")
        if self._where is not None:
            yield WhereLabel(self._where)
        yield Static(id="progress")

    def set_title(self, title: str) -> None:
        """Change the title."""
        self.query_one("#title", Static).update(Content(title))

    def set_progress(self, tally: Tally | None, what: str = "done") -> None:
        """Show how far the learner is (None: nothing)."""
        self.query_one("#progress", Static).update(tally_text(tally, what) if tally else Content())
