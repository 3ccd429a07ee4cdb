"""`StepCard`: one runnable step, where it stands (not run, running, passed, failed, passed but
undone since), its checks, and on failure what to try: the hint, lab's findings, the drift."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from lab.learner.progress import StepRecord, StepState
from lab.lesson.model import Step
from lab.tui.widgets.markup import command_text, markdown_text

if TYPE_CHECKING:
    from lab.learner.recheck import Finding
    from lab.runner import CheckResult, StepResult

STATUS: dict[str, tuple[str, str]] = {
    "not run": ("○", "not run yet"),
    "running": ("◐", "running…"),
    "passed": ("✓", "passed"),
    "failed": ("✗", "failed"),
    "timeout": ("✗", "timed out"),
    "error": ("✗", "could not run"),
    "invalidated": ("!", "passed, but its work is gone"),
}
"""State -> (mark, words) shown in the card's bottom border."""
CLASSES = {"not run": "-ready", "invalidated": "-invalidated"}
"""State -> the card's CSS class (else `-STATE`)."""
OUTPUT_LINES = 8
"""Lines of a failed step's output shown in its card (the terminal has all of it)."""


def duration_text(seconds: float) -> str:
    """How long a step took, for its card (tests freeze it: durations vary)."""
    return f"{seconds:.1f}s"


def check_line(check: CheckResult) -> Content:
    """`✓ label (inferred)` or `✗ label — why`."""
    mark = "[$success]✓[/]" if check.passed else "[$error]✗[/]"
    kind = " [dim](inferred)[/]" if check.inferred else ""
    why = f" — {check.message}" if check.message and not check.passed else ""
    return Content.from_markup(f"{mark} $label{kind}[$error]$why[/]", label=check.label, why=why)


def drift_text(diff: str) -> Content:
    """A unified diff, coloured."""
    lines = [Content.from_markup("[dim]how the output differs: - expected, + got[/]")]
    for line in diff.splitlines():
        style = "$success" if line.startswith("+") else "$error" if line.startswith("-") else "dim"
        if line.startswith(("+++", "---", "@@")):
            style = "dim"
        lines.append(Content.from_markup(f"[{style}]$line[/]", line=line))
    return Content("\n").join(lines)


def hint_text(hint: str) -> Content:
    """A hint (Markdown) after its bulb."""
    return Content.assemble(Content.from_markup("[$warning]💡[/] "), markdown_text(hint))


class StepCard(Static):
    """A step of the lesson: its commands, how it ran, its checks; when it failed, what to
    try (its hint, what lab found gone, how the output differs). A click selects it; its ▶
    link (or Enter) runs it."""

    DEFAULT_CSS = """
    StepCard {
        height: auto;
        margin: 0 1 1 1;
        padding: 0 1;
        border: round $foreground 30%;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        &.-current { border: round $accent 60%; border-title-color: $accent 60%; }
        &.-running { border: round $warning; border-subtitle-color: $warning; }
        &.-passed { border: round $success 50%; border-subtitle-color: $success; }
        &.-passed.-current { border: round $success 80%; }
        &.-failed, &.-timeout, &.-error {
            border: round $error 70%; border-subtitle-color: $error;
        }
        &.-invalidated { border: round $warning 70%; border-subtitle-color: $warning; }
    }
    LessonView:focus-within StepCard.-current {
        border: round $accent; border-title-color: $accent;
        &.-passed { border: round $success; }
        &.-failed, &.-timeout, &.-error { border: round $error; }
        &.-invalidated { border: round $warning; }
    }
    """

    class Selected(Message):
        """The learner clicked a step."""

        def __init__(self, card: StepCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, step: Step, *, record: StepRecord | None = None) -> None:
        self.step = step
        self.record = record
        """How the step ended the last time lab ran it (in this session or before)."""
        self.state: str = record.state if record is not None else "not run"
        self.result: StepResult | None = None
        """The result of its run in this session."""
        self.findings: tuple[Finding, ...] = ()
        """What earlier steps made that is gone, found when this one failed."""
        self.show_hints = False
        self.show_drift = False
        self.live_checks: list[CheckResult] = []
        self._wrapped_at = 0
        """The width the command was last wrapped to."""
        super().__init__(id=f"step-{step.index}", classes=self._class(self.state))
        self.border_title = f"Step {step.index + 1} · term{step.terminal}"
        self.border_subtitle = self._subtitle()

    @staticmethod
    def _class(state: str) -> str:
        return CLASSES.get(state, f"-{state}")

    def on_mount(self) -> None:
        self.update(self._body())

    def on_resize(self, event: events.Resize) -> None:
        """Wrap the command again for the new width (only a command too wide for one of the
        widths needs it: most do not)."""
        longest = max(map(len, self.step.command.splitlines() or [""])) + 2
        if longest > min(self._wrapped_at, self._width()):
            self.update(self._body())

    # -- state ------------------------------------------------------------------------

    def set_running(self) -> None:
        """The step was sent to its terminal."""
        self.result = None
        self.findings = ()
        self.show_drift = False
        self.live_checks.clear()
        self._set_state("running")

    def set_result(self, result: StepResult, record: StepRecord | None = None) -> None:
        """The step and its checks ended."""
        self.result = result
        self.record = record
        self._set_state(result.status if result.status != "passed" or result.ok else "failed")

    def set_findings(self, findings: tuple[Finding, ...]) -> None:
        """What lab found gone when this step failed (shown under its hint)."""
        self.findings = findings
        self.update(self._body())

    def follow(self, state: StepState, record: StepRecord | None) -> None:
        """Take the state the learner's session knows (e.g. found undone since)."""
        self.record = record
        if state == self.state or self.state == "running":
            return
        if state == "failed" and self.state in ("timeout", "error"):
            return
        if state == "not run" and self.result is not None:
            return  # a run lab could not record (its shell was busy): its card says why
        if state in ("not run", "invalidated"):
            self.result = None
        self._set_state(state)

    def add_check(self, check: CheckResult) -> None:
        """A check finished while the step runs."""
        self.live_checks.append(check)
        self.update(self._body())

    def set_current(self, current: bool) -> None:
        """Highlight the step the learner is at (its card says it may be typed instead)."""
        if current != self.has_class("-current"):
            self.set_class(current, "-current")
            self.update(self._body())

    @property
    def failed(self) -> bool:
        """Its last run failed."""
        return self.state in ("failed", "timeout", "error")

    @property
    def drift(self) -> str | None:
        """How its output differed from the lesson's, in this session's run."""
        return self.result.drift if self.result is not None else None

    def toggle_hints(self) -> None:
        """Show or hide the step's hints."""
        self.show_hints = not self.show_hints and bool(self.step.hints)
        self.update(self._body())

    def toggle_drift(self) -> None:
        """Show or hide the diff between the lesson's expected output and the real one."""
        self.show_drift = not self.show_drift and bool(self.drift)
        self.update(self._body())

    def _set_state(self, state: str) -> None:
        self.remove_class(self._class(self.state))
        self.state = state
        self.add_class(self._class(state))
        self.border_subtitle = self._subtitle()
        self.update(self._body())

    # -- rendering ----------------------------------------------------------------------

    def _subtitle(self) -> str:
        mark, words = STATUS[self.state]
        if self.result is not None and self.state not in ("running", "invalidated"):
            words += f" · {duration_text(self.result.duration)}"
        elif self.record is not None and self.state == "passed":
            words += " earlier"
        return f"{mark} {words}"

    def _width(self) -> int:
        return self.content_region.width or 76

    def _body(self) -> Content:
        self._wrapped_at = self._width()
        parts = [command_text(self.step.command, self._wrapped_at)]
        result = self.result
        if result is not None:
            if result.message:
                style = "$success" if result.ok else "$error"
                parts.append(Content.from_markup(f"[{style}]$m[/]", m=result.message))
            if result.status != "passed" and result.output.strip():
                tail = result.output.rstrip().splitlines()[-OUTPUT_LINES:]
                parts.append(Content.from_markup("[dim]$out[/]", out="\n".join(tail)))
        elif self.record is not None and self.record.message and self.state != "passed":
            style = "$warning" if self.state == "invalidated" else "$error"
            what = "gone since: " if self.state == "invalidated" else "last run: "
            parts.append(Content.from_markup(f"[{style}]$w$m[/]", w=what, m=self.record.message))
        checks = result.checks if result is not None else tuple(self.live_checks)
        parts.extend(check_line(c) for c in checks)
        if self.failed and result is not None:
            parts.extend(self._help())
        elif self.show_hints:
            parts.extend(hint_text(hint) for hint in self.step.hints)
        if self.show_drift and self.drift:
            parts.append(drift_text(self.drift))
        parts.append(Content(""))
        parts.append(self._actions())
        return Content("\n").join(parts)

    def _help(self) -> list[Content]:
        """What to try after a failure: the step's hint, what lab found gone, the drift."""
        lines = [hint_text(hint) for hint in self.step.hints]
        for finding in self.findings:
            lines.append(Content.from_markup("[$warning]🔎[/] $f", f=str(finding)))
        if self.drift and not self.show_drift:
            lines.append(
                Content.from_markup("[$warning]≠[/] the output differs from the lesson's: [b]d[/]")
            )
        if lines:
            lines.insert(0, Content.from_markup("[b]What to try[/]"))
        return lines

    def _actions(self) -> Content:
        n = self.step.index
        run = "▶ Run it for me" if self.state in ("not run", "running") else "▶ Run again"
        parts = [f"[@click=screen.run_step({n})][b $accent]{run}[/][/] [dim](Enter)[/]"]
        if self.step.hints and not (self.failed and self.result is not None):
            label = "hide hint" if self.show_hints else "hint"
            parts.append(f"[@click=screen.hints({n})]{label}[/] [dim](h)[/]")
        if self.drift:
            label = "hide diff" if self.show_drift else "output diff"
            parts.append(f"[@click=screen.drift({n})]{label}[/] [dim](d)[/]")
        text = "  ·  ".join(parts)
        if self.has_class("-current"):
            where = f"term{self.step.terminal}"
            text += f"\n[dim]or type it yourself in {where} — only steps lab runs are verified[/]"
        return Content.from_markup(text)

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Selected(self))
