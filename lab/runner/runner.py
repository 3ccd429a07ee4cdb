"""Running a lesson's steps in real shells and yielding a stream of run events.

Over 400 lines: the step loop and the events it yields stay in one place; placement, judging,
guarding and the engine connection live beside it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from lab.engine import EngineFactory
from lab.errors import LabError, ShellError
from lab.hoststate.guard.policy import Protected
from lab.hoststate.guard.server import EngineGuard
from lab.lesson.model import Lesson, Step
from lab.lesson.needs import lesson_needs, sandboxed
from lab.runner.answers import StepAnswerer
from lab.runner.checkrun import run_check_in_session
from lab.runner.connection import EngineConnection
from lab.runner.events import (
    CheckFinished,
    CheckResult,
    LessonFinished,
    LessonStarted,
    RunEvent,
    SandboxReady,
    StepFinished,
    StepOutput,
    StepResult,
    StepStarted,
)
from lab.runner.guard import HostGuard
from lab.runner.host import HostPlacement
from lab.runner.inferred import InferredCheck, expand_known, explain_failure, infer_checks
from lab.runner.judge import judge_step, with_refusals
from lab.runner.options import CHECK_TIMEOUT, DEFAULT_TIMEOUT, RunOptions
from lab.runner.placement import Placement
from lab.runner.warmup import warm_up
from lab.shell import ShellSession


class LessonRunner:
    """Runs one lesson: a shell per terminal, each step in order, then its checks.

    Use `events()` for the whole lesson, or `start()`, `run_step()` and `finish()` to drive it
    one step at a time (the pytest plugin does). engine: gives a docker client of the host's
    engine (default: this machine's).
    """

    def __init__(
        self,
        lesson: Lesson,
        options: RunOptions | None = None,
        *,
        engine: EngineFactory | None = None,
    ) -> None:
        self.lesson = lesson
        self.options = options or RunOptions()
        self.engine = EngineConnection(engine)
        """The host's engine (sandbox nodes run there)."""
        self.placement: Placement | None = None
        """Where the terminals run (this host or sandbox nodes), once start() has decided."""
        self.engine_guard: EngineGuard | None = None
        """On this host, what the lesson's shells and checks reach the engine through."""
        self._said: list[str] = []
        """Commands the steps ran and what they printed: which new objects are the lesson's."""
        self._secrets: list[str] = []
        """Secret answers typed so far: redacted from every later output and check."""
        self._step_cwd: dict[int, Path] = {}
        self.workspace = Path()
        self.captures: dict[str, str] = {}
        self.results: list[tuple[Step, StepResult]] = []
        self._sessions: dict[int, ShellSession] = {}
        self._background: list[ShellSession] = []
        self._own_workspace = False
        self._started = 0.0
        self._failed = False
        self._listeners: list[Callable[[RunEvent], None]] = []
        self.sandbox_ready: SandboxReady | None = None
        """The sandbox's nodes, once they are up."""
        self.finished: LessonFinished | None = None
        """What finish() returned (also when events() was cancelled before yielding it)."""

    @property
    def sandboxed(self) -> bool:
        """Whether terminals run in sandbox nodes (the option, else the lesson's setting;
        always on a workshop room's seat)."""
        return self.options.seat is not None or sandboxed(self.lesson, self.options.sandbox)

    def add_listener(self, fn: Callable[[RunEvent], None]) -> Callable[[], None]:
        """Receive the events of run_step() (StepStarted, StepOutput, CheckFinished,
        StepFinished) as they happen; returns a function that stops it."""
        self._listeners.append(fn)

        def unsubscribe() -> None:
            if fn in self._listeners:
                self._listeners.remove(fn)

        return unsubscribe

    def _emit(self, event: RunEvent) -> None:
        for fn in list(self._listeners):
            fn(event)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LessonStarted:
        """Record the host (for lessons that use Docker) and create the workspace; shells
        start lazily, on their terminal's first step."""
        self._started = time.monotonic()
        # In a sandbox, steps and checks only reach the nodes (their files, network and inner
        # engine); the host's engine objects and /etc/docker are not the lesson's to touch, and
        # the nodes are removed by their labels: no snapshot of the host is needed.
        needs = lesson_needs(self.lesson)
        guard = None
        engine_guard = None
        if needs.uses_docker and not self.sandboxed:
            if self.options.guard:  # EnvironmentNotReady for an engine it cannot relay to
                engine_guard = EngineGuard()
            guard = HostGuard.take(
                self.lesson.path,
                self.engine.reader(),
                removes_images=needs.removes_images,
                resume=self.options.interactive,
            )
        if needs.uses_docker and self.options.infer and self.lesson.front_matter.lab.infer:
            warm_up()  # checks' imports and connection, while the first step runs
        if self.options.workspace is not None:
            self.workspace = self.options.workspace
            self.workspace.mkdir(parents=True, exist_ok=True)
        else:
            stem = re.sub(r"[^A-Za-z0-9_.-]", "-", self.lesson.path.stem)[:40]
            self.workspace = Path(tempfile.mkdtemp(prefix=f"lab-{stem}-"))
            self._own_workspace = True
        if guard is not None:
            guard.record(self.workspace, replace=not self.options.interactive)
            if engine_guard is not None:
                self.engine_guard = engine_guard.start(Protected.of(guard.kept()))
        self.placement = self._place(guard)
        return LessonStarted(self.lesson, self.workspace)

    def _place(self, guard: HostGuard | None) -> Placement:
        if not self.sandboxed:
            return HostPlacement(
                self.lesson.path,
                self.workspace,
                self.engine,
                guard,
                self.options.shell_state,
                self.engine_guard,
            )
        from lab.runner.sandboxed import NodePlacement  # the docker SDK: only for sandbox runs

        return NodePlacement(
            self.lesson,
            engine=self.engine.factory,
            image=self.options.node_image,
            seat=self.options.seat,
        )

    def _placed(self) -> Placement:
        if self.placement is None:
            raise LabError(f"{self.lesson.path}: the run has not started", "call start() first")
        return self.placement

    async def prepare(self) -> SandboxReady | None:
        """For a sandboxed lesson, start its nodes (once) and wait until every inner engine
        answers; emits SandboxReady. events() calls it before the first step, session() on
        demand. None when the lesson runs on this host."""
        ready = await self._placed().prepare()
        if ready is not None and self.sandbox_ready is None:
            self.sandbox_ready = ready
            self._emit(ready)
        return ready

    async def finish(self, *, interrupted: bool = False) -> LessonFinished:
        """Stop every shell and background step, undo what the run made (unless kept), remove
        the workspace unless kept."""
        shells = [*self._background, *self._sessions.values()]
        self._background.clear()
        self._sessions.clear()
        cleanup = None
        if self.placement is not None:
            keep = not self.options.cleanup
            cleanup = await self.placement.close(shells, keep=keep, owned=self._owned)
        keep_workspace = self.options.keep_workspace or not self.options.cleanup
        if self._own_workspace and not keep_workspace:
            shutil.rmtree(self.workspace, ignore_errors=True)
        self.finished = LessonFinished(
            self.lesson,
            tuple(self.results),
            time.monotonic() - self._started,
            interrupted,
            cleanup,
        )
        return self.finished

    async def events(self) -> AsyncIterator[RunEvent]:
        """Run the whole lesson, yielding events; always finishes with LessonFinished."""
        queue: asyncio.Queue[RunEvent | None] = asyncio.Queue()
        unsubscribe = self.add_listener(queue.put_nowait)
        yield self.start()
        interrupted = False
        task: asyncio.Future[StepResult] | None = None
        try:
            await self.prepare()  # its SandboxReady comes out of the queue first
            for step in self.lesson.steps:
                task = asyncio.ensure_future(self.run_step(step))
                task.add_done_callback(lambda _: queue.put_nowait(None))
                while (event := await queue.get()) is not None:
                    yield event
                task.result()
        except BaseException:
            interrupted = True
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            raise
        finally:
            unsubscribe()
            finished = await asyncio.shield(self.finish(interrupted=interrupted))
        yield finished

    # ------------------------------------------------------------------ steps
    def _timeout(self, step: Step) -> float:
        if step.timeout is not None:
            return step.timeout
        if self.options.timeout is not None:
            return self.options.timeout
        return self.lesson.front_matter.lab.timeout or DEFAULT_TIMEOUT

    async def session(self, terminal: int) -> ShellSession:
        """The shell of a terminal, started (or restarted) on demand."""
        await self.prepare()
        session = self._sessions.get(terminal)
        if session is None:
            session = self._placed().shell(terminal, self.captures)
            self._sessions[terminal] = session
            await session.start()
        elif not session.alive:
            await session.respawn()
        return session

    async def run_step(self, step: Step) -> StepResult:
        """Run one step and its checks; record and return the result."""
        if self.options.fail_fast and self._failed:
            result = StepResult("skipped", message="not run: an earlier step failed (--fail-fast)")
            self._record(step, result)
            return result
        self._emit(StepStarted(self.lesson, step))
        refusals = self.engine_guard.mark() if self.engine_guard is not None else 0
        variables = {**os.environ, **self.captures}
        self._said += [step.command, expand_known(step.command, variables)]
        try:
            if step.background:
                result = await self._run_background(step)
            else:
                result = await self._run_foreground(step)
        except ShellError as exc:
            result = StepResult("error", message=str(exc))
        if result.status == "passed":
            inferred = await self._run_inferred(step, result)
            checks = await self._run_checks(step, result)
            result = replace(result, checks=(*inferred, *checks))
        elif result.status == "failed" and self._infers(step):
            explained = await self._explain(step)
            result = replace(result, checks=tuple(explained))
        if self.engine_guard is not None:  # what it refused during the step and its checks
            refused = self.engine_guard.refusals(refusals)
            result = with_refusals(result, [r.message for r in refused])
        self._record(step, result)
        return result

    def _owned(self, kind: str, names: Sequence[str]) -> bool:
        """Whether a Docker object made during the run is the lesson's: its name or ID
        appears in what the steps ran or printed (not someone else's, made meanwhile)."""
        text = "\n".join(self._said)
        return any(len(name) > 1 and name in text for name in names)

    def _record(self, step: Step, result: StepResult) -> None:
        self._said.append(result.output)
        self.results.append((step, result))
        if not result.ok and result.status != "skipped":
            self._failed = True
        self._emit(StepFinished(self.lesson, step, result))

    async def _run_background(self, step: Step) -> StepResult:
        started = time.monotonic()
        await self.prepare()
        session = self._placed().shell(step.terminal, self.captures)
        await session.start()
        self._background.append(session)
        session.send_text(step.command.rstrip("\n").replace("\n", "\r") + "\r")
        return StepResult(
            "passed",
            duration=time.monotonic() - started,
            message="started in the background; stopped at the end of the run",
        )

    async def _run_foreground(self, step: Step) -> StepResult:
        session = await self.session(step.terminal)
        self._step_cwd[step.index] = self._placed().cwd(step.terminal, session)
        answerer = StepAnswerer(step)
        secrets = self._secrets + [a.text for a in step.answers if a.secret]

        def on_output(text: str) -> None:
            self._emit(StepOutput(self.lesson, step, text))

        async def run() -> StepResult:
            outcome = await session.run(
                step.command,
                timeout=self._timeout(step),
                answerer=answerer,
                secrets=secrets,
                on_output=on_output,
            )
            for secret in answerer.secrets:  # never shown again, in any later step or check
                if secret not in self._secrets:
                    self._secrets.append(secret)
            result, captured = judge_step(
                step,
                outcome,
                timeout=self._timeout(step),
                secrets=answerer.secrets + secrets,
                strict_output=self.options.strict_output,
            )
            self.captures.update(captured)
            return result

        return await self._placed().run_step(step, run)

    def _share_captures(self) -> None:
        """Make captured values variables in every live terminal, without a command on screen
        (a shell started later gets them in its environment)."""
        for session in self._sessions.values():
            if session.alive:
                session.export(self.captures)

    # ------------------------------------------------------------------ checks
    def _infers(self, step: Step) -> bool:
        return self.options.infer and self.lesson.front_matter.lab.infer and step.infer

    def step_cwd(self, step: Step) -> Path:
        """The shell's directory when the step started (the workspace if not known)."""
        return self._step_cwd.get(step.index, self.workspace)

    async def _verify(self, step: Step, check: InferredCheck) -> CheckResult:
        started = time.monotonic()
        verdict = await self._placed().verify(step.terminal, check)
        detail = "\n".join(filter(None, [verdict.message, verdict.details]))
        return CheckResult(
            label=check.label,
            passed=verdict.passed,
            output=detail,
            duration=time.monotonic() - started,
            inferred=True,
            message="" if verdict.passed else verdict.message,
        )

    async def _run_inferred(self, step: Step, result: StepResult) -> list[CheckResult]:
        if not self._infers(step) or step.background or step.expect_exit != 0:
            return []  # a step meant to fail does not leave what its commands would make
        scope = self._placed().scope(step.terminal, self.captures)
        found = infer_checks(
            step.command,
            result.output,
            cwd=self._step_cwd.get(step.index, self.workspace),
            engine=scope.engine,
            variables=scope.variables,
            locate=scope.locate,
            home=scope.home,
        )
        results = await asyncio.gather(*(self._verify(step, check) for check in found))
        for res in results:  # verified side by side, reported in order
            self._emit(CheckFinished(self.lesson, step, res))
        return list(results)

    async def recheck(
        self, step: Step, output: str, cwd: Path
    ) -> list[tuple[frozenset[str], CheckResult]]:
        """Verify again what a step that passed earlier left (its inferred checks: engine and
        file queries, no command typed), from its output and the directory it ran in. Each
        result with what it is about (`InferredCheck.subjects`); no events."""
        if not self._infers(step) or step.background or step.expect_exit != 0:
            return []
        scope = self._placed().scope(step.terminal, self.captures)
        found = infer_checks(
            step.command,
            output,
            cwd=cwd,
            engine=scope.engine,
            variables=scope.variables,
            locate=scope.locate,
            home=scope.home,
        )
        results = await asyncio.gather(*(self._verify(step, check) for check in found))
        return [(check.subjects, res) for check, res in zip(found, results, strict=True)]

    async def _explain(self, step: Step) -> list[CheckResult]:
        """Inferred checks that say why a failed step failed (only the ones that fail)."""
        results = []
        scope = self._placed().scope(step.terminal, self.captures)
        for check in explain_failure(step.command, scope.variables, scope.locate, scope.home):
            res = await self._verify(step, check)
            if not res.passed:
                self._emit(CheckFinished(self.lesson, step, res))
                results.append(res)
        return results

    async def _run_checks(self, step: Step, result: StepResult) -> list[CheckResult]:
        if result.captures:
            self._share_captures()
        results = []
        secrets = self._secrets
        for check in step.checks:
            timeout = check.timeout or CHECK_TIMEOUT
            if check.terminal is not None:  # in that terminal's shell
                session = await self.session(check.terminal)
                res = await run_check_in_session(check, session, timeout=timeout, secrets=secrets)
            else:  # a shell of its own, where the step's terminal is
                res = await self._placed().run_check(
                    check, step.terminal, self.captures, timeout=timeout, secrets=secrets
                )
            results.append(res)
            self._emit(CheckFinished(self.lesson, step, res))
        return results
