"""Where the shell is in its prompt/command cycle, told by its marks: pure, no pty, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lab.shell.marks import Mark, MarkKind


class ShellState(enum.Enum):
    """What the shell is doing, as its marks tell it."""

    AT_PROMPT = "at prompt"
    """The prompt is shown (133;B) and nothing was typed since: bash wants a command."""
    MORE_INPUT = "more input"
    """PS2 is shown: bash wants the rest of the command (a quote, here-doc, `if`, `\\`)."""
    RUNNING = "running"
    """A command line started (133;C) and has not finished (no 133;D or prompt yet)."""
    WORKING = "working"
    """None of those: a line was sent and bash has not answered it yet, or the shell is
    still starting (no prompt yet)."""


@dataclass(frozen=True)
class CommandStarted:
    """A command line was accepted and runs (133;C): its output starts here."""


@dataclass(frozen=True)
class CommandEnded:
    """The running command line is over."""

    status: int | None
    """Its exit status (133;D), or None when a prompt came without a 133;D."""


Change = CommandStarted | CommandEnded
"""What a mark means for the command being collected, if anything."""


class ShellTracker:
    """Follows one shell through prompt (A, B), command (C, D) and PS2 marks.

    Feed it every mark in stream order (`on_mark`) and tell it when a line is typed
    (`line_sent`); it says what the shell is doing (`state`) and when a command line
    starts or ends (the `Change` that `on_mark` returns). Lines that run nothing (empty
    lines, comments) give a 133;D without a 133;C: no command, no status.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A freshly started shell: no prompt yet, nothing typed, nothing running."""
        self.ready = False
        """The prompt is shown (133;B) and nothing was typed since."""
        self.more = False
        """PS2 is shown: bash wants the rest of the command."""
        self.in_command = False
        """133;C seen, 133;D (or the next prompt) not yet."""
        self.integration_lost = False
        """Something without our marks took the terminal over (`exec bash`, `su`, a REPL):
        set by `lose_integration`, cleared when our prompt comes back."""
        # A prompt redrawn on SIGWINCH repeats its marks. So once a line is sent, a B counts
        # only after bash finished a command line (C or D: `_line_done`), and a PS2 mark
        # only after readline took the line (2004l, C or D: `_line_taken`).
        self._line_done = True
        self._line_taken = True

    @property
    def state(self) -> ShellState:
        """What the shell is doing now."""
        if self.in_command:
            return ShellState.RUNNING
        if self.ready:
            return ShellState.AT_PROMPT
        if self.more:
            return ShellState.MORE_INPUT
        return ShellState.WORKING

    @property
    def wants_input(self) -> bool:
        """bash waits for a line: a new command at its prompt, or the rest of one (PS2)."""
        return self.ready or self.more

    def line_sent(self, *, bracketed_paste: bool) -> None:
        """A line (and its Enter) was typed. Without bracketed paste there is no sign that
        readline took the line (no 2004l): PS2 marks are trusted at once."""
        self.ready = self.more = self._line_done = False
        self._line_taken = not bracketed_paste

    def lose_integration(self) -> None:
        """The terminal answers, but without our marks: wait for our prompt to come back."""
        self.integration_lost = True

    def on_mark(self, mark: Mark) -> Change | None:
        """Take the next mark; what it means for the running command, if anything."""
        kind = mark.kind
        change: Change | None = None
        if kind in (MarkKind.COMMAND_START, MarkKind.COMMAND_END, MarkKind.PASTE_OFF):
            self._line_taken = True
        if kind is MarkKind.COMMAND_START:
            self.ready = self.more = False
            self._line_done = True
            if not self.in_command:  # a second C (a user's own integration) changes nothing
                self.in_command = True
                change = CommandStarted()
        elif kind is MarkKind.COMMAND_END:
            self._line_done = True
            if self.in_command:  # D without C: an empty line, a comment, the first prompt
                self.in_command = False
                change = CommandEnded(mark.status)
        elif kind is MarkKind.PROMPT_START:
            if self._line_done:
                self.ready = self.more = False
        elif kind is MarkKind.PROMPT_END:
            if self.in_command:  # a prompt without D: the command is over all the same
                self.in_command = False
                change = CommandEnded(None)
            if self._line_done:
                self.ready = True
                self.integration_lost = False
        elif kind is MarkKind.MORE_INPUT and self._line_taken:
            self.more = True
        return change
