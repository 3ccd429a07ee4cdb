"""Live run output for a terminal (spinner, colour) or a CI log (plain lines)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, assert_never

from lab.ansi import ANSI
from lab.runner.events import (
    CheckFinished,
    LessonFinished,
    LessonStarted,
    RunEvent,
    SandboxReady,
    StepFinished,
    StepOutput,
    StepResult,
    StepStarted,
)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""Control characters other than tab and newline: kept out of plain (CI log) lines."""
TAIL_LINES = 15
"""Lines of output shown under a failed step."""

SYMBOLS = {"passed": "✓", "failed": "✗", "timeout": "⏱", "skipped": "-", "error": "!"}
WORDS = {
    "passed": "ok",
    "failed": "FAIL",
    "timeout": "TIMEOUT",
    "skipped": "skip",
    "error": "ERROR",
}
if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.spinner import Spinner

STYLES = {"passed": "green", "failed": "red", "timeout": "red", "skipped": "dim", "error": "red"}


def _first(text: str, width: int = 70) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def _tail(text: str, count: int = TAIL_LINES) -> list[str]:
    lines = ANSI.sub("", text).rstrip("\n").split("\n")
    return [] if lines == [""] else lines[-count:]


class _Running:
    """A spinner line with the elapsed time of the running step."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        from rich.spinner import Spinner

        self.spinner = Spinner("dots", style="cyan")

    def __rich__(self) -> Spinner:
        from rich.text import Text

        elapsed = time.monotonic() - self.started
        self.spinner.update(text=Text(f" {self.label}  {elapsed:.0f}s", style="dim"))
        return self.spinner


class ConsoleRenderer:
    """Renders run events; `tty=False` gives plain lines with no control characters (and
    does not load rich: a CI log needs no styling, and `lab run` starts sooner). Other
    formats are consumers of their own beside it (GitHub annotations: lab.render.github)."""

    def __init__(self, stream: TextIO, *, tty: bool) -> None:
        self.tty = tty
        self.stream = stream
        self.console: Console | None = None
        if tty:
            from rich.console import Console

            self.console = Console(
                file=stream, force_terminal=True, highlight=False, soft_wrap=True
            )
        self._live: Live | None = None

    def handle(self, event: RunEvent) -> None:
        """Render one event."""
        match event:
            case LessonStarted(lesson=lesson):
                self._print(f"▶ {lesson.title}  ({lesson.path}, {len(lesson.steps)} steps)", "bold")
            case SandboxReady():
                self._sandbox(event)
            case StepStarted():
                self._running(event)
            case StepOutput():
                pass  # the output is shown under a step that failed, once it is finished
            case CheckFinished():
                pass  # shown with its step, once the step is finished
            case StepFinished():
                self._stop_live()
                self._step(event)
            case LessonFinished():
                self._stop_live()
                self._lesson_summary(event)
            case _:
                assert_never(event)

    def _running(self, event: StepStarted) -> None:
        """A spinner with the running step and its elapsed time (on a terminal only)."""
        if self.console is None:
            return
        from rich.live import Live

        label = f"{event.step.index + 1} {event.step.location}  {_first(event.step.label)}"
        self._live = Live(
            _Running(label), console=self.console, refresh_per_second=8, transient=True
        )
        self._live.start()

    def _sandbox(self, event: SandboxReady) -> None:
        if event.leftovers:
            self._print(
                "  removed leftovers of an earlier run whose lab died: "
                + ", ".join(event.leftovers),
                "dim",
            )
        nodes = ", ".join(f"{n.hostname} {n.address}" for n in event.nodes)
        self._print(
            f"  sandbox: {nodes}; {event.image}, {event.mode}; ready in {event.seconds:.1f}s",
            "dim",
        )

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _print(self, text: str, style: str = "") -> None:
        if self.console is None:
            self.stream.write(CONTROL.sub("", ANSI.sub("", text)) + "\n")
            return
        from rich.text import Text

        self.console.print(Text(text, style=style))

    def _mark(self, status: str) -> str:
        return SYMBOLS[status] if self.tty else WORDS[status].ljust(7)

    def _step(self, event: StepFinished) -> None:
        step, res = event.step, event.result
        status = res.status if res.ok or res.status != "passed" else "failed"
        timing = "" if res.status == "skipped" else f"  {res.duration:.2f}s"
        self._print(
            f"  {self._mark(status)} {step.index + 1:>2} {step.location:<9} "
            f"term{step.terminal}  {_first(step.label)}{timing}",
            STYLES[status],
        )
        if res.message:
            self._print(f"      {res.message}", "yellow" if res.status == "passed" else "red")
        if res.status in ("failed", "timeout", "error"):
            for line in _tail(res.output):
                self._print(f"      │ {line}", "dim")
        for check in res.checks:
            kind = "inferred" if check.inferred else "check"
            where = f" line {check.line}" if check.line else ""
            if check.check is not None and check.check.origin:
                where = f" {check.check.origin.rsplit('/', 1)[-1]}:{check.line}"
            state = "passed" if check.passed else "failed"
            self._print(
                f"      {self._mark(state)} {kind}{where}: {_first(check.label, 200)}",
                STYLES[state],
            )
            if not check.passed:
                if check.message:
                    self._print(f"          {check.message}", "red")
                for line in _tail(check.output, 8):
                    if line.strip() != check.message.strip():
                        self._print(f"          │ {line}", "dim")
        if res.drift:
            self._print("      ~ output differs from the expected output (advisory):", "yellow")
            for line in res.drift.split("\n")[2:]:
                self._print(f"          {line}", "yellow")

    def reports(self, written: Sequence[tuple[str, Path]]) -> None:
        """Where the run's reports were written (kind, path), after the summary."""
        for kind, path in written:
            self._print(f"{kind} report: {path}", "dim")

    def _lesson_summary(self, event: LessonFinished) -> None:
        counts = _counts([r for _, r in event.results])
        parts = [f"{n} {k}" for k, n in counts.items() if n]
        total = len(event.lesson.steps)
        ran = sum(1 for _, r in event.results if r.status != "skipped")
        prefix = "interrupted: " if event.interrupted else ""
        verdict = "PASSED" if event.passed else "FAILED"
        if event.cleanup is not None:
            self._cleanup(event)
        self._print(
            f"  {prefix}{verdict}: {', '.join(parts) or 'no steps'} "
            f"({ran}/{total} steps ran) in {event.duration:.1f}s",
            "bold green" if event.passed else "bold red",
        )

    def _cleanup(self, event: LessonFinished) -> None:
        report = event.cleanup
        assert report is not None
        done = [*report.removed, *(f"restored {p}" for p in report.restored)]
        if done:
            self._print(f"  cleaned up: {', '.join(done)}", "dim")
        for failure in report.failed:
            self._print(f"  ! not cleaned up: {failure}", "yellow")
        if report.left:
            self._print(
                f"  left alone (made during the run, not by the lesson): {', '.join(report.left)}",
                "dim",
            )
        if report.failed:
            self._print(f"    run `lab reset {event.lesson.path}` to try again", "yellow")

    def summary(self, runs: Sequence[LessonFinished], elapsed: float) -> None:
        """The closing line for the whole run."""
        lessons_ok = sum(r.passed for r in runs)
        results = [res for run in runs for _, res in run.results]
        counts = _counts(results)
        checks = [c for res in results for c in res.checks]
        checks_failed = sum(not c.passed for c in checks)
        self._print(
            f"\n{lessons_ok}/{len(runs)} lessons passed; steps: "
            + ", ".join(f"{n} {k}" for k, n in counts.items())
            + f"; checks: {len(checks) - checks_failed} passed, {checks_failed} failed"
            + f"; total time {elapsed:.1f}s",
            "bold",
        )


def _counts(results: Sequence[StepResult]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "timeout": 0, "error": 0, "skipped": 0}
    for res in results:
        key = res.status if (res.ok or res.status != "passed") else "failed"
        counts[key] += 1
    return counts
