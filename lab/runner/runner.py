"""Running a lesson's steps in real shells and yielding a stream of run events."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.ansi import ANSI
from lab.checks.verdict import Verdict
from lab.engine.reader import Engine as Reader
from lab.engine.reader import as_api, connect_api
from lab.errors import LabError, ShellError
from lab.hoststate import CleanupReport, HostState, restore, store, take_snapshot
from lab.lesson.model import AppLink, Lesson, Step
from lab.lesson.needs import lesson_needs
from lab.runner.answers import StepAnswerer
from lab.runner.applinks import resolve_app_link
from lab.runner.checkrun import run_check_in_session, run_check_process
from lab.runner.events import (
    CheckFinished,
    CheckResult,
    LessonFinished,
    LessonStarted,
    RunEvent,
    SandboxNode,
    SandboxReady,
    StepFinished,
    StepOutput,
    StepResult,
    StepStarted,
)
from lab.runner.inferred import (
    Engine,
    InferredCheck,
    expand_known,
    explain_failure,
    infer_checks,
)
from lab.runner.shim import LabShim
from lab.runner.warmup import warm_up
from lab.shell import CommandResult, ShellSession
from lab.shell.capture import redact

if TYPE_CHECKING:
    from lab.sandbox import Node, Sandbox

DEFAULT_TIMEOUT = 300.0
"""Seconds a step may take when neither the step, the lesson nor the command line says."""
CHECK_TIMEOUT = 60.0
"""Seconds a check may take by default."""


ShellFactory = Callable[[int, Path, dict[str, str]], ShellSession]
"""(terminal, workspace, environment) -> a new, not yet started shell for that terminal."""


def _default_engine() -> Any:
    from lab.engine.sdk import connect  # the docker SDK: only when an engine is needed

    return connect()


def _local_shell(terminal: int, cwd: Path, env: dict[str, str]) -> ShellSession:
    return ShellSession(cwd=cwd, env=env, name=f"term{terminal}")


@dataclass(frozen=True)
class RunOptions:
    """How to run a lesson."""

    timeout: float | None = None
    """Default step timeout (overrides the lesson's `lab.timeout`)."""
    fail_fast: bool = False
    """Stop at the first failing step; the rest are reported as skipped."""
    strict_output: bool = False
    """Drift from the expected output fails the step."""
    keep_workspace: bool = False
    """Leave the run's workspace directory in place."""
    workspace: Path | None = None
    """Use this directory instead of a fresh temporary one (never deleted)."""
    infer: bool = True
    """Add checks inferred from what steps run (the lesson and each step may turn them off)."""
    cleanup: bool = True
    """Afterwards, remove what the lesson created on the host (containers, images, volumes,
    networks, files under /etc/docker); False (`--keep`) leaves it for `lab reset`."""
    interactive: bool = False
    """A learner's session (the TUI): it may span restarts, so the earliest host snapshot on
    record is kept, and the workspace given in `workspace` is reused."""
    sandbox: bool | None = None
    """Run each terminal in its own throw-away Docker host (a sandbox node); None: as the
    lesson's `lab: {sandbox: ...}` says."""
    node_image: str | None = None
    """The sandbox node image (None: LAB_NODE_IMAGE, else docker:dind)."""


class LessonRunner:
    """Runs one lesson: a shell per terminal, each step in order, then its checks.

    Use `events()` for the whole lesson, or `start()`, `run_step()` and `finish()` to drive it
    one step at a time (the pytest plugin does).
    """

    def __init__(
        self,
        lesson: Lesson,
        options: RunOptions | None = None,
        *,
        engine: Engine | None = None,
        shells: ShellFactory | None = None,
    ) -> None:
        self.lesson = lesson
        self.options = options or RunOptions()
        self._engine_factory = engine or _default_engine
        self._shell_factory = shells or _local_shell
        self._engine: Any = None
        self._before: HostState | None = None
        self._shim: LabShim | None = None
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
        self._sandbox: Sandbox | None = None
        self._sandbox_up: asyncio.Future[None] | None = None
        self.sandbox_ready: SandboxReady | None = None
        """The sandbox's nodes, once they are up."""
        self.finished: LessonFinished | None = None
        """What finish() returned (also when events() was cancelled before yielding it)."""

    @property
    def sandboxed(self) -> bool:
        """Whether terminals run in sandbox nodes (the option, else the lesson's setting)."""
        if self.options.sandbox is not None:
            return self.options.sandbox
        return self.lesson.front_matter.lab.sandbox

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
        self._shim = LabShim()
        # In a sandbox, steps and checks only reach the nodes (their files, network and inner
        # engine); the host's engine objects and /etc/docker are not the lesson's to touch, and
        # the nodes are removed by their labels: no snapshot of the host is needed.
        needs = lesson_needs(self.lesson)
        if needs.uses_docker and not self.sandboxed:
            self._before = take_snapshot(
                self._reader(),
                keep_images=needs.removes_images,
                keep_dir=store.images_dir(self.lesson.path),
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
        if self._before is not None:
            store.save(
                self.lesson.path,
                self._before,
                self.workspace,
                replace=not self.options.interactive,
            )
        return LessonStarted(self.lesson, self.workspace)

    async def prepare(self) -> SandboxReady | None:
        """For a sandboxed lesson, start its nodes (once) and wait until every inner engine
        answers; emits SandboxReady. events() calls it before the first step, session() on
        demand. None when the lesson runs on this host."""
        if not self.sandboxed:
            return None
        if self._sandbox_up is None:
            from lab.sandbox import Sandbox  # the docker SDK: imported only for sandbox runs

            self._sandbox = Sandbox(
                self._engine_factory,
                lesson=self.lesson.path,
                nodes=self._node_count(),
                image=self.options.node_image,
            )
            self._sandbox_up = asyncio.ensure_future(asyncio.to_thread(self._sandbox.up))
        await asyncio.shield(self._sandbox_up)  # a cancelled caller leaves it to finish()
        if self.sandbox_ready is None and self._sandbox is not None:
            box = self._sandbox
            self.sandbox_ready = SandboxReady(
                self.lesson,
                tuple(
                    SandboxNode(n.terminal, n.hostname, n.address, n.container)
                    for n in box.nodes.values()
                ),
                box.image,
                box.mode.describe() if box.mode else "",
                box.seconds,
                tuple(box.leftovers.removed),
            )
            self._emit(self.sandbox_ready)
        return self.sandbox_ready

    def app_url(self, link: AppLink) -> str:
        """Where this machine opens an app link of the lesson: its terminal's sandbox node
        (once the nodes are up), else this host."""
        nodes = (
            {n.terminal: n.address for n in self._sandbox.nodes.values()} if self._sandbox else {}
        )
        return resolve_app_link(link, nodes)

    def _node_count(self) -> int:
        used = [s.terminal for s in self.lesson.steps]
        used += [c.terminal for s in self.lesson.steps for c in s.checks if c.terminal]
        return max([self.lesson.front_matter.terms, *used])

    def _node(self, terminal: int) -> Node | None:
        """The sandbox node of a terminal (None on this host)."""
        return self._sandbox.nodes.get(terminal) if self._sandbox is not None else None

    async def _sandbox_down(self) -> CleanupReport | None:
        box = self._sandbox
        if box is None:
            return None
        box.stop()
        if self._sandbox_up is not None:
            with contextlib.suppress(BaseException):
                await self._sandbox_up  # stopped: ends at its next step
        if not self.options.cleanup:  # `--keep`: marked, so that sweeps leave it
            await asyncio.to_thread(box.keep)
            return None
        return await asyncio.to_thread(box.down)

    async def finish(self, *, interrupted: bool = False) -> LessonFinished:
        """Stop every shell and background step, remove the workspace unless kept."""
        shells = [*self._background, *self._sessions.values()]
        self._background.clear()
        self._sessions.clear()
        # A shell idle at its prompt (nothing else running in it) cannot make anything more:
        # on this host it closes while cleanup runs. Any other closes before cleanup looks.
        later = [s for s in shells if s.idle] if not self.sandboxed else []
        await asyncio.gather(*(s.close() for s in shells if s not in later))
        closing = asyncio.gather(*(s.close() for s in later))
        try:
            cleanup = await self._sandbox_down()
            if self._before is not None and self.options.cleanup:
                cleanup = await asyncio.to_thread(
                    restore, self.engine_or_raise, self._before, self._owned
                )
                if cleanup.ok:
                    store.forget(self.lesson.path)
        finally:
            await closing
        if self._shim is not None:
            self._shim.close()
            self._shim = None
        keep = self.options.keep_workspace or not self.options.cleanup
        if self._own_workspace and not keep:
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
    def _env(self, terminal: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.captures)
        env["LAB_WORKSPACE"] = str(self.workspace)
        env["LAB_TERMINAL"] = str(terminal)
        env["LAB_LESSON"] = str(self.lesson.path)
        if self._shim is not None:  # `lab assert ...` in steps and checks is this lab
            env["PATH"] = self._shim.path_with_shim(env.get("PATH", ""))
        return env

    def _node_env(self, terminal: int, node: Node) -> dict[str, str]:
        """The lesson's variables for a terminal in a sandbox node."""
        env = dict(self.captures)
        env["LAB_WORKSPACE"] = node.workdir
        env["LAB_TERMINAL"] = str(terminal)
        env["LAB_LESSON"] = str(self.lesson.path)
        env["LAB_NODE"] = node.hostname
        return env

    def _new_shell(self, terminal: int) -> ShellSession:
        node = self._node(terminal)
        if node is None:
            return self._shell_factory(terminal, self.workspace, self._env(terminal))
        return node.shell(f"term{terminal}", self._node_env(terminal, node))

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
            session = self._new_shell(terminal)
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
        session = self._new_shell(step.terminal)
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
        self._step_cwd[step.index] = self._shell_cwd(step.terminal)
        answerer = StepAnswerer(step)
        secrets = self._secrets + [a.text for a in step.answers if a.secret]

        def on_output(text: str) -> None:
            self._emit(StepOutput(self.lesson, step, text))

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
        return self._judge(step, outcome, answerer.secrets + secrets)

    def _judge(self, step: Step, out: CommandResult, secrets: list[str]) -> StepResult:
        output = redact(out.output, secrets)
        base = StepResult("passed", out.exit_status, output, out.duration)
        if out.outcome == "timeout":
            return replace(
                base, status="timeout", message=f"timed out after {self._timeout(step):g} s"
            )
        if out.outcome == "unanswered_prompt":
            prompt = (out.prompt or "").strip()
            give = (
                "this prompt hides what is typed: give the reply with secret=..."
                if out.prompt_hidden
                else "give the reply with answer=..."
            )
            return replace(
                base,
                status="failed",
                message=f"waiting for input at prompt {prompt!r}; {give} in the step's info "
                "string (or in the lesson's overlay)",
            )
        if out.outcome == "integration_lost":
            return replace(
                base,
                status="error",
                message="lost track of the shell (did the step start another shell or ssh?)",
            )
        note = ""
        if out.outcome == "shell_exited":
            note = "the step ended its shell; a fresh one is started for the next step"
        if step.expect_exit is not None and out.exit_status != step.expect_exit:
            want = step.expect_exit
            message = f"exited with status {out.exit_status} (expected {want})"
            return replace(base, status="failed", message="; ".join(filter(None, [message, note])))
        captures, missing = self._capture(step, output)
        if missing:
            return replace(
                base,
                status="failed",
                message=f"capture {missing} found no match in the output",
                captures=captures,
            )
        diff = None
        if step.expected_output:
            from lab.runner.drift import drift  # difflib and its patterns: first use only

            diff = drift(step.expected_output.text, output)
        if diff and self.options.strict_output:
            return replace(
                base, status="failed", message="output drifted from the expected output", drift=diff
            )
        return replace(base, message=note, drift=diff, captures=captures)

    def _capture(self, step: Step, output: str) -> tuple[dict[str, str], str | None]:
        found: dict[str, str] = {}
        plain = ANSI.sub("", output)
        for cap in step.captures:
            match = re.search(cap.pattern, plain, re.MULTILINE)
            if match is None:
                return found, cap.name
            found[cap.name] = match.group(1) if match.groups() else match.group(0)
        self.captures.update(found)
        return found, None

    async def _share_captures(self) -> None:
        """Make captured values visible as variables in every live terminal."""
        if not self.captures:
            return
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.captures.items())
        for session in self._sessions.values():
            if session.alive:
                await session.run(f"export {exports}", timeout=10)

    # ------------------------------------------------------------------ inferred checks
    def engine(self) -> Any:
        """The Docker client for checks, connected on first use (EnvironmentNotReady if none)."""
        if self._engine is None:
            self._engine = self._engine_factory()
        return self._engine

    def _reader(self) -> Reader:
        """What the host snapshot reads the engine with: without the docker SDK (quick to
        start) unless a client was given to this runner."""
        if self._engine_factory is _default_engine and self._engine is None:
            return connect_api()
        return as_api(self.engine())

    def engine_or_raise(self) -> Any:
        """A client that answers now (reconnects: the engine may have restarted mid-run)."""
        self._engine = None
        client = self.engine()
        client.ping()
        return client

    def _infers(self, step: Step) -> bool:
        return self.options.infer and self.lesson.front_matter.lab.infer and step.infer

    def _shell_cwd(self, terminal: int) -> Path:
        session = self._sessions.get(terminal)
        node = self._node(terminal)
        if node is not None:
            inside = node.cwd_of(session.pid) if session and session.pid else None
            return inside or node.path(node.workdir)
        if session is not None and session.pid is not None:
            with contextlib.suppress(OSError):
                return Path(os.readlink(f"/proc/{session.pid}/cwd"))
        return self.workspace

    async def _verify(self, step: Step, check: InferredCheck) -> CheckResult:
        started = time.monotonic()
        node = self._node(step.terminal)
        try:
            if node is None:
                verdict = await asyncio.to_thread(check.verify)
            else:  # with the node's network: 127.0.0.1 is the node's
                verdict = await asyncio.to_thread(node.call, check.verify)
        except LabError as exc:
            verdict = Verdict(False, exc.message, f"hint: {exc.hint}" if exc.hint else "")
        if node is not None:  # node paths as the learner knows them: node1:/root/data
            verdict = replace(
                verdict,
                message=verdict.message.replace(str(node.root), f"{node.hostname}:"),
                details=verdict.details.replace(str(node.root), f"{node.hostname}:"),
            )
        detail = "\n".join(filter(None, [verdict.message, verdict.details]))
        result = CheckResult(
            label=check.label,
            passed=verdict.passed,
            output=detail,
            duration=time.monotonic() - started,
            inferred=True,
            message="" if verdict.passed else verdict.message,
        )
        return result

    async def _run_inferred(self, step: Step, result: StepResult) -> list[CheckResult]:
        if not self._infers(step) or step.background or step.expect_exit != 0:
            return []  # a step meant to fail does not leave what its commands would make
        found = infer_checks(
            step.command,
            result.output,
            cwd=self._step_cwd.get(step.index, self.workspace),
            **self._where(step.terminal),
        )
        results = await asyncio.gather(*(self._verify(step, check) for check in found))
        for res in results:  # verified side by side, reported in order
            self._emit(CheckFinished(self.lesson, step, res))
        return list(results)

    async def _explain(self, step: Step) -> list[CheckResult]:
        """Inferred checks that say why a failed step failed (only the ones that fail)."""
        results = []
        where = self._where(step.terminal)
        for check in explain_failure(
            step.command, where["variables"], where["locate"], where["home"]
        ):
            res = await self._verify(step, check)
            if not res.passed:
                self._emit(CheckFinished(self.lesson, step, res))
                results.append(res)
        return results

    def _where(self, terminal: int) -> dict[str, Any]:
        """What inferred checks of a terminal's steps talk to: its engine, its variables, its
        files (a sandbox node's through /proc) and its home directory."""
        node = self._node(terminal)
        if node is None:
            return {
                "engine": self.engine,
                "variables": {**os.environ, **self.captures},
                "locate": Path,
                "home": None,
            }
        env = node.base_env()
        return {
            "engine": node.engine,
            "variables": {**env, **self._node_env(terminal, node)},
            "locate": node.path,
            "home": env["HOME"],
        }

    async def _run_checks(self, step: Step, result: StepResult) -> list[CheckResult]:
        if result.captures:
            await self._share_captures()
        results = []
        secrets = self._secrets
        for check in step.checks:
            timeout = check.timeout or CHECK_TIMEOUT
            if check.terminal is not None:
                session = await self.session(check.terminal)
                res = await run_check_in_session(check, session, timeout=timeout, secrets=secrets)
            elif (node := self._node(step.terminal)) is not None:  # inside the step's node
                res = await run_check_process(
                    check,
                    cwd=Path("/"),
                    env={**node.base_env(), **self._node_env(step.terminal, node)},
                    timeout=timeout,
                    secrets=secrets,
                    prefix=node.exec_prefix(),
                )
            else:
                terminal = step.terminal
                res = await run_check_process(
                    check,
                    cwd=self.workspace,
                    env=self._env(terminal),
                    timeout=timeout,
                    secrets=secrets,
                )
            results.append(res)
            self._emit(CheckFinished(self.lesson, step, res))
        return results
