"""What running a block collects (per-command output and statuses) and what it returns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from lab.shell.capture import Capture, TextStream, redact

log = logging.getLogger(__name__)

Outcome = Literal["finished", "timeout", "unanswered_prompt", "shell_exited", "integration_lost"]
Answerer = Callable[[str, bool], str | None]
"""(prompt text = last output line, echo_off) -> the answer to type, or None for no answer."""


@dataclass(frozen=True)
class CommandResult:
    """What running one block in the shell gave."""

    exit_status: int | None
    """The first non-zero status among the block's commands, else 0; for shell_exited the
    shell's exit status if known; None when the block did not finish."""
    output: str
    """The commands' own output (no echo, no prompts), CRLF -> LF, secrets redacted."""
    duration: float
    """Seconds from the call to the result."""
    outcome: Outcome
    """How the run ended."""
    statuses: tuple[int, ...]
    """The exit status of each command line that ran (empty and comment lines have none)."""
    prompt: str | None = None
    """For unanswered_prompt: the prompt the command was waiting on (its last output line)."""
    prompt_hidden: bool = False
    """For unanswered_prompt: the terminal's echo was off there (a password prompt)."""


@dataclass
class RunRecord:
    """What one `run` call collects while the reader feeds it."""

    secrets: list[str]
    on_output: Callable[[str], None] | None
    statuses: list[int] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    capture: Capture | None = None
    stream: TextStream | None = None
    prompt: str | None = None
    prompt_hidden: bool = False
    answered: object = None
    """The wait last answered, so the same wait is never answered twice."""

    def begin_command(self) -> None:
        """A command started (133;C): capture its output from here."""
        self.capture = Capture()
        self.stream = TextStream(self.secrets)

    def feed(self, data: bytes) -> None:
        """Output bytes, in order; kept only while a command runs."""
        if self.capture is None or self.stream is None:
            return
        self.capture.append(data)
        if self.on_output is not None:
            self._emit(self.stream.feed(data))

    def end_command(self, status: int | None) -> None:
        """The command ended (133;D with its status, or None if unknown)."""
        if self.capture is None or self.stream is None:
            return
        self.outputs.append(self.capture.text())
        if self.on_output is not None:
            self._emit(self.stream.flush())
        if status is not None:
            self.statuses.append(status)
        self.capture = self.stream = None

    def output(self) -> str:
        """All commands' output so far, joined, secrets redacted."""
        return redact("".join(self.outputs), self.secrets)

    def _emit(self, text: str) -> None:
        if text and self.on_output is not None:
            try:
                self.on_output(text)
            except Exception:
                log.exception("on_output callback failed")
