"""Terminals on this host: bash in the run's workspace, `lab assert` is this lab, the host's
engine; a Docker lesson's changes undone afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from lab.checks.verdict import Verdict
from lab.engine.cleanup import CleanupReport
from lab.hoststate.guard.server import EngineGuard
from lab.hoststate.restore import Owned
from lab.lesson.model import Check, Step
from lab.runner.checkrun import run_check_process
from lab.runner.connection import EngineConnection
from lab.runner.events import CheckResult, SandboxReady, StepResult
from lab.runner.guard import HostGuard
from lab.runner.inferred import InferredCheck
from lab.runner.placement import CheckScope, checked, lesson_variables
from lab.runner.shim import LabShim
from lab.shell import ShellSession


class HostPlacement:
    """Every terminal a shell on this host, started in the workspace. guard: the host's
    snapshot, for a lesson that uses Docker (restored at close); shell_state: where the
    shells keep their state between sessions (RunOptions.shell_state); engine_guard: what the
    shells and written checks reach the engine through (stopped at close)."""

    def __init__(
        self,
        lesson: Path,
        workspace: Path,
        engine: EngineConnection,
        guard: HostGuard | None = None,
        shell_state: Path | None = None,
        engine_guard: EngineGuard | None = None,
    ) -> None:
        self.lesson = lesson
        self.workspace = workspace
        self.engine = engine
        self.guard = guard
        self.shell_state = shell_state
        self.engine_guard = engine_guard
        self._shim = LabShim()  # `lab assert ...` in steps and checks is this lab

    async def prepare(self) -> SandboxReady | None:
        """Nothing to start: this host is ready."""
        return None

    def env(self, terminal: int, captures: Mapping[str, str]) -> dict[str, str]:
        """A terminal's environment: this process's, the lesson's variables, `lab` on PATH,
        the engine through the engine guard."""
        env = {
            **os.environ,
            **lesson_variables(self.lesson, terminal, str(self.workspace), captures),
        }
        env["PATH"] = self._shim.path_with_shim(env.get("PATH", ""))
        return self.engine_guard.client_env(env) if self.engine_guard is not None else env

    def shell(self, terminal: int, captures: Mapping[str, str]) -> ShellSession:
        """A bash for the terminal, in the workspace (taking up its saved state, if kept)."""
        state = self.shell_state / f"term{terminal}.sh" if self.shell_state else None
        return ShellSession(
            cwd=self.workspace,
            env=self.env(terminal, captures),
            name=f"term{terminal}",
            state_file=state,
        )

    async def run_step(self, step: Step, run: Callable[[], Awaitable[StepResult]]) -> StepResult:
        """As it is."""
        return await run()

    def cwd(self, terminal: int, session: ShellSession | None) -> Path:
        """The shell's directory, else the workspace."""
        if session is not None and session.pid is not None:
            with contextlib.suppress(OSError):
                return Path(os.readlink(f"/proc/{session.pid}/cwd"))
        return self.workspace

    def scope(self, terminal: int, captures: Mapping[str, str]) -> CheckScope:
        """The host's engine and files; variables from this process's environment."""
        return CheckScope(self.engine.client, {**os.environ, **captures})

    async def verify(self, terminal: int, check: InferredCheck) -> Verdict:
        """The check, in a worker thread."""
        return await asyncio.to_thread(checked, check.verify)

    async def run_check(
        self,
        check: Check,
        terminal: int,
        captures: Mapping[str, str],
        *,
        timeout: float,
        secrets: Sequence[str],
    ) -> CheckResult:
        """A `bash -e` of its own, in the workspace, with the terminal's environment."""
        return await run_check_process(
            check,
            cwd=self.workspace,
            env=self.env(terminal, captures),
            timeout=timeout,
            secrets=secrets,
        )

    async def close(
        self, shells: Sequence[ShellSession], *, keep: bool, owned: Owned
    ) -> CleanupReport | None:
        """Stop the shells, then the engine guard; unless keep, restore the host from the
        guard's snapshot. A shell idle at its prompt (nothing else running in it) cannot make
        anything more: it closes while cleanup runs. Any other closes before cleanup looks."""
        later = [s for s in shells if s.idle]
        await asyncio.gather(*(s.close() for s in shells if s not in later))
        closing = asyncio.gather(*(s.close() for s in later))
        cleanup = None
        try:
            if self.guard is not None and not keep:
                cleanup = await asyncio.to_thread(self.guard.restore, self.engine.fresh, owned)
        finally:
            await closing
            if self.engine_guard is not None:  # after the shells: nothing talks through it now
                self.engine_guard.stop()
            self._shim.close()
        return cleanup
