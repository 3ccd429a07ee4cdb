"""Screen and history rows -> Textual strips: one segment per run of equal attributes."""

from __future__ import annotations

from collections.abc import Mapping

from pyte.screens import Char
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from lab.tui.emulator.colors import char_style
from lab.tui.emulator.screen import HistoryRow

Attrs = tuple[str, str, bool, bool, bool, bool, bool, bool]
"""A cell's attributes as pyte keeps them: fg, bg, bold, italics, underscore,
strikethrough, reverse, blink."""
_BLANK: Attrs = ("default", "default", False, False, False, False, False, False)
"""The attributes of a cell never written to."""
NO_CURSOR = -1


class RowRenderer:
    """Renders rows on top of the widget's base style (its colours stand for `default`)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._base = Style()
        self._styles: dict[tuple[Attrs, bool], Style] = {}

    def set_base(self, base: Style) -> None:
        """Use the widget's current style for default colours (it changes with the theme)."""
        if base != self._base:
            self._base = base
            self._styles.clear()

    def render(self, row: HistoryRow | None, width: int, cursor: int = NO_CURSOR) -> Strip:
        """One row as a strip exactly `width` cells wide, the cell at `cursor` highlighted."""
        base = self._base
        if isinstance(row, bytes):  # printable ASCII, from the fast path
            strip = Strip([Segment(row.decode("ascii"), base)])
        elif isinstance(row, Text):
            strip = Strip(
                Segment(s.text, base + s.style if s.style else base)
                for s in row.render(self._console)
            )
        else:
            strip = Strip(self._segments(row or {}, width, cursor))
        return strip.adjust_cell_length(width, base)

    def _segments(self, row: Mapping[int, Char], width: int, cursor: int) -> list[Segment]:
        styles = self._styles
        last = min(max(max(row, default=NO_CURSOR), cursor), width - 1)
        segments: list[Segment] = []
        run: list[str] = []
        run_key: tuple[Attrs, bool] | None = None
        for x in range(last + 1):
            char = row.get(x)
            if char is None:
                data, attrs = " ", _BLANK
            else:
                data, attrs = char.data, char[1:]
                if not data:  # the second cell of a wide character
                    continue
            key = (attrs, x == cursor)
            if key != run_key:
                if run_key is not None:
                    segments.append(Segment("".join(run), styles[run_key]))
                    run = []
                run_key = key
                if key not in styles:
                    styles[key] = self._base + char_style(*attrs[:6], attrs[6] != key[1], attrs[7])
            run.append(data)
        if run_key is not None:
            segments.append(Segment("".join(run), styles[run_key]))
        return segments
