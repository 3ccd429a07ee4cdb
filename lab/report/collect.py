"""What a report keeps of a run's events: each lesson's LessonFinished (every result in it)."""

from __future__ import annotations

from pathlib import Path
from typing import assert_never

from lab.runner.events import (
    CheckFinished,
    LessonFinished,
    LessonStarted,
    RunEvent,
    SandboxReady,
    StepFinished,
    StepOutput,
    StepStarted,
)


class LessonsReport:
    """An event consumer that keeps each lesson's LessonFinished (it carries every step and
    check result) for a report written at the end; subclasses say what they write."""

    kind = "report"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runs: list[LessonFinished] = []

    def handle(self, event: RunEvent) -> None:
        """Take one event of the run."""
        match event:
            case LessonFinished():
                self.runs.append(event)
            case LessonStarted() | SandboxReady() | StepStarted() | StepOutput():
                pass  # nothing to report before the results
            case CheckFinished() | StepFinished():
                pass  # reported from LessonFinished, which has them all in step order
            case _:
                assert_never(event)

    def write(self) -> None:
        """Write the report of the lessons seen so far."""
        raise NotImplementedError
