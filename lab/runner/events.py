"""The typed events a lesson run yields, and the results they carry.

`RunEvent` is a closed union of frozen dataclasses. Every consumer (the console renderer, the
GitHub annotations, the JUnit and JSON reports, the learner's session, the TUI's lesson screen)
handles it with one `match event:` whose last arm is `case _: assert_never(event)`, so a new
kind of event fails `mypy --strict` until each of them says what it does with it
(tests/unit/test_events.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeAlias

from lab.engine.cleanup import CleanupReport
from lab.lesson.model import Check, Lesson, Step

StepStatus = Literal["passed", "failed", "timeout", "skipped", "error"]


@dataclass(frozen=True)
class CheckResult:
    """How one check (written or inferred) of a step ended."""

    label: str
    """What was checked, for reports."""
    passed: bool
    """True when the check held."""
    output: str = ""
    """What the check printed (secrets redacted)."""
    duration: float = 0.0
    """Seconds it took."""
    line: int | None = None
    """Line of a written check's fence; None for inferred checks."""
    inferred: bool = False
    """True for checks `lab` derived from what the step ran."""
    message: str = ""
    """Why it failed, in one sentence (empty when it passed)."""
    check: Check | None = None
    """The written check, if any."""


@dataclass(frozen=True)
class StepResult:
    """How one step ended."""

    status: StepStatus
    """passed, failed, timeout, skipped (not run) or error (lab could not run it)."""
    exit_status: int | None = None
    """Status of the step's commands (first non-zero, else 0); None if unknown."""
    output: str = ""
    """The commands' own output (no echo, no prompt; secrets redacted)."""
    duration: float = 0.0
    """Seconds the step took."""
    message: str = ""
    """Why it failed, or a note (e.g. the shell ended and was restarted)."""
    drift: str | None = None
    """Unified diff between the expected-output block and the real output, if they differ."""
    captures: dict[str, str] = field(default_factory=dict)
    """Values captured from the output."""
    checks: tuple[CheckResult, ...] = ()
    """Results of the step's checks (run only when the step itself passed)."""

    @property
    def ok(self) -> bool:
        """True when the step and every one of its checks passed."""
        return self.status == "passed" and all(c.passed for c in self.checks)


@dataclass(frozen=True)
class LessonStarted:
    """A lesson is about to run."""

    lesson: Lesson
    workspace: Path


@dataclass(frozen=True)
class SandboxNode:
    """One sandbox node of a run."""

    terminal: int
    """The terminal whose shell runs in it."""
    hostname: str
    """`node1`, `node2`, ..."""
    address: str
    """Its address on the sandbox network (reachable from this machine)."""
    container: str
    """The node container's name on the host engine."""


@dataclass(frozen=True)
class SandboxReady:
    """A sandboxed lesson's nodes are up: each terminal's inner Docker engine answers."""

    lesson: Lesson
    nodes: tuple[SandboxNode, ...]
    image: str
    """The node image."""
    mode: str
    """How nodes got their rights, one line: `caps mode (--privileged is refused here: ...)`."""
    seconds: float
    """How long starting them took."""
    leftovers: tuple[str, ...] = ()
    """Leftovers of earlier runs whose lab died, removed first."""


@dataclass(frozen=True)
class StepStarted:
    """A step was sent to its terminal."""

    lesson: Lesson
    step: Step


@dataclass(frozen=True)
class StepOutput:
    """A piece of a running step's output."""

    lesson: Lesson
    step: Step
    text: str


@dataclass(frozen=True)
class CheckFinished:
    """One check of a step ended."""

    lesson: Lesson
    step: Step
    result: CheckResult


@dataclass(frozen=True)
class StepFinished:
    """A step and its checks ended."""

    lesson: Lesson
    step: Step
    result: StepResult


@dataclass(frozen=True)
class LessonFinished:
    """A lesson run ended (also when it was interrupted)."""

    lesson: Lesson
    results: tuple[tuple[Step, StepResult], ...]
    duration: float
    interrupted: bool = False
    cleanup: CleanupReport | None = None
    """What was removed from the host afterwards (None: nothing to clean, or --keep)."""

    @property
    def passed(self) -> bool:
        """True when every step that ran passed with its checks, and none was skipped."""
        return not self.interrupted and all(r.ok for _, r in self.results)


RunEvent: TypeAlias = (
    LessonStarted
    | SandboxReady
    | StepStarted
    | StepOutput
    | CheckFinished
    | StepFinished
    | LessonFinished
)
"""Everything a front end may receive."""

EventHandler: TypeAlias = Callable[[RunEvent], None]
"""Takes the events of a run one by one, as they happen (`LessonRunner.add_listener`)."""


class EventConsumer(Protocol):
    """A front end of runs (the console, a report, ...): `lab run` hands it every event of
    every lesson, in the order the lessons were given. A new output format is one more of
    these: a `match event:` over `RunEvent` that ends in `assert_never(event)`."""

    def handle(self, event: RunEvent) -> None:
        """Take one event."""
