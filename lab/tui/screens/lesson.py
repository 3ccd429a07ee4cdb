"""`LessonScreen`: the lesson beside its live terminals; steps run, verified and recorded.

Over 400 lines: it is the one place where the learner's keys and the run's events meet (each
action a few lines; the run reaches the screen through `_on_run_event` only)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, assert_never

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from lab.errors import EnvironmentNotReady, LabError
from lab.learner.session import LearnerSession
from lab.lesson.model import Quiz, Step
from lab.lesson.needs import sandboxed
from lab.tui.widgets.header import LabHeader
from lab.tui.widgets.lesson_view import LessonView
from lab.tui.widgets.prose import ProseBlock
from lab.tui.widgets.quiz_card import QuizCard
from lab.tui.widgets.step_card import StepCard
from lab.tui.widgets.terminal import TerminalView
from lab.tui.widgets.terminals import TerminalPane

if TYPE_CHECKING:
    from lab.runner import RunEvent, StepResult

# Dialogs, the runner and its results are imported where they are used: not needed for the
# first frame, which should come as soon as possible.

LESSON_ACTIONS = frozenset(
    {
        "run_current",
        "next",
        "previous",
        "hints",
        "drift",
        "outline",
        "reset",
        "help",
        "quit",
        "back",
        "next_terminal",
    }
)
"""Actions of keys the terminal takes for itself: hidden from the footer while it has focus."""


class LessonScreen(Screen[None]):
    """Lesson on the left, terminals on the right; F6 moves the keyboard between them. A
    reading-only lesson (`terms: 0`, no steps) has the whole width and no terminal."""

    DEFAULT_CSS = """
    LessonScreen {
        #main { height: 1fr; }
        LessonView { width: 1fr; min-width: 50; }
        TerminalPane { width: 1fr; min-width: 40; }
        LessonView:focus-within { scrollbar-color: $accent 60%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f6", "switch_focus", "Lesson ⇄ terminal"),
        Binding("enter", "run_current", "Run"),
        Binding("n,ctrl+down", "next", "Next", key_display="n"),
        Binding("p,ctrl+up", "previous", "Prev", key_display="p"),
        Binding("h", "hints", "Hint"),
        Binding("d", "drift", "Diff", show=False),
        Binding("o", "outline", "Sections", show=False),
        Binding("t", "next_terminal", "Next terminal", show=False),
        Binding("R", "reset", "Reset", show=False),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("escape", "back", "Course"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, learner: LearnerSession, *, from_picker: bool = False) -> None:
        super().__init__()
        self.learner = learner
        self.from_picker = from_picker
        self._busy: Step | None = None
        self._unsubscribe = learner.add_listener(self._on_run_event)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        boxed = self.learner.seat is not None or sandboxed(self.learner.lesson)
        # on sandbox nodes the shells start in each node's /root, not in a directory here
        yield LabHeader(self.learner.lesson.title, where=None if boxed else self.learner.workspace)
        with Horizontal(id="main"):
            yield self._lesson_view()
            if self.has_terminals:
                yield self._terminal_pane()
        yield Footer(show_command_palette=False)

    def _lesson_view(self) -> LessonView:
        resuming = self.learner.progress.position is not None or self.learner.tally().done
        return LessonView(self.learner, lazy=not resuming, id="lesson")  # resume: scroll far

    def _terminal_pane(self) -> TerminalPane:
        return TerminalPane(self.learner.terminals, id="terminals")

    @property
    def has_terminals(self) -> bool:
        """False for a reading-only lesson: no terminal pane, no shells, nothing to start."""
        return bool(self.learner.terminals)

    @property
    def lesson_view(self) -> LessonView:
        return self.query_one(LessonView)

    @property
    def pane(self) -> TerminalPane:
        return self.query_one(TerminalPane)

    def on_mount(self) -> None:
        view = self.lesson_view
        index = self.learner.resume_at()
        view.select(index, scroll=False)
        if self.learner.progress.position is not None or self.learner.tally().done:
            self.call_after_refresh(view.select, index, animate=False)  # resume: scroll there
        view.focus()
        self._show_progress()
        self.start_shells()

    async def on_unmount(self) -> None:
        self._unsubscribe()
        await self.learner.close()

    def _show_progress(self) -> None:
        self.query_one(LabHeader).set_progress(self.learner.tally())

    # -- starting ----------------------------------------------------------------------

    def start_shells(self) -> None:
        """Start the lesson once the first frame is drawn (its host snapshot is work in a
        thread that would slow that frame down)."""
        self.call_after_refresh(self.start_lesson)

    @work(exclusive=True, group="start")
    async def start_lesson(self) -> None:
        """Start the lesson's shells, then show the rest of the lesson."""
        try:
            if self.has_terminals:
                await self._start_lesson()
        finally:
            await self.lesson_view.mount_rest()

    async def _start_lesson(self) -> None:
        """Snapshot the host (Docker lessons: if the engine is down, show what `lab doctor`
        advises), then start one shell per terminal and show it."""
        learner = self.learner
        try:
            await learner.start()
        except EnvironmentNotReady as exc:
            from lab.tui.screens.problem import engine_advice, engine_problem

            for n in learner.terminals:
                self.pane.box(n).waiting(f"No shell: {exc.message}")
            advice = await asyncio.to_thread(engine_advice, learner, exc)
            self.app.push_screen(engine_problem(advice), self._after_problem)
            return
        except LabError as exc:
            from lab.tui.screens.problem import ProblemScreen

            self.app.push_screen(ProblemScreen("Cannot start the lesson", str(exc)))
            return
        await self._check_clashes()
        if learner.runner.sandboxed:
            for n in learner.terminals:
                self.pane.box(n).waiting(f"Starting the sandbox node of term{n}…")
        for n in learner.terminals:
            box = self.pane.box(n)
            if box.view is not None:
                continue
            try:
                session = await learner.terminal(n)
            except LabError as exc:
                box.waiting(str(exc))
                box.problem(f"term{n} has no shell.")
                continue
            await box.attach(session)
        if learner.restored:
            restored = "\n".join(learner.restored)
            self.notify(restored, title="Taken up where you left off", timeout=8)
        if learner.progress.steps:
            self.recheck()

    async def _check_clashes(self) -> None:
        """Say what is in the lesson's way (a container with one of its names or ports); when
        another lesson's session made it, offer to reset that session."""
        try:
            found = await self.learner.clashes()
        except LabError:
            return
        if not found:
            return
        from lab.tui.screens.clash import clash_dialog, owners

        lessons = owners(found)

        def answered(answer: str | None) -> None:
            if answer == "reset":
                self._reset_others(lessons)

        self.app.push_screen(clash_dialog(found), answered)

    @work(group="reset-others")
    async def _reset_others(self, lessons: list[str]) -> None:
        from pathlib import Path

        for lesson in lessons:
            report = await self.learner.reset_other(Path(lesson))
            removed = ", ".join(r for r in report.removed if not r.startswith("workspace"))
            if report.failed:
                failed = "; ".join(report.failed[:3])
                self.notify(f"Reset {lesson}: could not undo {failed}", severity="error")
            else:
                self.notify(f"Reset {lesson}: removed {removed or 'nothing'}", timeout=6)

    @work(exclusive=True, group="recheck")
    async def recheck(self) -> None:
        """Verify again what passed steps made (engine queries): what is gone since shows."""
        found = await self.learner.recheck()
        self._follow_learner()
        if found:
            lines = "\n".join(str(f) for f in found)
            self.notify(lines, title="Gone since last time", severity="warning", timeout=12)

    def on_terminal_pane_retry(self, message: TerminalPane.Retry) -> None:
        self.start_lesson()

    def _after_problem(self, answer: str | None) -> None:
        if answer == "retry":
            self.start_lesson()
        elif answer == "quit":
            self.app.exit()

    def _on_run_event(self, event: RunEvent) -> None:
        """The one way a run reaches the screen: its events drive the step cards, the
        progress in the header and the app links."""
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
                self.lesson_view.step_card(step.index).set_running()
            case StepOutput():
                pass  # the step's terminal shows it, read from its shell
            case CheckFinished(step=step, result=check):
                self.lesson_view.step_card(step.index).add_check(check)
            case StepFinished(step=step, result=result):
                card = self.lesson_view.step_card(step.index)
                card.set_result(result, self.learner.record(step))
                self._show_progress()
            case SandboxReady(nodes=nodes):  # app links now open on the nodes
                hosts = {node.terminal: node.address for node in nodes}
                for block in self.lesson_view.query(ProseBlock):
                    block.point_app_links(hosts)
            case LessonStarted() | LessonFinished():
                pass  # the screen starts and ends the lesson itself
            case _:
                assert_never(event)

    # -- steps -------------------------------------------------------------------------

    def _current(self) -> Step | Quiz | None:
        view = self.lesson_view
        if not 0 <= view.current < len(self.learner.items):
            return None
        return self.learner.items[view.current][1]

    def action_run_current(self) -> None:
        item = self._current()
        if isinstance(item, Step):
            self.action_run_step(item.index)
        elif isinstance(item, Quiz):
            card = self.lesson_view.cards[self.lesson_view.current]
            if isinstance(card, QuizCard):
                card.focus_first()

    def action_run_step(self, index: int) -> None:
        """Send step `index` to its terminal (Enter, or the card's ▶ link)."""
        step = self.learner.lesson.steps[index]
        card = self.lesson_view.step_card(index)
        self.lesson_view.select(self.lesson_view.index_of(card))
        if self._busy is not None:
            self.notify(
                f"Step {self._busy.index + 1} is still running: wait for it, or press ctrl+c "
                f"in term{self._busy.terminal}.",
                severity="warning",
            )
            return
        if not self.learner.started:
            self.notify("The lesson is not ready yet.", severity="warning")
            self.start_lesson()
            return
        self._busy = step  # now: a second Enter must not start it twice
        self._run(step)

    @work(group="steps")
    async def _run(self, step: Step) -> None:
        """Run a step; its card follows the run's events (`_on_run_event`). The learner stays
        on it (to read what happened): `n` moves on."""
        from lab.runner import StepFinished, StepResult

        self.pane.show(step.terminal)
        box = self.pane.box(step.terminal)
        if box.view is not None and not box.view.session.alive:
            box.back()  # the runner starts a fresh shell for the step
        result: StepResult | None = None
        try:
            if box.view is None:  # its shell could not start before: try again
                await box.attach(await self.learner.terminal(step.terminal))
            result = await self.learner.run_step(step)
        except Exception as exc:  # never a traceback in the learner's face
            why = str(exc) if isinstance(exc, LabError) else f"lab failed to run the step: {exc!r}"
            result = StepResult("error", message=why)
            self._on_run_event(StepFinished(self.learner.lesson, step, result))
        finally:
            self._busy = None
        card = self.lesson_view.step_card(step.index)
        card.set_findings(self.learner.findings.get(step.index, ()))
        self._follow_learner()
        if result.ok:
            self._check_complete()
        elif result.status != "passed":
            self.notify(f"Step {step.index + 1}: {result.message or result.status}", timeout=4)
        else:
            self.notify(f"Step {step.index + 1}: a check failed", timeout=4)

    def _follow_learner(self) -> None:
        """Every card takes the state the session knows (steps found undone since), and the
        header counts follow."""
        for step in self.learner.lesson.steps:
            self.lesson_view.step_card(step.index).follow(
                self.learner.state(step), self.learner.record(step)
            )
        self._show_progress()

    def _check_complete(self) -> None:
        tally = self.learner.tally()
        if tally.complete and not self.learner.progress.completed:
            from lab.tui.screens.summary import SummaryScreen

            self.learner.progress.mark_completed()
            summary = SummaryScreen(self.learner.lesson, tally, can_go_back=self.from_picker)
            self.app.push_screen(summary, self._after_summary)

    def _after_summary(self, answer: str | None) -> None:
        if answer == "back":
            self.action_back()

    # -- quizzes -----------------------------------------------------------------------

    @on(QuizCard.Answered)
    def _answered(self, message: QuizCard.Answered) -> None:
        card = message.card
        answer = self.learner.answer(card.quiz, message.choices, message.text)
        card.show_answer(answer)
        self.lesson_view.select(self.lesson_view.index_of(card), scroll=False)
        if card.accepts_input:
            card.focus_first()  # Try again
        else:
            self.lesson_view.focus()  # nothing left to do on it: `n` moves on
        self._show_progress()
        self._check_complete()

    @on(QuizCard.Retry)
    def _retry(self, message: QuizCard.Retry) -> None:
        self.learner.progress.clear_answer(self.learner.key(message.card.quiz))
        message.card.show_answer(None)
        message.card.focus_first()
        self._show_progress()

    # -- navigation --------------------------------------------------------------------

    @on(StepCard.Selected)
    def _selected(self, message: StepCard.Selected) -> None:
        self._move(self.lesson_view.index_of(message.card), scroll=False)

    def _move(self, index: int, *, scroll: bool = True, center: bool = True) -> None:
        """Make item `index` current; the keyboard follows it (onto an open quiz's choices,
        else the lesson)."""
        view = self.lesson_view
        card = view.select(index, scroll=scroll, center=center)
        if card is None:
            return
        self.learner.progress.move_to(self.learner.items[view.current][0])
        if isinstance(card, QuizCard) and card.accepts_input:
            card.focus_first()
        elif not isinstance(self.focused, TerminalView):
            view.focus()

    def action_next(self) -> None:
        self._move(self.lesson_view.current + 1)

    def action_previous(self) -> None:
        self._move(self.lesson_view.current - 1)

    def _current_step_card(self) -> StepCard | None:
        item = self._current()
        return self.lesson_view.step_card(item.index) if isinstance(item, Step) else None

    def action_hints(self, index: int | None = None) -> None:
        card = self._current_step_card() if index is None else self.lesson_view.step_card(index)
        if card is None:
            self.notify("Hints belong to steps: this is a quiz.", timeout=2)
        elif card.failed and card.result is not None:
            self.notify("What to try is in the step's card, under its output.", timeout=3)
        elif not card.step.hints:
            self.notify("This step has no hint.", timeout=2)
        else:
            card.toggle_hints()

    def action_drift(self, index: int | None = None) -> None:
        card = self._current_step_card() if index is None else self.lesson_view.step_card(index)
        if card is None or card.result is None:
            self.notify("Run the step first: then d shows how its output differs.", timeout=3)
        elif not card.drift:
            what = "no expected output" if not card.step.expected_output else "no difference"
            self.notify(f"Its output matches the lesson's ({what}).", timeout=3)
        else:
            card.toggle_drift()

    def action_outline(self) -> None:
        from lab.tui.screens.outline import OutlineScreen

        def jump(heading: int | None) -> None:
            if heading is not None:
                self.lesson_view.jump_to_section(heading)
                self.lesson_view.focus()

        self.app.push_screen(OutlineScreen(self.learner), jump)

    def action_switch_focus(self) -> None:
        if isinstance(self.focused, TerminalView):
            self.lesson_view.focus()
        elif not self.pane.focus_terminal():
            self.notify("The terminal is not ready yet.", timeout=2)

    def action_next_terminal(self) -> None:
        self.pane.cycle()

    def action_help(self) -> None:
        from lab.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(back=self.from_picker))

    def action_back(self) -> None:
        self.dismiss()

    def action_reset(self) -> None:
        from lab.tui.screens.confirm import ConfirmScreen

        question = (
            "Reset this lesson?\n\nThis removes what its steps created on this machine "
            "(containers, images, files under /etc/docker), its working directory and your "
            "progress, and starts fresh shells."
        )
        self.app.push_screen(ConfirmScreen(question, "Reset"), self._after_confirm)

    def _after_confirm(self, yes: bool | None) -> None:
        if yes:
            self._reset()

    @work(exclusive=True, group="reset")
    async def _reset(self) -> None:
        self.notify("Resetting the lesson…", timeout=2)
        report = await self.learner.reset()
        main = self.query_one("#main")
        await main.remove_children()
        await main.mount(self._lesson_view())
        if self.has_terminals:
            await main.mount(self._terminal_pane())
        self.on_mount()
        done = f"Reset: removed {len(report.removed)} things."
        if report.failed:
            failed = "; ".join(report.failed[:3])
            self.notify(f"{done} Could not undo: {failed}", severity="error", timeout=10)
        else:
            self.notify(done, timeout=4)

    def action_quit(self) -> None:
        self.app.exit()

    # -- footer ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer shows only keys that work where the keyboard is: the terminal takes
        every key but F6 (and ctrl+q); Esc goes back to the course only from the picker."""
        if action in LESSON_ACTIONS and isinstance(self.focused, TerminalView):
            return False
        if action == "back" and not self.from_picker:
            return False
        if action == "switch_focus" and not self.has_terminals:
            return False
        return not (action == "next_terminal" and len(self.learner.terminals) < 2)

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()
