"""Running lessons headless: the runner, its events and results."""

from lab.runner.events import (
    CheckFinished,
    CheckResult,
    EventConsumer,
    EventHandler,
    LessonFinished,
    LessonStarted,
    RunEvent,
    SandboxNode,
    SandboxReady,
    StepFinished,
    StepOutput,
    StepResult,
    StepStarted,
)
from lab.runner.options import RunOptions
from lab.runner.runner import LessonRunner

__all__ = [
    "CheckFinished",
    "CheckResult",
    "EventConsumer",
    "EventHandler",
    "LessonFinished",
    "LessonRunner",
    "LessonStarted",
    "RunEvent",
    "RunOptions",
    "SandboxNode",
    "SandboxReady",
    "StepFinished",
    "StepOutput",
    "StepResult",
    "StepStarted",
]
