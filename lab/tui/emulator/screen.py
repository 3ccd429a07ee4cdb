"""A pyte screen plus what pyte lacks: scrollback, alternate screen, prompt-keeping resize.

It also sends the answers to terminal queries (DA, cursor position) to `respond`.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyte
from pyte.screens import Char, Cursor, Margins, StaticDefaultDict
from rich.text import Text

Row = StaticDefaultDict[int, Char]
"""One screen row as pyte keeps it: column -> cell (missing columns are blank)."""
Buffer = dict[int, Row]
"""Screen rows by line number (missing lines are blank)."""
HistoryRow = Row | bytes | Text
"""A row that scrolled off: a pyte row, or (from the fast path) the raw bytes of a line
that fits one row (text and SGR codes only), or a styled slice of a longer line."""

ALTERNATE_MODES = frozenset({47, 1047, 1049})
"""DEC private modes that switch to the alternate screen (1049 also saves the cursor)."""
DECCKM = 1 << 5
"""Application cursor keys (`ESC[?1h`), as pyte stores private modes (shifted by 5)."""
BRACKETED_PASTE = 2004 << 5
"""Bracketed paste (`ESC[?2004h`), as pyte stores it."""
DEFAULT_SCROLLBACK = 1000
"""Rows of history kept. A pyte row costs ~100 bytes a used cell, so this stays small."""


@dataclass
class _Saved:
    """The normal screen while the alternate one is shown."""

    buffer: Buffer
    cursor: Cursor
    margins: Margins | None
    restore_cursor: bool


class TerminalScreen(pyte.Screen):
    """The screen model of one terminal: pyte plus scrollback and the alternate screen."""

    def __init__(
        self,
        columns: int,
        lines: int,
        *,
        scrollback: int = DEFAULT_SCROLLBACK,
        respond: Callable[[str], None] | None = None,
    ) -> None:
        self.history: deque[HistoryRow] = deque(maxlen=scrollback)
        """Rows that scrolled off the top of the normal screen, oldest first."""
        self.scrolled_off = 0
        """How many rows ever went into the history (it only grows; for anchoring a view)."""
        self.respond = respond
        """Where answers to terminal queries (DA, cursor position) go: the program's input."""
        self._saved: _Saved | None = None
        super().__init__(columns, lines)

    # -- what the widget asks -----------------------------------------------------------

    @property
    def alternate(self) -> bool:
        """The alternate screen is shown (a full-screen program such as vim or less)."""
        return self._saved is not None

    @property
    def app_cursor_keys(self) -> bool:
        """DECCKM: arrows send `ESC O A` rather than `ESC [ A`."""
        return DECCKM in self.mode

    @property
    def bracketed_paste(self) -> bool:
        """The program wants pastes wrapped in `ESC[200~` … `ESC[201~`."""
        return BRACKETED_PASTE in self.mode

    def text(self) -> list[str]:
        """The screen as text, one string a row, trailing blanks removed."""
        return [line.rstrip() for line in self.display]

    def push_history(self, rows: Iterable[HistoryRow]) -> None:
        """Add rows that scrolled off without being drawn (the output fast path)."""
        for row in rows:
            self.history.append(row)
            self.scrolled_off += 1

    def scroll_out(self) -> None:
        """Move every row down to the cursor's into the history; start at the top-left.

        Used by the fast path: what follows would scroll the whole screen away anyway."""
        if self._saved is None:
            self.push_history(self.buffer.get(y) or b"" for y in range(self.cursor.y))
        self.buffer.clear()
        self.cursor.x = self.cursor.y = 0
        self.dirty.update(range(self.lines))

    # -- pyte overrides -----------------------------------------------------------------

    def reset(self) -> None:
        self._saved = None
        super().reset()

    def write_process_input(self, data: str) -> None:
        if self.respond is not None:
            self.respond(data)

    def index(self) -> None:
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if self._saved is None and top == 0 and self.cursor.y == bottom:
            self.history.append(self.buffer.get(0) or b"")
            self.scrolled_off += 1
        super().index()

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        if how == 3 and self._saved is None:  # `clear` sends ED 3: forget the scrollback
            self.history.clear()
        super().erase_in_display(how, *args, **kwargs)

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and ALTERNATE_MODES.intersection(modes):
            self._enter_alternate(save_cursor=1049 in modes)
            modes = tuple(m for m in modes if m not in ALTERNATE_MODES)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private") and ALTERNATE_MODES.intersection(modes):
            self._leave_alternate()
            modes = tuple(m for m in modes if m not in ALTERNATE_MODES)
        super().reset_mode(*modes, **kwargs)

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """Resize; unlike pyte's, rows above the cursor scroll into the history so the
        cursor row (the prompt) stays on screen, and blank rows below it go first."""
        lines = lines or self.lines
        columns = columns or self.columns
        if lines == self.lines and columns == self.columns:
            return
        if lines < self.lines:
            excess = self.cursor.y - (lines - 1)
            self._shrink(self.buffer, excess, lines, keep=self._saved is None)
            self.cursor.y -= max(0, excess)
            if self._saved is not None:
                saved = self._saved
                excess = saved.cursor.y - (lines - 1)
                self._shrink(saved.buffer, excess, lines, keep=True)
                saved.cursor.y -= max(0, excess)
                saved.margins = None
        if columns < self.columns:
            buffers = [self.buffer] + ([self._saved.buffer] if self._saved else [])
            for buffer in buffers:
                for row in buffer.values():
                    for x in [x for x in row if x >= columns]:
                        del row[x]
        new_stops = range(8 * (self.columns // 8 + 1), columns, 8)  # beyond the old width
        self.tabstops = {t for t in self.tabstops if t < columns} | set(new_stops)
        self.lines, self.columns = lines, columns
        self.cursor.x = min(self.cursor.x, columns)
        self.margins = None
        self.dirty.update(range(lines))

    # -- helpers ------------------------------------------------------------------------

    def _shrink(self, buffer: Buffer, excess: int, lines: int, *, keep: bool) -> None:
        """Scroll `excess` rows off the top of `buffer` (into the history if `keep`), then
        drop the rows below `lines`."""
        if excess > 0:
            if keep:
                self.push_history(buffer.get(y) or b"" for y in range(excess))
            moved = {y - excess: row for y, row in buffer.items() if y >= excess}
            buffer.clear()
            buffer.update(moved)
        for y in [y for y in buffer if y >= lines]:
            del buffer[y]

    def _new_buffer(self) -> Buffer:
        return defaultdict(lambda: StaticDefaultDict[int, Char](self.default_char))

    def _enter_alternate(self, *, save_cursor: bool) -> None:
        if self._saved is not None:
            return
        cursor = Cursor(self.cursor.x, self.cursor.y, self.cursor.attrs)
        cursor.hidden = self.cursor.hidden
        self._saved = _Saved(self.buffer, cursor, self.margins, save_cursor)
        self.buffer = self._new_buffer()
        self.dirty.update(range(self.lines))

    def _leave_alternate(self) -> None:
        saved, self._saved = self._saved, None
        if saved is None:
            return
        self.buffer = saved.buffer
        self.margins = saved.margins
        if saved.restore_cursor:
            self.cursor.x, self.cursor.y = saved.cursor.x, saved.cursor.y
            self.cursor.attrs = saved.cursor.attrs
        self.ensure_hbounds()
        self.ensure_vbounds()
        self.dirty.update(range(self.lines))
