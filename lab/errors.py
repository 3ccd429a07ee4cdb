"""The project's error family: raised in the core, rendered once by the CLI."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import ClassVar


class ExitStatus(IntEnum):
    """What `lab` exits with: public API, documented in the README."""

    OK = 0
    """Everything passed (lint: clean or warnings only)."""
    FAILED = 1
    """A step or check failed, or lint found errors."""
    USAGE = 2
    """Bad command line, or a lesson that cannot be parsed (for `lab run`)."""
    ENV_NOT_READY = 3
    """The environment cannot run the lesson (for example no Docker engine)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C; what ran was reported and cleaned up."""


class LabError(Exception):
    """An error `lab` reports to the user: what went wrong, where, and what to do next."""

    exit_status: ClassVar[ExitStatus] = ExitStatus.FAILED
    """What `lab` exits with when this error ends a command."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        path: str | Path | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None
        self.line = line

    @property
    def location(self) -> str:
        """`path:line` (or just `path`), empty when the error has no place."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        where = self.location
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class LessonError(LabError):
    """A lesson file cannot be read or parsed."""

    exit_status = ExitStatus.USAGE


class UsageError(LabError):
    """The command line asks for something that cannot be done."""

    exit_status = ExitStatus.USAGE


class EnvironmentNotReady(LabError):
    """The machine cannot run the lesson (no shell, no engine, ...)."""

    exit_status = ExitStatus.ENV_NOT_READY


class ShellError(LabError):
    """A shell session failed (could not start, died, lost its integration marks)."""
