"""Placement: where a lesson's terminals run (this host, or a sandbox node each), as the runner
asks it — shells, checks, what inferred checks talk to, cleanup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lab.checks.verdict import Verdict
from lab.engine import EngineFactory
from lab.engine.cleanup import CleanupReport
from lab.errors import LabError
from lab.hoststate.restore import Owned
from lab.lesson.model import Check, Step
from lab.runner.events import CheckResult, SandboxReady, StepResult
from lab.runner.inferred import InferredCheck, Locate
from lab.shell import ShellSession


@dataclass(frozen=True)
class CheckScope:
    """What the inferred checks of a terminal's steps talk to."""

    engine: EngineFactory
    """The terminal's Docker engine."""
    variables: Mapping[str, str]
    """What `$NAME` in its commands stands for."""
    locate: Locate = Path
    """Where lab opens a path of the terminal's machine (a node's files: through /proc)."""
    home: str | None = None
    """Its home directory (None: this host's)."""


class Placement(Protocol):
    """Where a lesson's terminals run: `HostPlacement` (lab.runner.host) or `NodePlacement`
    (lab.runner.sandboxed). captures: the values the lesson captured so far (its variables)."""

    async def prepare(self) -> SandboxReady | None:
        """Make the terminals' machines ready (once; again returns the same); sandbox nodes
        say what they are, this host says None."""
        ...

    def shell(self, terminal: int, captures: Mapping[str, str]) -> ShellSession:
        """A new, not yet started shell for a terminal."""
        ...

    async def run_step(self, step: Step, run: Callable[[], Awaitable[StepResult]]) -> StepResult:
        """Run a step in its terminal's shell: run() sends it and judges it; what the machine
        needs around a step (before it, after it) happens here."""
        ...

    def cwd(self, terminal: int, session: ShellSession | None) -> Path:
        """A terminal's current directory (as a path on this host), from its shell if any."""
        ...

    def scope(self, terminal: int, captures: Mapping[str, str]) -> CheckScope:
        """What inferred checks of a terminal's steps talk to."""
        ...

    async def verify(self, terminal: int, check: InferredCheck) -> Verdict:
        """Run an inferred check where the terminal is (a LabError becomes a failed verdict)."""
        ...

    async def run_check(
        self,
        check: Check,
        terminal: int,
        captures: Mapping[str, str],
        *,
        timeout: float,
        secrets: Sequence[str],
    ) -> CheckResult:
        """Run a written check that names no terminal, in a shell of its own on the machine of
        the step's terminal."""
        ...

    async def close(
        self, shells: Sequence[ShellSession], *, keep: bool, owned: Owned
    ) -> CleanupReport | None:
        """Stop the shells and undo what the run made (keep: leave it for `lab reset`); owned
        says which new Docker objects on this host are the lesson's. None: nothing to undo."""
        ...


def lesson_variables(
    lesson: Path, terminal: int, workspace: str, captures: Mapping[str, str]
) -> dict[str, str]:
    """The variables every shell and check of a terminal gets: the captured values and
    LAB_WORKSPACE, LAB_TERMINAL, LAB_LESSON."""
    return {
        **captures,
        "LAB_WORKSPACE": workspace,
        "LAB_TERMINAL": str(terminal),
        "LAB_LESSON": str(lesson),
    }


def checked(verify: Callable[[], Verdict]) -> Verdict:
    """verify(), with a LabError it raises as a failed verdict (its hint in the details)."""
    try:
        return verify()
    except LabError as exc:
        return Verdict(False, exc.message, f"hint: {exc.hint}" if exc.hint else "")
