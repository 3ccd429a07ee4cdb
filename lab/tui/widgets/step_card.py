"""`StepCard`: one runnable step, its state (ready, running, passed, failed) and its checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from lab.lesson.model import Step

if TYPE_CHECKING:
    from lab.runner import CheckResult, StepResult

STATUS: dict[str, tuple[str, str]] = {
    "ready": ("○", "not run yet"),
    "running": ("◐", "running…"),
    "passed": ("✓", "passed"),
    "verified": ("✓", "verified earlier"),
    "failed": ("✗", "failed"),
    "timeout": ("✗", "timed out"),
    "error": ("✗", "could not run"),
    "skipped": ("-", "skipped"),
}
"""State -> (mark, words) shown in the card's bottom border."""
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
    lines = [Content.from_markup("[dim]output drift (advisory): - expected, + got[/]")]
    for line in diff.splitlines():
        style = "$success" if line.startswith("+") else "$error" if line.startswith("-") else "dim"
        if line.startswith(("+++", "---", "@@")):
            style = "dim"
        lines.append(Content.from_markup(f"[{style}]$line[/]", line=line))
    return Content("\n").join(lines)


class StepCard(Static):
    """A step of the lesson: its commands, how it ran, its checks; hints and the output
    drift on request. A click selects it; its ▶ link (or Enter) runs it."""

    DEFAULT_CSS = """
    StepCard {
        height: auto;
        margin: 0 1 1 1;
        padding: 0 1;
        border: round $foreground 30%;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        &.-current { border: round $accent; border-title-color: $accent; }
        &.-running { border: round $warning; border-subtitle-color: $warning; }
        &.-passed, &.-verified { border: round $success 50%; border-subtitle-color: $success; }
        &.-passed.-current, &.-verified.-current { border: round $success; }
        &.-failed, &.-timeout, &.-error { border: round $error; border-subtitle-color: $error; }
    }
    """

    class Selected(Message):
        """The learner clicked a step."""

        def __init__(self, card: StepCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, step: Step, *, verified: bool = False) -> None:
        self.step = step
        self.state = "verified" if verified else "ready"
        self.result: StepResult | None = None
        self.show_hints = False
        self.show_drift = False
        self.live_checks: list[CheckResult] = []
        super().__init__(id=f"step-{step.index}", classes=f"-{self.state}")
        self.border_title = f"Step {step.index + 1} · term{step.terminal}"
        self.border_subtitle = self._subtitle()

    def on_mount(self) -> None:
        self.update(self._body())

    # -- state ------------------------------------------------------------------------

    def set_running(self) -> None:
        """The step was sent to its terminal."""
        self.result = None
        self.show_drift = False
        self.live_checks.clear()
        self._set_state("running")

    def set_result(self, result: StepResult) -> None:
        """The step and its checks ended."""
        self.result = result
        self._set_state(result.status if result.status != "passed" or result.ok else "failed")

    def add_check(self, check: CheckResult) -> None:
        """A check finished while the step runs."""
        self.live_checks.append(check)
        self.update(self._body())

    def set_current(self, current: bool) -> None:
        """Highlight the step the learner is at (its card says it may be typed instead)."""
        if current != self.has_class("-current"):
            self.set_class(current, "-current")
            self.update(self._body())

    def toggle_hints(self) -> None:
        """Show or hide the step's hints."""
        self.show_hints = not self.show_hints and bool(self.step.hints)
        self.update(self._body())

    def toggle_drift(self) -> None:
        """Show or hide the diff between the lesson's expected output and the real one."""
        has_drift = self.result is not None and bool(self.result.drift)
        self.show_drift = not self.show_drift and has_drift
        self.update(self._body())

    def _set_state(self, state: str) -> None:
        self.remove_class(f"-{self.state}")
        self.state = state
        self.add_class(f"-{state}")
        self.border_subtitle = self._subtitle()
        self.update(self._body())

    # -- rendering ----------------------------------------------------------------------

    def _subtitle(self) -> str:
        mark, words = STATUS[self.state]
        if self.result is not None and self.state != "running":
            words += f" · {duration_text(self.result.duration)}"
        return f"{mark} {words}"

    def _body(self) -> Content:
        parts = [Content.from_markup("[b]$c[/]", c=self.step.command.rstrip("\n"))]
        result = self.result
        if result is not None:
            if result.message:
                style = "$success" if result.ok else "$error"
                parts.append(Content.from_markup(f"[{style}]$m[/]", m=result.message))
            if result.status != "passed" and result.output.strip():
                tail = result.output.rstrip().splitlines()[-OUTPUT_LINES:]
                parts.append(Content.from_markup("[dim]$out[/]", out="\n".join(tail)))
        checks = result.checks if result is not None else tuple(self.live_checks)
        parts.extend(check_line(c) for c in checks)
        if self.show_hints:
            for hint in self.step.hints:
                parts.append(Content.from_markup("[$warning]💡 $h[/]", h=hint))
        if self.show_drift and result is not None and result.drift:
            parts.append(drift_text(result.drift))
        parts.append(Content(""))
        parts.append(self._actions())
        return Content("\n").join(parts)

    def _actions(self) -> Content:
        n = self.step.index
        run = "▶ Run it for me" if self.state in ("ready", "running") else "▶ Run again"
        parts = [f"[@click=screen.run_step({n})][b $accent]{run}[/][/] [dim](Enter)[/]"]
        if self.step.hints:
            label = "hide hint" if self.show_hints else "hint"
            parts.append(f"[@click=screen.hints({n})]{label}[/] [dim](h)[/]")
        if self.result is not None and self.result.drift:
            label = "hide drift" if self.show_drift else "output drift"
            parts.append(f"[@click=screen.drift({n})]{label}[/] [dim](d)[/]")
        text = "  ·  ".join(parts)
        if self.has_class("-current"):
            where = f"term{self.step.terminal}"
            text += f"\n[dim]or type it yourself in {where} — only steps lab runs are verified[/]"
        return Content.from_markup(text)

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Selected(self))
