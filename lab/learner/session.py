"""A learner's session of one lesson: shells, steps run on request, progress, reset."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from lab.engine import EngineFactory, default_engine
from lab.errors import ShellError
from lab.hoststate import CleanupReport
from lab.hoststate.reset import reset_recorded
from lab.learner import progress
from lab.learner.progress import Progress, QuizAnswer
from lab.lesson.model import Lesson, Quiz, Step
from lab.lesson.needs import sandboxed, terminal_count
from lab.shell import ShellSession
from lab.statefiles import state_root

if TYPE_CHECKING:  # the runner is imported when the lesson starts, after the first frame
    from lab.runner import EventHandler, LessonRunner, RunEvent, StepResult

CLEAR_LINE = "\x05\x15"
"""Ctrl-E, Ctrl-U: readline's end-of-line then kill-to-start, so a step sent to the shell is
not glued to whatever the learner had half typed."""


def workspace_dir(lesson_path: Path) -> Path:
    """The lesson's persistent working directory: the shells start there, reset removes it."""
    return state_root() / "workspaces" / progress.lesson_key(lesson_path)


def reset_lesson(lesson_path: Path, engine: EngineFactory | None = None) -> CleanupReport:
    """What `lab reset` does, plus progress: remove what the lesson's session created on the
    host (from its recorded snapshot), its workspace and the learner's progress."""
    report = reset_recorded(lesson_path, engine or default_engine) or CleanupReport()
    workspace = workspace_dir(lesson_path)
    if workspace.exists():
        shutil.rmtree(workspace, ignore_errors=True)
        report.removed.append(f"workspace {workspace}")
    progress.forget(lesson_path)
    return report


class LearnerSession:
    """One lesson in front of a learner: nothing runs until asked; progress is saved as it
    changes. The shells and host changes outlive the session (`reset()` removes them).

    The run's events reach the session first (it saves a verified step), then its listeners
    (the TUI's lesson screen), so what they show already counts that step. engine: gives a
    docker client of the host's engine (default: this machine's)."""

    def __init__(self, lesson: Lesson, *, engine: EngineFactory | None = None) -> None:
        self.lesson = lesson
        self.engine = engine
        self.progress: Progress = progress.load(lesson.path)
        self.items = progress.items(lesson)
        """(key, step or quiz) in document order."""
        self._keys: dict[Step | Quiz, str] = {item: key for key, item in self.items}
        self.workspace = workspace_dir(lesson.path)
        """Where the shells start; kept between sessions."""
        self._runner: LessonRunner | None = None
        self._stop_listening: Callable[[], None] | None = None
        self._listeners: list[EventHandler] = []
        self.started = False

    @property
    def runner(self) -> LessonRunner:
        """The lesson's runner (made on first use)."""
        if self._runner is None:
            from lab.runner import LessonRunner, RunOptions

            # What the steps did on this host stays between sessions (until a reset); a
            # sandbox's throw-away nodes go when the session ends, as on Play with Docker.
            boxed = sandboxed(self.lesson)
            options = RunOptions(interactive=True, cleanup=boxed, workspace=self.workspace)
            self._runner = LessonRunner(self.lesson, options, engine=self.engine)
            self._stop_listening = self._runner.add_listener(self.handle)
        return self._runner

    def add_listener(self, fn: EventHandler) -> Callable[[], None]:
        """Receive the run's events (also those of the fresh runner after a reset) once the
        session has recorded them; returns a function that stops it."""
        self._listeners.append(fn)

        def unsubscribe() -> None:
            if fn in self._listeners:
                self._listeners.remove(fn)

        return unsubscribe

    def handle(self, event: RunEvent) -> None:
        """Take one event of the run: record what it means for the learner's progress, then
        pass it on to the listeners."""
        from lab.runner import (
            CheckFinished,
            LessonFinished,
            LessonStarted,
            SandboxReady,
            StepFinished,
            StepOutput,
            StepStarted,
        )

        match event:
            case StepFinished(step=step, result=result):
                if result.ok:
                    self.progress.mark_verified(self.key(step))
            case LessonStarted() | SandboxReady() | LessonFinished():
                pass  # the session starts and ends the run itself
            case StepStarted() | StepOutput() | CheckFinished():
                pass  # progress counts verified steps only
            case _:
                assert_never(event)
        for fn in list(self._listeners):
            fn(event)

    @property
    def terminals(self) -> list[int]:
        """Terminal numbers to show: `terms:`, or more if a step or check uses a higher one."""
        return list(range(1, terminal_count(self.lesson) + 1))

    def key(self, item: Step | Quiz) -> str:
        """The progress key of a step or quiz of this lesson."""
        return self._keys[item]

    async def start(self) -> None:
        """Snapshot the host (Docker lessons; EnvironmentNotReady without an engine) and
        make the workspace; blocking engine calls run in a thread. Shells come next, from
        `terminal()` (in a sandbox, each on its own node)."""
        if self.started:
            return
        runner = self.runner
        await asyncio.to_thread(runner.start)
        self.started = True

    async def terminal(self, number: int) -> ShellSession:
        """Terminal `number`'s shell, started (or respawned) on demand."""
        return await self.runner.session(number)

    async def run_step(self, step: Step) -> StepResult:
        """Send a step to its terminal (clearing half-typed input), wait, verify, record."""
        session = await self.terminal(step.terminal)
        if session.busy:
            raise ShellError(
                f"terminal {step.terminal} is busy with another command",
                hint="wait for it to finish, or press ctrl+c in the terminal",
            )
        session.send_text(CLEAR_LINE)
        return await self.runner.run_step(step)  # its StepFinished saves the progress

    def verified(self, step: Step) -> bool:
        """The step was run and verified (now or in an earlier session)."""
        return self.key(step) in self.progress.verified

    def answer(self, quiz: Quiz, choices: tuple[int, ...] = (), text: str = "") -> QuizAnswer:
        """Grade and record a quiz answer."""
        correct = None if quiz.kind == "open" else progress.grade(quiz, choices)
        answer = QuizAnswer(choices, text.strip(), correct)
        self.progress.record_answer(self.key(quiz), answer)
        return answer

    def answer_of(self, quiz: Quiz) -> QuizAnswer | None:
        """The recorded answer of a quiz."""
        return self.progress.answers.get(self.key(quiz))

    def tally(self) -> progress.Tally:
        """How far the learner is."""
        return progress.tally(self.lesson, self.progress)

    def resume_at(self) -> int:
        """Index into `items` of the first thing left to do."""
        return progress.resume_at(self.lesson, self.progress)

    async def close(self) -> None:
        """Stop the shells; the workspace and what the lesson created stay (for next time)."""
        if self._runner is not None:
            await self._runner.finish()
        self.started = False

    async def reset(self) -> CleanupReport:
        """Stop the shells, undo the session on the host, forget the progress; a fresh
        runner is ready to `start()` again."""
        if self._stop_listening is not None:
            self._stop_listening()  # a step still ending in the old run is not news any more
            self._stop_listening = None
        await self.close()
        report = await asyncio.to_thread(reset_lesson, self.lesson.path, self.engine)
        self.progress = progress.load(self.lesson.path)
        self._runner = None
        return report
