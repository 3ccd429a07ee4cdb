"""A learner's session of one lesson: shells, steps on request, what holds, saved and restored."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from lab.engine import EngineFactory, default_engine
from lab.errors import LabError, ShellError
from lab.hoststate import CleanupReport, store
from lab.hoststate.owned import Listing, appeared, list_objects
from lab.hoststate.reset import claimed_elsewhere, reset_recorded
from lab.learner import progress
from lab.learner.progress import Progress, QuizAnswer, StepRecord, StepState, kept_output
from lab.learner.recheck import Finding, first_gone, touched_by_step, touched_since
from lab.lesson.model import Lesson, Quiz, Step
from lab.lesson.needs import lesson_needs, sandboxed, terminal_count
from lab.shell import ShellSession
from lab.statefiles import state_root

if TYPE_CHECKING:  # the runner is imported when the lesson starts, after the first frame
    from lab.hoststate.clashes import Clash
    from lab.runner import EventHandler, LessonRunner, RunEvent, StepResult
    from lab.sandbox import Seat

CLEAR_LINE = "\x05\x15"
"""Ctrl-E, Ctrl-U: readline's end-of-line then kill-to-start, so a step sent to the shell is
not glued to whatever the learner had half typed."""

_CD_LINE = re.compile(r"^cd -- (.*)$", re.M)


def workspace_dir(lesson_path: Path) -> Path:
    """The lesson's persistent working directory: the shells start there, reset removes it."""
    return state_root() / "workspaces" / progress.lesson_key(lesson_path)


def shells_dir(lesson_path: Path) -> Path:
    """Where the lesson's shells keep their state (variables, directory) between sessions."""
    return state_root() / "shells" / progress.lesson_key(lesson_path)


def reset_lesson(lesson_path: Path, engine: EngineFactory | None = None) -> CleanupReport:
    """What `lab reset` does, plus the learner's session: remove what the session made on the
    host (by ID), its workspace, its shells' state and the learner's progress."""
    report = reset_recorded(lesson_path, engine or default_engine) or CleanupReport()
    workspace = workspace_dir(lesson_path)
    if workspace.exists():
        shutil.rmtree(workspace, ignore_errors=True)
        report.removed.append(f"workspace {workspace}")
    shutil.rmtree(shells_dir(lesson_path), ignore_errors=True)
    progress.forget(lesson_path)
    return report


class LearnerSession:
    """One lesson in front of a learner. Nothing runs until asked. After every step the
    session is saved (step states, captured values, each shell's variables and directory,
    the engine objects it made); reopening takes it up (`restored` says what came back).

    The run's events reach the session first (`handle`), then its listeners (the TUI's
    lesson screen), so what they show already counts them. engine: gives a docker client of
    the host's engine (default: this machine's). seat: a workshop room's seat (`lab serve`):
    the lesson runs in sandbox nodes the room keeps between sessions."""

    def __init__(
        self, lesson: Lesson, *, engine: EngineFactory | None = None, seat: Seat | None = None
    ) -> None:
        self.lesson = lesson
        self.engine = engine
        self.seat = seat
        self.progress: Progress = progress.load(lesson.path)
        self.items = progress.items(lesson)
        """(key, step or quiz) in document order."""
        self._keys: dict[Step | Quiz, str] = {item: key for key, item in self.items}
        self.workspace = workspace_dir(lesson.path)
        """Where the shells start; kept between sessions."""
        self.restored: list[str] = []
        """What came back from the saved session when the shells started (for the learner)."""
        self.running: Step | None = None
        """The step lab runs now."""
        self.findings: dict[int, tuple[Finding, ...]] = {}
        """Step index -> what earlier steps made that is gone, found when it failed."""
        self._runner: LessonRunner | None = None
        self._listing: Listing | None = None
        self._listeners: list[EventHandler] = []
        self._stop_listening: Callable[[], None] | None = None
        self._seq = max((r.seq for r in self.progress.steps.values()), default=0)
        self.started = False

    @property
    def runner(self) -> LessonRunner:
        """The lesson's runner (made on first use)."""
        if self._runner is None:
            from lab.runner import LessonRunner, RunOptions

            # What the steps did on this host stays between sessions (until a reset); a
            # sandbox's throw-away nodes go when the session ends, as on Play with Docker.
            boxed = sandboxed(self.lesson)
            options = RunOptions(
                interactive=True,
                cleanup=boxed,
                workspace=self.workspace,
                shell_state=shells_dir(self.lesson.path),
                seat=self.seat,
            )
            self._runner = LessonRunner(self.lesson, options, engine=self.engine)
            self._runner.captures.update(self.progress.captures)
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

    @property
    def terminals(self) -> list[int]:
        """Terminal numbers to show: `terms:`, or more if a step or check uses a higher one."""
        return list(range(1, terminal_count(self.lesson) + 1))

    def key(self, item: Step | Quiz) -> str:
        """The progress key of a step or quiz of this lesson."""
        return self._keys[item]

    # -- shells ---------------------------------------------------------------------------

    def _state_file(self, terminal: int) -> Path:
        return shells_dir(self.lesson.path) / f"term{terminal}.sh"

    def _take_up_terminals(self) -> None:
        """Before the shells start: write each terminal's saved state where its shell reads
        it (dropping a directory that is gone), and say what comes back in `restored`."""
        for terminal in self.terminals:
            saved = self.progress.terminals.get(terminal, "")
            said: list[str] = []
            names = re.findall(r"^declare -[-\w]* ([A-Za-z_][A-Za-z0-9_]*)=", saved, re.M)
            names = [n for n in names if n not in self.progress.captures]  # said already
            if names:
                said.append("$" + ", $".join(names))
            where = _CD_LINE.search(saved)
            if where is not None:
                directory = Path(shlex.split(where.group(1))[0])
                if directory.is_dir():
                    said.append(f"in {self._display(directory)}")
                else:
                    saved = _CD_LINE.sub("", saved)
                    said.append(f"not in {self._display(directory)} (it is gone)")
            if said:
                self.restored.append(f"term{terminal}: " + ", ".join(said))
            with contextlib.suppress(OSError):
                state = self._state_file(terminal)
                state.parent.mkdir(parents=True, exist_ok=True)
                state.write_text(saved, encoding="utf-8")

    def _display(self, path: Path) -> str:
        """A directory as the learner knows it: relative to the workspace when inside it."""
        with contextlib.suppress(ValueError):
            rel = path.relative_to(self.workspace)
            return "the workspace" if str(rel) == "." else f"./{rel}"
        return str(path)

    def _save_terminals(self) -> None:
        """Keep each shell's state (written by the shell at its last prompt)."""
        changed = False
        for n in self.terminals:
            try:
                text = self._state_file(n).read_text(encoding="utf-8")
            except OSError:
                continue
            if text and self.progress.terminals.get(n) != text:
                self.progress.terminals[n] = text
                changed = True
        if changed:
            self.progress.save()

    # -- the session ----------------------------------------------------------------------

    async def start(self) -> None:
        """Snapshot the host (Docker lessons; EnvironmentNotReady without an engine) and
        make the workspace; blocking engine calls run in a thread. Shells come next, from
        `terminal()` (in a sandbox, each on its own node)."""
        if self.started:
            return
        runner = self.runner
        await asyncio.to_thread(runner.start)
        self.restored = []
        if not runner.sandboxed:
            self._take_up_terminals()
        if self.progress.captures:
            names = ", ".join(f"${k}" for k in self.progress.captures)
            self.restored.insert(0, f"captured {names}")
        self.progress.workspace = str(self.workspace)  # saved with the first step
        if store.load(self.lesson.path) is not None and not runner.sandboxed:
            with contextlib.suppress(Exception):  # ownership is best effort: never blocks
                self._listing = await asyncio.to_thread(self._list)
        self.started = True

    def _list(self) -> Listing:
        from lab.engine.reader import as_api, connect_api

        api = as_api(self.engine()) if self.engine is not None else connect_api()
        return list_objects(api)

    def _claim(self) -> None:
        """Claim, by ID, the engine objects that appeared since the last look (the shells'
        doing: a step's, or the learner's own commands), except other sessions' claims."""
        if self._listing is None:
            return
        now = self._list()
        new = appeared(self._listing, now).without(claimed_elsewhere(self.lesson.path))
        self._listing = now
        if new:
            store.claim(self.lesson.path, new)

    async def clashes(self) -> list[Clash]:
        """Containers in this lesson's way (its names and host ports) that it did not make,
        with the lab session that made each, if any (blocking reads run in a thread)."""
        from lab.engine.reader import as_api, connect_api
        from lab.hoststate.clashes import find_clashes

        if self.runner.sandboxed or not lesson_needs(self.lesson).uses_docker:
            return []

        def find() -> list[Clash]:
            api = as_api(self.engine()) if self.engine is not None else connect_api()
            mine = str(self.lesson.path.resolve())
            return [c for c in find_clashes(api, self.lesson) if c.owner_lesson != mine]

        return await asyncio.to_thread(find)

    async def reset_other(self, lesson_path: Path) -> CleanupReport:
        """Reset another lesson's session (what it made, by ID; its progress)."""
        return await asyncio.to_thread(reset_lesson, lesson_path, self.engine)

    async def terminal(self, number: int) -> ShellSession:
        """Terminal `number`'s shell, started (or respawned) on demand."""
        return await self.runner.session(number)

    async def run_step(self, step: Step) -> StepResult:
        """Send a step to its terminal (clearing half-typed input), wait, verify, record.
        When it fails, earlier steps are verified again: `findings[step.index]` says what
        they made that is gone."""
        session = await self.terminal(step.terminal)
        if session.busy:
            raise ShellError(
                f"terminal {step.terminal} is busy with another command",
                hint="wait for it to finish, or press ctrl+c in the terminal",
            )
        session.send_text(CLEAR_LINE)
        self.findings.pop(step.index, None)
        result = await self.runner.run_step(step)  # its StepFinished records it (`handle`)
        self._save_terminals()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._claim)
        if not result.ok and result.status != "skipped":
            self.findings[step.index] = tuple(await self.recheck(before=step))
        return result

    def handle(self, event: RunEvent) -> None:
        """Take one event of the run: record what it means for the learner's session, then
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
            case StepStarted(step=step):
                self.running = step
            case StepFinished(step=step, result=result):
                self.running = None
                self._record(step, result)
            case LessonStarted() | SandboxReady() | LessonFinished():
                pass  # the session starts and ends the run itself
            case StepOutput() | CheckFinished():
                pass  # the step's state changes when it ends
            case _:
                assert_never(event)
        for fn in list(self._listeners):
            fn(event)

    def _record(self, step: Step, result: StepResult) -> None:
        if result.status == "skipped":
            return
        if result.captures:
            self.progress.captures.update(result.captures)
        failed = next((c for c in result.checks if not c.passed), None)
        message = result.message if not result.ok or not failed else ""
        if result.status == "passed" and failed is not None:
            message = f"check failed: {failed.label}" + (
                f" — {failed.message}" if failed.message else ""
            )
        self._seq += 1
        runner = self.runner
        self.progress.record_step(
            self.key(step),
            StepRecord(
                "passed" if result.ok else "failed",
                "" if result.ok else message or result.status,
                kept_output(result.output),
                str(runner.step_cwd(step)),
                self._seq,
            ),
        )

    # -- what holds -----------------------------------------------------------------------

    def state(self, step: Step) -> StepState:
        """Where a step stands: not run, running, passed, failed, or invalidated."""
        if self.running is step:
            return "running"
        return self.progress.state(self.key(step))

    def record(self, step: Step) -> StepRecord | None:
        """How the step ended the last time lab ran it."""
        return self.progress.steps.get(self.key(step))

    def verified(self, step: Step) -> bool:
        """The step's last run passed and what it made still holds (as far as lab knows)."""
        return self.state(step) == "passed"

    async def recheck(self, before: Step | None = None) -> list[Finding]:
        """Verify again the inferred checks of steps that passed (engine and file queries,
        nothing typed), nearest first; a step whose outcome is gone becomes invalidated.
        A check is left out when a step run after it touches what it is about (see
        `lab.learner.recheck`). before: only the steps before that one in the lesson."""
        if not self.started or (self.runner.sandboxed and self.runner.sandbox_ready is None):
            return []
        steps = self.lesson.steps[: before.index] if before is not None else self.lesson.steps
        records = {s.index: r for s in self.lesson.steps if (r := self.record(s)) is not None}
        touched = touched_by_step(self.lesson, self.progress.captures)
        found: list[Finding] = []
        for step in reversed(steps):
            record = records.get(step.index)
            if record is None or record.state != "passed":
                continue
            try:
                results = await self.runner.recheck(step, record.output, Path(record.cwd or "."))
            except LabError:
                continue
            gone = first_gone(results, touched_since(step, records, touched))
            if gone is not None:
                finding = Finding(step, gone)
                self.progress.invalidate(self.key(step), finding.message)
                found.append(finding)
        return found

    # -- quizzes and progress ---------------------------------------------------------------

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
        """Save the shells' state and stop them; the workspace and what the lesson created
        stay (for next time)."""
        if self._runner is not None:
            self._save_terminals()
            if self.started:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._claim)
            await self._runner.finish()
        self.started = False

    async def reset(self) -> CleanupReport:
        """Stop the shells, undo the session on the host (what it made, by ID), forget the
        progress; a fresh runner is ready to `start()` again."""
        if self._stop_listening is not None:
            self._stop_listening()  # a step still ending in the old run is not news any more
            self._stop_listening = None
        await self.close()
        report = await asyncio.to_thread(reset_lesson, self.lesson.path, self.engine)
        if self.seat is not None:  # the room's nodes of this lesson: fresh ones next time
            engine = self.engine or default_engine
            discarded = await asyncio.to_thread(self.seat.discard, engine(), self.lesson.path)
            report.removed += discarded.removed
            report.failed += discarded.failed
        self.progress = progress.load(self.lesson.path)
        self.restored = []
        self.findings = {}
        self._seq = 0
        self._listing = None
        self._runner = None
        return report
