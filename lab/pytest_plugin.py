"""pytest plugin: collects lesson files as test items, one per step, sharing the lesson's shells.

Lesson files are collected only when named on the command line (`pytest lessons/`,
`pytest lessons/part1.md`) or with `--lab`, so a project's own Markdown (READMEs, test
fixtures) is never run by a plain `pytest`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.errors import LessonError
from lab.lesson.load import LESSON_SUFFIXES, load_lesson
from lab.lesson.model import Lesson, Step
from lab.runner import LessonRunner, RunOptions, StepResult


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--lab` collects lessons from every collected directory; `--lab-timeout` sets the default."""
    group = parser.getgroup("lab", "lab lessons")
    group.addoption(
        "--lab",
        action="store_true",
        default=False,
        help="collect *.md lesson files with .termN steps everywhere pytest looks",
    )
    group.addoption("--lab-timeout", type=float, default=None, help="default step timeout (s)")
    group.addoption(
        "--lab-strict-output", action="store_true", default=False, help="output drift fails a step"
    )


def _named_on_command_line(config: pytest.Config, path: Path) -> bool:
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return False
    for arg in config.args:
        target = Path(arg.split("::", 1)[0]).resolve()
        if path == target or target in path.parents:
            return True
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> LessonFile | None:
    """Collect lesson files that hold runnable steps."""
    if file_path.suffix.lower() not in LESSON_SUFFIXES:
        return None
    config = parent.config
    if not (config.getoption("--lab") or _named_on_command_line(config, file_path.resolve())):
        return None
    try:
        head = file_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "```.term" not in head and "~~~.term" not in head:
        return None
    collected: LessonFile = LessonFile.from_parent(parent, path=file_path)
    return collected


class LessonFile(pytest.File):
    """A lesson: its steps become items that run in order in shared shells."""

    lesson: Lesson | None = None
    runner: LessonRunner | None = None
    loop: asyncio.AbstractEventLoop | None = None
    failed: bool = False

    def collect(self) -> Iterator[pytest.Item]:
        try:
            self.lesson = load_lesson(self.path)
        except LessonError as exc:
            yield LessonErrorItem.from_parent(self, name="lint", error=exc)
            return
        for step in self.lesson.steps:
            name = f"step{step.index + 1}-line{step.line}"
            if step.name:
                name += f"-{step.name}"
            yield StepItem.from_parent(self, name=name, step=step)

    def setup(self) -> None:
        if self.lesson is None:
            return  # the lesson could not be parsed: its one item reports why
        config = self.config
        options = RunOptions(
            timeout=config.getoption("--lab-timeout"),
            strict_output=config.getoption("--lab-strict-output"),
        )
        self.loop = asyncio.new_event_loop()
        self.runner = LessonRunner(self.lesson, options)
        self.runner.start()

    def teardown(self) -> None:
        if self.runner is not None and self.loop is not None:
            self.loop.run_until_complete(self.runner.finish())
            self.loop.close()
        self.runner = None
        self.loop = None


class StepFailed(Exception):
    """A lesson step or one of its checks failed."""


class StepItem(pytest.Item):
    """One step of a lesson, with its checks."""

    def __init__(self, *, step: Step, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.add_marker(pytest.mark.lab)

    @property
    def lesson_file(self) -> LessonFile:
        parent = self.parent
        assert isinstance(parent, LessonFile)
        return parent

    def runtest(self) -> None:
        owner = self.lesson_file
        if owner.failed:
            pytest.skip("an earlier step of this lesson failed")
        assert owner.runner is not None and owner.loop is not None
        result = owner.loop.run_until_complete(owner.runner.run_step(self.step))
        if not result.ok:
            owner.failed = True
            raise StepFailed(_describe(result))
        if result.drift:
            self.add_report_section("call", "drift", result.drift)

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str:
        if isinstance(excinfo.value, StepFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.step.line - 1, f"line {self.step.line}: {self.step.label}"


class LessonErrorItem(pytest.Item):
    """A lesson that cannot be parsed: one failing item with the file:line message."""

    def __init__(self, *, error: LessonError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise StepFailed(str(self.error))

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, (self.error.line or 1) - 1, "lesson error"


def _describe(result: StepResult) -> str:
    lines = [f"step {result.status}: {result.message}".rstrip(": ")]
    if result.output.strip():
        lines += ["output:", *("  " + x for x in result.output.rstrip().split("\n")[-20:])]
    for check in result.checks:
        if not check.passed:
            lines.append(f"check failed: {check.label}: {check.message}")
            lines += ["  " + x for x in check.output.rstrip().split("\n")[-10:] if x]
    return "\n".join(lines)


def pytest_configure(config: pytest.Config) -> None:
    """Register the `lab` marker that lesson steps carry."""
    config.addinivalue_line("markers", "lab: a step of a lab lesson")
