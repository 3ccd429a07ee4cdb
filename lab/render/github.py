"""GitHub workflow annotations (`::error file=…,line=…,title=…::message`) for lint findings
and failed steps, checks and drift, with GitHub's escaping and secrets redacted; for `lab run`,
a consumer of the run events beside the console renderer."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO, assert_never

from lab.ansi import ANSI
from lab.lesson.model import Diagnostic, Lesson, Step
from lab.runner.events import (
    CheckFinished,
    LessonFinished,
    LessonStarted,
    RunEvent,
    SandboxReady,
    StepFinished,
    StepOutput,
    StepResult,
    StepStarted,
)
from lab.shell.capture import redact

Level = Literal["error", "warning", "notice"]

TAIL_LINES = 15
"""Lines of a failed step's output quoted in its annotation (as the console shows)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters other than tab, LF and CR (those two are escaped, not dropped)."""
_DATA = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def escape_data(text: str) -> str:
    """A workflow command's message as GitHub reads it back: `%`, CR and LF escaped."""
    return text.translate(_DATA)


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, and `:` and `,` escaped too."""
    return text.translate(_PROPERTY)


@dataclass(frozen=True)
class Annotation:
    """One workflow command that GitHub shows on the pull request at a file's line."""

    level: Level
    """error, warning or notice."""
    file: str
    """The file, relative to the repository's root."""
    line: int | None
    """1-based line (None: the file as a whole)."""
    title: str
    """Shown in bold above the message."""
    message: str
    """What happened; may span lines."""

    def __str__(self) -> str:
        props = [("file", self.file)]
        if self.line is not None:
            props.append(("line", str(self.line)))
        if self.title:
            props.append(("title", self.title))
        words = ",".join(f"{key}={escape_property(value)}" for key, value in props)
        return f"::{self.level} {words}::{escape_data(self.message)}"


def repo_path(path: str, workspace: str | None) -> str:
    """path as GitHub names files: relative to the workspace (the checkout) when it lies
    inside it, with forward slashes; else as given."""
    if workspace:
        full, root = os.path.abspath(path), os.path.abspath(workspace)
        if os.path.commonpath([full, root]) == root:
            return os.path.relpath(full, root).replace(os.sep, "/")
    return path


def _text(text: str, secrets: Sequence[str]) -> str:
    """Readable one-off text: no escape sequences or stray control characters, no secrets."""
    return redact(_CONTROL.sub("", ANSI.sub("", text)), secrets).strip("\n")


def _tail(text: str, count: int) -> list[str]:
    """The last count lines of output (none for empty output)."""
    lines = ANSI.sub("", text).rstrip("\n").split("\n")
    return [] if lines == [""] else lines[-count:]


def diagnostic_annotation(diag: Diagnostic, workspace: str | None = None) -> Annotation:
    """A `lab lint` finding at its line."""
    message = diag.message + (f"\nhint: {diag.hint}" if diag.hint else "")
    return Annotation(
        diag.severity, repo_path(diag.path, workspace), diag.line, "lab lint", message
    )


def lesson_secrets(lesson: Lesson) -> list[str]:
    """Secret answers the lesson gives (the runner redacts them from every output)."""
    return [a.text for step in lesson.steps for a in step.answers if a.secret]


def step_annotations(
    lesson: Lesson, step: Step, result: StepResult, workspace: str | None = None
) -> Iterator[Annotation]:
    """Annotations for a finished step: an error at the step when it failed, timed out or
    could not run; one per failed check at the check; drift at the expected-output block
    (a warning, or an error when --strict-output made it fail the step)."""
    secrets = lesson_secrets(lesson)
    file = repo_path(step.origin or str(lesson.path), workspace)
    label = _text(step.label, secrets).split("\n", 1)[0]
    name = f"step {step.index + 1}"
    drifted = result.drift is not None and step.expected_output is not None
    strict_drift = drifted and result.status == "failed"  # --strict-output failed the step
    if result.status in ("failed", "timeout", "error") and not strict_drift:
        body = "\n".join([result.message, *_tail(result.output, TAIL_LINES)]).strip("\n")
        what = {"failed": "failed", "timeout": "timed out", "error": "could not run"}
        yield Annotation(
            "error",
            file,
            step.line,
            f"lab run: {name} {what[result.status]}: {label}",
            _text(body, secrets) or f"{name} {what[result.status]}",
        )
    for check in result.checks:
        if check.passed:
            continue
        kind = "inferred check" if check.inferred else "check"
        where = check.check.origin if check.check is not None and check.check.origin else None
        tail = [t for t in _tail(check.output, 8) if t.strip() != check.message.strip()]
        body = "\n".join([check.message, *tail]).strip("\n")
        yield Annotation(
            "error",
            repo_path(where or step.origin or str(lesson.path), workspace),
            check.line or step.line,
            f"lab run: {name} {kind} failed: {_text(check.label, secrets)}",
            _text(body, secrets) or f"{kind} failed",
        )
    if drifted and result.drift is not None and step.expected_output is not None:
        diff = result.drift.split("\n")[2:]  # no ---/+++ header
        if strict_drift:
            diff = [result.message, *diff]
        yield Annotation(
            "error" if strict_drift else "warning",
            repo_path(str(lesson.path), workspace),
            step.expected_output.line,
            f"lab run: {name} output differs from the expected output",
            _text("\n".join(diff), secrets),
        )


class GitHubAnnotations:
    """`lab run --format github`: the annotations of each finished step, written to the log
    right under the console's lines for it (as is: one line each, escaped, never styled)."""

    def __init__(self, stream: TextIO, workspace: str | None = None) -> None:
        self.stream = stream
        self.workspace = workspace
        """The checkout the annotations' file paths are relative to (GITHUB_WORKSPACE)."""

    def handle(self, event: RunEvent) -> None:
        """Take one event of the run."""
        match event:
            case StepFinished(lesson=lesson, step=step, result=result):
                for annotation in step_annotations(lesson, step, result, self.workspace):
                    self.stream.write(f"{annotation}\n")
                self.stream.flush()
            case LessonStarted() | SandboxReady() | StepStarted() | StepOutput():
                pass  # nothing has failed yet
            case CheckFinished() | LessonFinished():
                pass  # annotated at their step, once it is finished
            case _:
                assert_never(event)
