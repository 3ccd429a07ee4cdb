"""Running lessons for `lab run`: one after the other (or side by side in sandboxes), rendered
as they go; then the summary, the reports and the exit status."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from lab.errors import ExitStatus
from lab.lesson.model import Lesson
from lab.render.console import ConsoleRenderer
from lab.runner import (
    EventConsumer,
    EventHandler,
    LessonFinished,
    LessonRunner,
    RunEvent,
    RunOptions,
    StepOutput,
    StepStarted,
)


def run_lessons(
    lessons: list[Lesson],
    args: argparse.Namespace,
    *,
    sandbox: bool | None,
    node_image: str | None,
    jobs: int,
) -> int:
    """Run checked lessons as `lab run` options say; returns the exit status."""
    options = RunOptions(
        timeout=args.timeout,
        fail_fast=args.fail_fast,
        strict_output=args.strict_output,
        keep_workspace=args.keep_workspace,
        infer=not args.no_infer,
        cleanup=not args.keep,
        sandbox=sandbox,
        node_image=node_image,
    )
    renderer = ConsoleRenderer(sys.stdout, tty=sys.stdout.isatty())
    consumers: list[EventConsumer] = [renderer]
    if getattr(args, "format", "plain") == "github":
        from lab.render.github import GitHubAnnotations

        consumers.append(GitHubAnnotations(sys.stdout, os.environ.get("GITHUB_WORKSPACE")))
    reports = _reports(args)
    consumers += reports
    started = time.monotonic()
    runs, interrupted = asyncio.run(_run_lessons(lessons, options, consumers, jobs))
    renderer.summary(runs, time.monotonic() - started)
    for report in reports:
        report.write()
    renderer.reports([(report.kind, report.path) for report in reports])
    if interrupted:
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK if runs and all(r.passed for r in runs) else ExitStatus.FAILED


class Report(EventConsumer, Protocol):
    """A report file of the run: it takes the events, then is written once at the end."""

    kind: str
    """What it is, for the line that says where it was written (`JUnit`, `JSON`)."""
    path: Path
    """Where it is written."""

    def write(self) -> None:
        """Write the file."""


def _reports(args: argparse.Namespace) -> list[Report]:
    """The reports `--junit` and `--json` ask for."""
    reports: list[Report] = []
    if args.junit:
        from lab.report.junit import JUnitReport

        reports.append(JUnitReport(Path(args.junit)))
    if args.json:
        from lab.report.json_report import JSONReport

        reports.append(JSONReport(Path(args.json)))
    return reports


async def _run_lessons(
    lessons: list[Lesson], options: RunOptions, consumers: Sequence[EventConsumer], jobs: int = 1
) -> tuple[list[LessonFinished], bool]:
    """Run the lessons (up to `jobs` at a time, each in its own nodes); Ctrl-C (or SIGTERM)
    stops them all, and each still cleans up. Each consumer gets the lessons' events in the
    order the lessons were given: live one after the other, or once a lesson is over when
    they run side by side (then without StepStarted and StepOutput, which are live news)."""

    def to_all(event: RunEvent) -> None:
        for consumer in consumers:
            consumer.handle(event)

    interrupted = False
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[LessonFinished]] = set()
    gate = asyncio.Semaphore(jobs)
    failed = False

    def on_signal() -> None:
        nonlocal interrupted
        interrupted = True
        for task in running:
            task.cancel()

    async def one(lesson: Lesson, handle: EventHandler) -> LessonFinished | None:
        async with gate:
            if interrupted or (options.fail_fast and failed):
                return None
            task = asyncio.create_task(_consume(LessonRunner(lesson, options), handle))
            running.add(task)
            try:
                return await task
            finally:
                running.discard(task)

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    runs: list[LessonFinished] = []
    try:
        if jobs == 1:  # live output, one lesson after the other
            for lesson in lessons:
                finished = await one(lesson, to_all)
                if finished is None:
                    break
                runs.append(finished)
                failed = failed or not finished.passed
        else:  # side by side; each lesson's events are handed on once it is over, in order
            buffers: list[list[RunEvent]] = [[] for _ in lessons]
            tasks = [
                asyncio.create_task(one(lesson, buffer.append))
                for lesson, buffer in zip(lessons, buffers, strict=True)
            ]
            for task, buffer in zip(tasks, buffers, strict=True):
                finished = await task
                for event in buffer:
                    if not isinstance(event, StepStarted | StepOutput):
                        to_all(event)
                if finished is not None:
                    runs.append(finished)
                    failed = failed or not finished.passed
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return runs, interrupted


async def _consume(runner: LessonRunner, handle: EventHandler) -> LessonFinished:
    started = time.monotonic()
    try:
        async for event in runner.events():
            handle(event)
            if isinstance(event, LessonFinished):
                return event
    except asyncio.CancelledError:
        pass
    finished = runner.finished or LessonFinished(
        runner.lesson, tuple(runner.results), time.monotonic() - started, interrupted=True
    )
    handle(finished)
    return finished
