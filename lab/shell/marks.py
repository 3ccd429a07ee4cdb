"""Split a pty's byte stream into screen bytes and shell-integration marks, incrementally."""

from __future__ import annotations

import enum
from dataclasses import dataclass

ESC = 0x1B
BEL = 0x07

OSC_133 = b"133"
"""The FinalTerm/iTerm2 "semantic prompt" OSC number: A/B/C/D marks."""

MORE_INPUT_OSC = b"6973;more"
"""Our private mark printed by PS2. 6973 is an OSC number no terminal uses (so any that
sees it ignores it); the payload says bash wants another line of the current command."""

MAX_PENDING = 4096
"""An escape sequence still unterminated after this many bytes is not one of ours (our
marks are under 20 bytes): pass it to the screen instead of holding it back forever."""

BRACKETED_PASTE_MODE = b"2004"
"""DEC private mode 2004: readline turns it on (`ESC[?2004h`) while it reads a line."""


class MarkKind(enum.Enum):
    """Which point of the prompt/command cycle a mark announces."""

    PROMPT_START = "A"
    """The prompt (PS1) starts."""
    PROMPT_END = "B"
    """The prompt has been printed: bash's readline waits for a command."""
    COMMAND_START = "C"
    """A command line was accepted and starts running (printed by PS0)."""
    COMMAND_END = "D"
    """The previous command finished (printed first thing by PROMPT_COMMAND, with `$?`)."""
    MORE_INPUT = "more"
    """PS2: bash wants another line to complete the command (continuation, here-doc, ...)."""
    PASTE_OFF = "2004l"
    """Not a shell mark: bracketed paste mode was turned off, which readline does each
    time it has read a line. Its bytes stay in the screen output."""


@dataclass(frozen=True)
class Mark:
    """One shell-integration mark found in the stream."""

    kind: MarkKind
    """What the mark announces."""
    status: int | None = None
    """For COMMAND_END: the exit status of the command; otherwise None."""


Piece = bytes | Mark
"""An item of scanned output, in stream order: screen bytes, or a mark."""


def _parse_osc(payload: bytes) -> Mark | None:
    """The mark an OSC payload (between `ESC ]` and its terminator) stands for, if ours."""
    if payload == MORE_INPUT_OSC:
        return Mark(MarkKind.MORE_INPUT)
    if not payload.startswith(OSC_133 + b";"):
        return None
    fields = payload[len(OSC_133) + 1 :].split(b";")
    letter = fields[0].decode("ascii", "replace")
    if letter == MarkKind.COMMAND_END.value:
        status: int | None = None
        if len(fields) > 1 and fields[1].strip().lstrip(b"-").isdigit():
            status = int(fields[1])
        return Mark(MarkKind.COMMAND_END, status)
    for kind in (MarkKind.PROMPT_START, MarkKind.PROMPT_END, MarkKind.COMMAND_START):
        if letter == kind.value:
            return Mark(kind)
    return None


class MarkScanner:
    """Feed it raw pty bytes chunk by chunk; it returns screen bytes and marks in order.

    Marks (OSC 133 and our PS2 mark) are removed from the screen bytes. Sequences cut
    across chunk boundaries are held back until they complete. It also follows DEC
    mode 2004 (bracketed paste) so the sender knows whether it may wrap lines in it.
    """

    def __init__(self) -> None:
        self._pending = b""
        self.bracketed_paste = False
        """Whether the terminal application has bracketed paste mode (2004) on."""

    def feed(self, data: bytes) -> list[Piece]:
        """Scan the next chunk; return what can be decided so far."""
        buf = self._pending + data
        self._pending = b""
        pieces: list[Piece] = []
        start = 0  # first byte not yet emitted
        pos = 0
        while True:
            esc = buf.find(b"\x1b", pos)
            if esc < 0:
                break
            end, mark = self._sequence(buf, esc)
            if end is None:  # incomplete: keep it for the next chunk
                if esc > start:
                    pieces.append(buf[start:esc])
                self._pending = buf[esc:]
                return pieces
            if mark is not None and mark.kind is MarkKind.PASTE_OFF:  # keep its bytes
                pieces += [buf[start:end], mark]
                start = end
            elif mark is not None:
                if esc > start:
                    pieces.append(buf[start:esc])
                pieces.append(mark)
                start = end
            pos = end
        if start < len(buf):
            pieces.append(buf[start:])
        return pieces

    def flush(self) -> bytes:
        """Bytes held back waiting for a sequence to complete (call at end of stream)."""
        rest, self._pending = self._pending, b""
        return rest

    def _sequence(self, buf: bytes, esc: int) -> tuple[int | None, Mark | None]:
        """Where the escape sequence at `esc` ends (None: incomplete) and its mark, if any."""
        if esc + 1 >= len(buf):
            return None, None
        intro = buf[esc + 1]
        if intro == ord("]"):
            return self._osc(buf, esc)
        if intro == ord("["):
            return self._csi(buf, esc)
        return esc + 1, None

    def _osc(self, buf: bytes, esc: int) -> tuple[int | None, Mark | None]:
        """An OSC sequence, terminated by BEL or ST (`ESC \\`)."""
        body = esc + 2
        limit = esc + MAX_PENDING
        ends = [
            (i, n)
            for i, n in ((buf.find(b"\x07", body, limit), 1), (buf.find(b"\x1b\\", body, limit), 2))
            if i >= 0
        ]
        if not ends:
            return (esc + 1 if len(buf) >= limit else None), None
        term, term_len = min(ends)
        return term + term_len, _parse_osc(buf[body:term])

    def _csi(self, buf: bytes, esc: int) -> tuple[int | None, Mark | None]:
        """A CSI sequence; follows DEC private mode 2004 (a PASTE_OFF mark when reset)."""
        i = esc + 2
        while i < len(buf) and not 0x40 <= buf[i] <= 0x7E:
            i += 1
            if i - esc > MAX_PENDING:
                return esc + 1, None
        if i >= len(buf):
            return None, None
        final = buf[i]
        params = buf[esc + 2 : i]
        private = params.startswith(b"?")
        if final in b"hl" and private and BRACKETED_PASTE_MODE in params[1:].split(b";"):
            self.bracketed_paste = final == ord("h")
            if not self.bracketed_paste:
                return i + 1, Mark(MarkKind.PASTE_OFF)
        return i + 1, None
