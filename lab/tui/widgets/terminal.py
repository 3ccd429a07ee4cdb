"""`TerminalView`: a shell session's output on a pyte screen, the keyboard into its pty.

F6 switches focus between lesson and terminal: the widget sends every other key to the
shell (Tab, ctrl+c, ctrl+d, ctrl+r, ctrl+z, arrows, F-keys ...) but lets `FOCUS_KEY`
(F6) and ctrl+q (quit) through to the app.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from lab.shell import ShellSession
from lab.tui.emulator.feeder import OutputFeeder
from lab.tui.emulator.keys import key_to_text
from lab.tui.emulator.render import NO_CURSOR, RowRenderer
from lab.tui.emulator.screen import DEFAULT_SCROLLBACK, HistoryRow, TerminalScreen

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
"""Bracketed paste: sent around a paste when the program turned mode 2004 on."""


class TerminalView(Widget, can_focus=True):
    """A terminal over one `ShellSession`: colours, cursor, resize, alternate screen,
    scrollback (mouse wheel, shift+PageUp/PageDown; typing snaps back).

    The app owns the session: it starts it (before or after mounting) and closes it. When
    the shell exits, the widget posts `ShellExited`; the app then closes the session, or
    calls `reset()` and then `await session.respawn()` for a fresh shell in the widget.
    """

    FOCUS_KEY: ClassVar[str] = "f6"
    """F6 switches focus between lesson and terminal: never sent to the shell."""
    PASS_KEYS: ClassVar[frozenset[str]] = frozenset({"ctrl+q"})
    """Other keys left to the app (ctrl+q, quit, is a priority binding in Textual anyway)."""
    FRAME: ClassVar[float] = 1 / 30
    """Output is parsed and repainted at most once a frame (~30 fps) ..."""
    SMALL_OUTPUT: ClassVar[int] = 256
    """... except a few bytes (echo, a prompt), which are shown at once (keystroke to echo
    in ~4 ms). A program streaming output fills the pty's reads and is throttled."""
    PARSE_BUDGET: ClassVar[float] = 0.012
    """Seconds of pyte parsing per frame at most; the rest of a backlog waits."""
    EXIT_POLL: ClassVar[float] = 0.1
    """How often (s) the widget checks whether the shell is still alive."""
    WHEEL_ROWS: ClassVar[int] = 3
    """Rows scrolled per mouse-wheel notch."""

    DEFAULT_CSS = """
    TerminalView {
        width: 1fr;
        height: 1fr;
        background: $background;
        color: $foreground;
    }
    """

    class ShellExited(Message):
        """The shell of this terminal exited: close the session, or respawn it to go on."""

        def __init__(self, view: TerminalView, exit_status: int | None) -> None:
            super().__init__()
            self.view = view
            """The terminal whose shell exited."""
            self.exit_status = exit_status
            """The shell's exit status, if known."""

        @property
        def control(self) -> TerminalView:
            return self.view

    def __init__(
        self,
        session: ShellSession,
        *,
        scrollback: int = DEFAULT_SCROLLBACK,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's parameter name
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.session = session
        """The shell this terminal shows."""
        self.term = TerminalScreen(80, 24, scrollback=scrollback, respond=session.send_text)
        """The screen model (pyte): `term.text()` is what the terminal shows."""
        self.feeder = OutputFeeder(self.term)
        self._renderer: RowRenderer | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._tick: asyncio.TimerHandle | None = None
        self._last_tick = 0.0
        self._scroll = 0
        """Rows scrolled back into the history (0: the live screen)."""
        self._anchor = 0
        """`term.scrolled_off` when the view was last placed (keeps a scrolled view still)."""
        self._cursor_row = -1
        self._was_alive = False

    # -- public API ---------------------------------------------------------------------

    @property
    def scrolled_back(self) -> int:
        """How many rows of history the view is scrolled back (0: following the output)."""
        return self._scroll

    def screen_text(self) -> list[str]:
        """What the terminal screen shows (the live screen, not the scrolled view)."""
        return self.term.text()

    def scroll_history(self, rows: int) -> None:
        """Scroll the view `rows` back into the history (negative: forward)."""
        limit = 0 if self.term.alternate else len(self.term.history)
        scroll = min(max(self._scroll + rows, 0), limit)
        if scroll != self._scroll:
            self._scroll = scroll
            self._anchor = self.term.scrolled_off
            self.refresh()

    def reset(self) -> None:
        """Clear the screen and the history (before respawning the shell)."""
        self.term.reset()
        self.term.history.clear()
        self._scroll = 0
        self.refresh()

    # -- lifecycle ----------------------------------------------------------------------

    def on_mount(self) -> None:
        self._renderer = RowRenderer(self.app.console)
        self._unsubscribe = self.session.add_listener(self._on_output)
        self._was_alive = self.session.alive
        self.set_interval(self.EXIT_POLL, self._check_exit)
        self._fit()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self.refresh()

    def _fit(self) -> None:
        """Make the screen and the pty as big as the widget."""
        width, height = self.size
        if width < 1 or height < 1:
            return
        if (height, width) != (self.term.lines, self.term.columns):
            self.term.resize(height, width)
            self.session.resize(height, width)
            self.refresh()

    def _check_exit(self) -> None:
        session = self.session
        if session.alive:
            self._was_alive = True
            return
        if not self._was_alive:
            return
        self._was_alive = False
        by_itself = session.pid is not None  # not closed: bash exited (a zombie till reaped)
        status = session.exit_status  # set when a run() saw the shell exit
        if status is None and session.pid is not None:
            status = zombie_exit_status(session.pid)
        if by_itself or status is not None:  # else closed by the app (quit, respawn)
            self.post_message(self.ShellExited(self, status))

    # -- output -------------------------------------------------------------------------

    def _on_output(self, data: bytes) -> None:
        """Listener of the session: runs for every read of the pty, so it only queues."""
        self.feeder.append(data)
        self._schedule()

    def _schedule(self) -> None:
        if self._tick is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_tick + self.FRAME - loop.time())
        if self.feeder.pending <= self.SMALL_OUTPUT:
            delay = 0.0
        self._tick = loop.call_later(delay, self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        self._last_tick = asyncio.get_running_loop().time()
        self.feeder.process(self.PARSE_BUDGET)
        if self.feeder.pending:
            self._schedule()
        self._repaint()

    def _repaint(self) -> None:
        """Refresh what changed: the dirty rows and the cursor's old and new rows."""
        term = self.term
        if self._scroll:
            grown = term.scrolled_off - self._anchor
            self._anchor = term.scrolled_off
            if grown:
                self._scroll = min(self._scroll + grown, len(term.history))
            term.dirty.clear()
            self.refresh()
            return
        rows = set(term.dirty)
        term.dirty.clear()
        rows.update((term.cursor.y, self._cursor_row))  # it may have moved along its row
        self._cursor_row = term.cursor.y
        width, height = self.size
        rows = {y for y in rows if 0 <= y < height}
        if len(rows) * 2 > height:
            self.refresh()
        elif rows:
            self.refresh(*(Region(0, y, width, 1) for y in rows))

    # -- rendering ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        renderer = self._renderer
        width = self.size.width
        if renderer is None:
            return Strip.blank(width, self.rich_style)
        renderer.set_base(self.rich_style)
        term = self.term
        history = term.history
        index = len(history) - self._scroll + y
        row: HistoryRow | None
        cursor = NO_CURSOR
        if index < len(history):
            row = history[index]
        else:
            screen_y = index - len(history)
            row = term.buffer.get(screen_y)
            if screen_y == term.cursor.y and self.has_focus and not term.cursor.hidden:
                cursor = min(term.cursor.x, term.columns - 1)
        return renderer.render(row, width, cursor)

    # -- input --------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        key = event.key
        if key == self.FOCUS_KEY or key in self.PASS_KEYS:
            return  # not stopped: the app's bindings get it
        event.stop()
        event.prevent_default()
        if key in ("shift+pageup", "shift+pagedown") and not self.term.alternate:
            page = max(1, self.term.lines - 1)
            self.scroll_history(page if key == "shift+pageup" else -page)
            return
        text = key_to_text(key, event.character, app_cursor=self.term.app_cursor_keys)
        if text:
            self._type(text)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        text = event.text.replace("\r\n", "\r").replace("\n", "\r")
        if self.term.bracketed_paste:
            text = PASTE_START + text + PASTE_END
        self._type(text)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._wheel(self.WHEEL_ROWS)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._wheel(-self.WHEEL_ROWS)

    def _wheel(self, rows: int) -> None:
        if self.term.alternate:  # full-screen programs (less, vim) scroll with arrows
            key = "up" if rows > 0 else "down"
            arrow = key_to_text(key, None, app_cursor=self.term.app_cursor_keys) or ""
            self.session.send_text(arrow * abs(rows))
        else:
            self.scroll_history(rows)

    def _type(self, text: str) -> None:
        if self._scroll:
            self._scroll = 0
            self.refresh()
        self.session.send_text(text)


def zombie_exit_status(pid: int) -> int | None:
    """The exit status of an exited, not yet reaped child (Linux: /proc/PID/stat field 52).

    A stopgap: `ShellSession.exit_status` is only set when a `run()` sees the shell exit,
    not when a user types `exit`. Reading /proc leaves the reaping to the session."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if len(fields) < 50 or fields[0] != "Z":  # fields[0] is field 3, the state
        return None
    return os.waitstatus_to_exitcode(int(fields[49]))
