"""The project's error family: raised in the core, rendered once by the CLI."""

from __future__ import annotations

from pathlib import Path


class LabError(Exception):
    """An error `lab` reports to the user: what went wrong, where, and what to do next."""

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


class UsageError(LabError):
    """The command line asks for something that cannot be done."""


class EnvironmentNotReady(LabError):
    """The machine cannot run the lesson (no shell, no engine, ...)."""


class ShellError(LabError):
    """A shell session failed (could not start, died, lost its integration marks)."""
