"""`PickerScreen`: the course's lessons with time estimates and progress; Enter opens one."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from lab.learner import progress
from lab.lesson.course import CourseEntry, bundled_lessons_dir, course
from lab.lesson.needs import terminal_count
from lab.tui.widgets.header import LabHeader

PROGRESS_WIDTH = 22
"""Columns of the progress cell: an 8-cell bar and ` not started` (the longest words)."""


def progress_cell(entry: CourseEntry, colors: dict[str, str], width: int = 8) -> Text:
    """`━━━━────── 3/9` for a lesson (DataTable cells are Rich text: colours from the theme)."""
    ok, bad, muted = colors["success"], colors["error"], colors["panel-lighten-3"]
    if entry.lesson is None:
        return Text("cannot be read", style=bad)
    tally = progress.tally(entry.lesson, progress.load(entry.path))
    if tally.total == 0:
        return Text("nothing to run", style=muted)
    filled = round(tally.fraction * width)
    bar = Text.assemble(("━" * filled, ok), ("━" * (width - filled), colors["panel-lighten-3"]))
    if tally.done == 0:
        return Text.assemble(bar, (" not started", muted))
    if tally.complete:
        return Text.assemble(bar, (" ✓ done", f"bold {ok}"))
    trouble = ""
    if tally.troubled:
        trouble = f" ✗{tally.troubled}"
    return Text.assemble(bar, f" {tally.done}/{tally.total}", (trouble, bad))


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


class PickerScreen(Screen[None]):
    """The course picker. Posts `Open` with the chosen lesson file."""

    DEFAULT_CSS = """
    PickerScreen {
        #body { padding: 1 2; }
        #intro { color: $text-muted; margin-bottom: 1; }
        DataTable { height: auto; max-height: 1fr; }
        #detail { margin-top: 1; padding: 0 1; height: auto; border-left: wide $accent 50%; }
        #empty { padding: 2 4; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open lesson", priority=True),
        Binding("r", "reload", "Reload"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    class Open(Message):
        """The learner chose a lesson."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, paths: list[Path] | None = None, title: str = "Course") -> None:
        super().__init__()
        self.paths = paths
        self.heading = title
        self.entries: list[CourseEntry] = []

    def compose(self) -> ComposeResult:
        yield LabHeader(self.heading)
        with Vertical(id="body"):
            yield Static(
                "Pick a lesson: it opens beside a live terminal. Your progress is saved.",
                id="intro",
            )
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(id="detail")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "Lesson", "Time", "Steps", "Progress")
        self.load()
        table.focus()

    def on_resize(self) -> None:
        self.load()  # the titles get what the other columns leave

    def _title_room(self) -> int:
        """Columns left for the lesson titles: the table's width less the other columns
        (`#`, time, steps, progress: PROGRESS_WIDTH) and the cells' padding."""
        width = self.query_one(DataTable).size.width or self.size.width - 4
        return max(16, width - (3 + 7 + 5 + PROGRESS_WIDTH) - 2 * 5 - 2)

    def on_screen_resume(self) -> None:
        self.load()  # progress changed in the lesson just closed

    def load(self) -> None:
        """(Re)read the course and everyone's progress."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.entries = course(self.paths)
        colors = self.app.theme_variables
        for n, entry in enumerate(self.entries, 1):
            lesson = entry.lesson
            title = Text(lesson.title if lesson else entry.path.name)
            room = self._title_room()
            if len(title) > room:
                title = Text(title.plain[: room - 1] + "…")
            minutes = lesson.front_matter.lab.estimate if lesson else None
            estimate = f"~{minutes} min" if minutes else "–"
            steps = str(len(lesson.steps)) if lesson else "–"
            cells = (str(n), title, estimate, steps, progress_cell(entry, colors))
            table.add_row(*cells, key=str(n - 1))
        self._show_course_progress()
        if self.entries:
            table.move_cursor(row=min(row, len(self.entries) - 1))
        else:
            where = self.paths or [bundled_lessons_dir()]
            self.query_one("#detail", Static).update(
                Content.from_markup(
                    "No lessons found in $w.\nOpen any lesson file with [b]lab open FILE.md[/].",
                    w=", ".join(str(p) for p in where),
                )
            )

    def _show_course_progress(self) -> None:
        """The header counts lessons done."""
        lessons = [e.lesson for e in self.entries if e.lesson is not None]
        done = sum(progress.tally(x, progress.load(x.path)).complete for x in lessons)
        header = self.query_one(LabHeader)
        header.set_title(f"{self.heading} · {_count(len(self.entries), 'lesson')}")
        if lessons:
            header.set_progress(progress.Tally(done, len(lessons), 0, 0, 0), "lessons done")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if not 0 <= event.cursor_row < len(self.entries):
            return
        entry = self.entries[event.cursor_row]
        detail = self.query_one("#detail", Static)
        if entry.lesson is None:
            detail.update(Content.from_markup("[$error]$e[/]", e=entry.error or ""))
            return
        lesson = entry.lesson
        parts = [_count(len(lesson.steps), "step")]
        if lesson.quizzes:
            parts.append(_count(len(lesson.quizzes), "quiz", "quizzes"))
        if (terminals := terminal_count(lesson)) > 1:
            parts.append(_count(terminals, "terminal"))
        lines = [
            Content.from_markup("[b]$t[/]", t=lesson.title),
            Content.from_markup("[dim]$p · $w[/]", p=entry.path.name, w=" · ".join(parts)),
        ]
        sections = [h.title for h in lesson.headings if h.level == 2][:8]
        lines += [Content.from_markup("  [dim]•[/] $s", s=s) for s in sections]
        detail.update(Content("\n").join(lines))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.cursor_row)

    def action_open(self) -> None:
        self._open(self.query_one(DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if 0 <= row < len(self.entries):
            self.post_message(self.Open(self.entries[row].path))

    def action_reload(self) -> None:
        self.load()

    def action_help(self) -> None:
        from lab.tui.screens.help import PICKER_KEYS, HelpScreen

        self.app.push_screen(HelpScreen(PICKER_KEYS))

    def action_quit(self) -> None:
        self.app.exit()
