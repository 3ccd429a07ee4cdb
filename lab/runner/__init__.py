"""Running lessons headless: the runner, its events and results."""

from lab.runner.events import (
    CheckFinished,
    CheckResult,
    LessonFinished,
    LessonStarted,
    RunEvent,
    StepFinished,
    StepOutput,
    StepResult,
    StepStarted,
)
from lab.runner.runner import LessonRunner, RunOptions

__all__ = [
    "CheckFinished",
    "CheckResult",
    "LessonFinished",
    "LessonRunner",
    "LessonStarted",
    "RunEvent",
    "RunOptions",
    "StepFinished",
    "StepOutput",
    "StepResult",
    "StepStarted",
]
