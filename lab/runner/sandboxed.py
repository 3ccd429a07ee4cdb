"""Terminals in sandbox nodes: each a throw-away Docker host of its own (its shell, files,
network and inner engine), removed afterwards. Imported only for sandboxed runs (the SDK)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from lab.checks.verdict import Verdict
from lab.engine import EngineFactory
from lab.engine.cleanup import CleanupReport
from lab.errors import LabError
from lab.hoststate.restore import Owned
from lab.lesson.model import Check, Lesson, Step
from lab.lesson.needs import terminal_count
from lab.runner.checkrun import run_check_process
from lab.runner.events import CheckResult, SandboxNode, SandboxReady, StepResult
from lab.runner.inferred import InferredCheck
from lab.runner.placement import CheckScope, checked, lesson_variables
from lab.sandbox import Node, Sandbox, Seat
from lab.shell import ShellSession


class NodePlacement:
    """A sandbox node per terminal, started by prepare() and removed by close(). engine:
    the host's engine, where the nodes run; image: the node image (None: the default); seat:
    a workshop room's seat, whose nodes a later session finds again (close() leaves them)."""

    def __init__(
        self,
        lesson: Lesson,
        *,
        engine: EngineFactory,
        image: str | None = None,
        seat: Seat | None = None,
    ) -> None:
        self.lesson = lesson
        nodes = terminal_count(lesson)
        self.seat = seat
        self.sandbox = Sandbox(engine, lesson=lesson.path, nodes=nodes, image=image, seat=seat)
        self._up: asyncio.Future[None] | None = None
        self._ready: SandboxReady | None = None

    async def prepare(self) -> SandboxReady:
        """Start the nodes (once) and wait until every inner engine answers."""
        if self._up is None:
            self._up = asyncio.ensure_future(asyncio.to_thread(self.sandbox.up))
        await asyncio.shield(self._up)  # a cancelled caller leaves it to close()
        if self._ready is None:
            box = self.sandbox
            self._ready = SandboxReady(
                lesson=self.lesson,
                nodes=tuple(
                    SandboxNode(n.terminal, n.hostname, n.address, n.container)
                    for n in box.nodes.values()
                ),
                image=box.image,
                mode=box.mode.describe() if box.mode else "",
                seconds=box.seconds,
                leftovers=tuple(box.leftovers.removed),
            )
        return self._ready

    def node(self, terminal: int) -> Node:
        """The node of a terminal (once prepare() is done)."""
        node = self.sandbox.nodes.get(terminal)
        if node is None:
            raise LabError(f"term{terminal} has no sandbox node (the nodes are not up)")
        return node

    def env(self, terminal: int, captures: Mapping[str, str]) -> dict[str, str]:
        """The lesson's variables in a terminal's node (the node's own environment aside)."""
        node = self.node(terminal)
        env = lesson_variables(self.lesson.path, terminal, node.workdir, captures)
        env["LAB_NODE"] = node.hostname
        return env

    def shell(self, terminal: int, captures: Mapping[str, str]) -> ShellSession:
        """A bash inside the terminal's node, in its WORKDIR."""
        keep = self.seat is not None  # a room's attendee: a refreshed page finds the shell's state
        return self.node(terminal).shell(
            f"term{terminal}", self.env(terminal, captures), keep_state=keep
        )

    async def run_step(self, step: Step, run: Callable[[], Awaitable[StepResult]]) -> StepResult:
        """The node's shell runs it. A step that started a dockerd (`pkill dockerd; dockerd &`,
        `service docker restart`) is done when the node's new engine answers, so that the next
        step (and this step's checks) never race it."""
        node = self.node(step.terminal)
        engines = node.dockerds()
        result = await run()
        restart = await asyncio.to_thread(node.await_restart, engines, step.command)
        if restart is None or result.status != "passed":
            return result
        if not restart.ok:
            return replace(result, status="failed", message=restart.message)
        note = f"{node.hostname}'s Docker engine answered again"
        if restart.seconds >= 0.1:  # lab waited for it (service docker restart waits itself)
            note += f" after {restart.seconds:.1f} s"
        return replace(result, message="; ".join(filter(None, [result.message, note])))

    def cwd(self, terminal: int, session: ShellSession | None) -> Path:
        """The shell's directory inside the node, else the node's WORKDIR (as host paths)."""
        node = self.node(terminal)
        inside = node.cwd_of(session.pid) if session and session.pid else None
        return inside or node.path(node.workdir)

    def scope(self, terminal: int, captures: Mapping[str, str]) -> CheckScope:
        """The node's inner engine, its files (through /proc) and its home directory."""
        node = self.node(terminal)
        env = node.base_env()
        return CheckScope(
            node.engine, {**env, **self.env(terminal, captures)}, node.path, env["HOME"]
        )

    async def verify(self, terminal: int, check: InferredCheck) -> Verdict:
        """The check with the node's network (127.0.0.1 is the node's); node paths in what it
        says as the learner knows them (node1:/root/data)."""
        node = self.node(terminal)
        verdict = await asyncio.to_thread(checked, lambda: node.call(check.verify))
        return replace(
            verdict,
            message=verdict.message.replace(str(node.root), f"{node.hostname}:"),
            details=verdict.details.replace(str(node.root), f"{node.hostname}:"),
        )

    async def run_check(
        self,
        check: Check,
        terminal: int,
        captures: Mapping[str, str],
        *,
        timeout: float,
        secrets: Sequence[str],
    ) -> CheckResult:
        """A `bash -e` of its own inside the terminal's node."""
        node = self.node(terminal)
        return await run_check_process(
            check,
            cwd=Path("/"),
            env={**node.base_env(), **self.env(terminal, captures)},
            timeout=timeout,
            secrets=secrets,
            prefix=node.exec_prefix(),
        )

    async def close(
        self, shells: Sequence[ShellSession], *, keep: bool, owned: Owned
    ) -> CleanupReport | None:
        """Stop the shells, then remove the nodes (keep: mark them for `lab reset`). A start
        still under way gives up at its next step."""
        await asyncio.gather(*(s.close() for s in shells))
        if self._up is None:
            return None  # never started: nothing was made
        box = self.sandbox
        box.stop()
        with contextlib.suppress(BaseException):
            await self._up  # stopped: ends at its next step
        if self.seat is not None:  # the room's nodes: the attendee's next session takes them up
            box.release()
            return None
        if keep:  # `--keep`: marked, so that sweeps leave it
            await asyncio.to_thread(box.keep)
            return None
        return await asyncio.to_thread(box.down)
