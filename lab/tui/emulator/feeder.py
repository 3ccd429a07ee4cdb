"""Pending pty output -> the screen model: a time budget a tick, a fast path for floods.

pyte parses ~0.5 MB/s, programs print much faster (`seq 1 300000`: 2.3 MB). When the
backlog holds more than a few screenfuls of plain lines (text, CR, LF, TAB and the
line-local sequences SGR, EL and CHA), only the last screenful can be seen: the lines
before it go straight into the scrollback as text, pyte gets just their SGR codes (to
keep the current colours), and parses the last screenful as usual.
"""

from __future__ import annotations

import re
import time

import pyte
from rich.text import Text

from lab.tui.emulator.screen import HistoryRow, TerminalScreen

CHUNK = 4096
"""Bytes handed to pyte at a time (~8 ms of parsing at worst); the budget is checked
between chunks."""
HEAD_MAX = 2 * CHUNK
"""The fast path parses the backlog up to the first newline after its last non-plain
byte first; a longer head is parsed a budget at a time before skipping."""
MIN_SCREENFULS = 2
"""The fast path skips a region only if it holds at least this many screenfuls of lines
(so every row on screen would have scrolled away)."""
SGR_KEPT = 32
"""SGR codes of a skipped region replayed to pyte, counting back to the last reset."""

_NOT_PLAIN = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]"  # C0 controls but TAB, LF, CR and ESC
    rb"|\x1b(?!\[[0-9;]*m|\[[0-2]?K|\[[0-9]*G)"  # escapes but SGR, EL, CHA (line-local)
    rb"|\xc2[\x80-\x9f]"  # C1 controls (UTF-8 encoded)
)
"""Bytes whose effect on the screen cannot be skipped."""
_SGR = re.compile(rb"\x1b\[([0-9;]*)m")
_PRINTABLE = bytes(range(0x20, 0x7F))
_TO_COLUMN = re.compile(rb"\x1b\[[0-9]*G")
"""CHA: in a skipped line, taken for a carriage return (programs use `ESC[1G` so)."""


def _is_reset(params: bytes) -> bool:
    """An SGR parameter list that starts by resetting all attributes (`ESC[m`, `ESC[0;31m`)."""
    first = params.split(b";", 1)[0]
    return not first.strip(b"0")


class OutputFeeder:
    """Bytes from the shell go in with `append`; `process` parses them into the screen."""

    def __init__(self, screen: TerminalScreen) -> None:
        self.screen = screen
        self._stream = pyte.ByteStream(screen)
        self._pending = bytearray()
        self._scanned = 0
        """Bytes of the backlog already searched for non-plain bytes."""
        self._bad_end = 0
        """Just past the last non-plain byte in the searched part (0: none)."""
        self.skipped = 0
        """Bytes that went by the fast path, not through pyte (for benchmarks)."""

    @property
    def pending(self) -> int:
        """Bytes waiting to be parsed."""
        return len(self._pending)

    def append(self, data: bytes) -> None:
        """Queue output from the shell (cheap: called for every read of the pty)."""
        self._pending += data

    def process(self, budget: float) -> bool:
        """Parse for about `budget` seconds at most; returns whether anything was parsed."""
        if not self._pending:
            return False
        deadline = time.perf_counter() + budget
        self._fast_forward()
        while self._pending and time.perf_counter() < deadline:
            self._feed(CHUNK)
        return True

    # -- helpers ------------------------------------------------------------------------

    def _feed(self, size: int) -> None:
        data = bytes(self._pending[:size])
        self._consume(len(data))
        self._stream.feed(data)

    def _consume(self, size: int) -> None:
        del self._pending[:size]
        self._scanned = max(0, self._scanned - size)
        self._bad_end = max(0, self._bad_end - size)

    def _fast_forward(self) -> None:
        """Skip the plain lines that would scroll off before the last screenful."""
        buf = self._pending
        lines = self.screen.lines
        if buf.count(b"\n") < (MIN_SCREENFULS + 1) * lines + 2:
            return
        tail = self._tail(len(buf))
        if tail > self._scanned:
            for match in _NOT_PLAIN.finditer(buf, self._scanned, tail):
                self._bad_end = match.end()
            self._scanned = tail
        head = buf.find(b"\n", self._bad_end, tail) + 1  # the cursor row ends through pyte
        if 0 < head <= HEAD_MAX:
            self._skip_between(head, tail)
        elif self._bad_end:  # plain lines before the first non-plain byte may go by too
            first = _NOT_PLAIN.search(buf, 0, self._bad_end)
            if first is not None:
                end = buf.rfind(b"\n", 0, first.start()) + 1
                head = buf.find(b"\n", 0, end) + 1
                if 0 < head <= HEAD_MAX:
                    self._skip_between(head, self._tail(end))

    def _tail(self, end: int) -> int:
        """Where the last screenful of lines before `end` starts (`lines` newlines)."""
        tail = end
        for _ in range(self.screen.lines + 1):
            tail = self._pending.rfind(b"\n", 0, tail)
        return tail + 1

    def _skip_between(self, head: int, tail: int) -> None:
        """Parse the backlog up to `head`, skip it up to `tail`, if that is worth it."""
        if self._pending.count(b"\n", head, tail) >= MIN_SCREENFULS * self.screen.lines:
            self._feed(head)
            self._skip(tail - head)

    def _skip(self, size: int) -> None:
        """Take `size` bytes of plain lines off the backlog without parsing them."""
        region = bytes(self._pending[:size])
        self._consume(size)
        self.skipped += size
        screen = self.screen
        screen.scroll_out()
        if not screen.alternate:  # the alternate screen has no scrollback
            screen.push_history(self._rows(region))
        self._stream.feed(self._last_colours(region))

    def _rows(self, region: bytes) -> list[HistoryRow]:
        """History rows for the last lines of a skipped region (as many as are kept)."""
        keep = self.screen.history.maxlen or 0
        start = len(region) - 1
        for _ in range(keep):
            start = region.rfind(b"\n", 0, start)
            if start < 0:
                break
        rows: list[HistoryRow] = []
        columns = self.screen.columns
        for line in region[start + 1 : -1].split(b"\n"):
            line = _TO_COLUMN.sub(b"\r", line).rstrip(b"\r")
            if b"\r" in line:  # overprinted: keep what was printed last
                line = line.rsplit(b"\r", 1)[1]
            if len(line) <= columns and not line.translate(None, _PRINTABLE):
                rows.append(line)
                continue
            text = Text.from_ansi(line.decode("utf-8", "replace"))
            text.expand_tabs(8)
            if text.cell_len <= columns:
                rows.append(text)
            else:
                rows.extend(text.divide(range(columns, len(text.plain), columns)))
        return rows[-keep:] if keep else []

    @staticmethod
    def _last_colours(region: bytes) -> bytes:
        """The SGR codes of `region` that still apply at its end (from the last reset)."""
        codes: list[tuple[bytes, bytes]] = []  # (code, parameters), the last one first
        end = len(region)
        others = 0
        while len(codes) < SGR_KEPT:
            esc = region.rfind(b"\x1b[", 0, end)
            if esc < 0:
                break
            end = esc
            match = _SGR.match(region, esc)
            if match is None:  # EL or CHA
                others += 1
                if others > SGR_KEPT:  # many of them: search the rest in one go
                    earlier = [(m[0], m[1]) for m in _SGR.finditer(region, 0, end)]
                    codes.extend(reversed(earlier[len(codes) - SGR_KEPT :]))
                    break
                continue
            codes.append((match[0], match[1]))
            if _is_reset(match.group(1)):
                break
        for i, (_, params) in enumerate(codes):
            if _is_reset(params):
                del codes[i + 1 :]
                break
        return b"".join(code for code, _ in reversed(codes))
