"""One run event of each kind, for the tests of their consumers."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from lab.lesson.model import Lesson
from lab.runner import (
    CheckFinished,
    CheckResult,
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


def one_of_each(lesson: Lesson) -> list[RunEvent]:
    """A run of `lesson`'s first step, passed with one check: one event of every kind in
    `RunEvent`, in the order a run yields them (fails when a kind has no example here)."""
    step = lesson.steps[0]
    check = CheckResult("greeting written", passed=True, duration=0.01, line=12)
    result = StepResult("passed", 0, "hello\n", 0.25, checks=(check,))
    node = SandboxNode(1, "node1", "10.0.0.2", "lab-node-1")
    events: list[RunEvent] = [
        LessonStarted(lesson, Path("/tmp/workspace")),
        SandboxReady(lesson, (node,), "docker:dind", "caps mode", 1.5),
        StepStarted(lesson, step),
        StepOutput(lesson, step, "hello\n"),
        CheckFinished(lesson, step, check),
        StepFinished(lesson, step, result),
        LessonFinished(lesson, ((step, result),), 2.0),
    ]
    kinds = {type(event) for event in events}
    assert kinds == set(get_args(RunEvent)), f"no example of {set(get_args(RunEvent)) - kinds}"
    return events
