"""Running lessons for `lab run`: one after the other (or side by side in sandboxes), rendered
as they go; then the summary, the reports and the exit status."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lab.errors import ExitStatus
from lab.lesson.model import Lesson
from lab.render.console import ConsoleRenderer
from lab.runner import (
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
    renderer = ConsoleRenderer(
        sys.stdout,
        tty=sys.stdout.isatty(),
        github=getattr(args, "format", "plain") == "github",
        workspace=os.environ.get("GITHUB_WORKSPACE"),
    )
    started = time.monotonic()
    runs, interrupted = asyncio.run(_run_lessons(lessons, options, renderer, jobs))
    renderer.summary(runs, time.monotonic() - started)
    written: list[tuple[str, Path]] = []
    if args.junit:
        from lab.report.junit import write_junit

        write_junit(runs, Path(args.junit))
        written.append(("JUnit", Path(args.junit)))
    if args.json:
        from lab.report.json_report import write_json

        write_json(runs, Path(args.json))
        written.append(("JSON", Path(args.json)))
    renderer.reports(written)
    if interrupted:
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK if runs and all(r.passed for r in runs) else ExitStatus.FAILED


Handler = Callable[[RunEvent], None]


async def _run_lessons(
    lessons: list[Lesson], options: RunOptions, renderer: ConsoleRenderer, jobs: int = 1
) -> tuple[list[LessonFinished], bool]:
    """Run the lessons (up to `jobs` at a time, each in its own nodes); Ctrl-C (or SIGTERM)
    stops them all, and each still cleans up. Reports come in the order lessons were given."""
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

    async def one(lesson: Lesson, handle: Handler) -> LessonFinished | None:
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
                finished = await one(lesson, renderer.handle)
                if finished is None:
                    break
                runs.append(finished)
                failed = failed or not finished.passed
        else:  # side by side; each lesson's output is shown once it is over, in order
            buffers: list[list[RunEvent]] = [[] for _ in lessons]
            tasks = [
                asyncio.create_task(one(lesson, buffer.append))
                for lesson, buffer in zip(lessons, buffers, strict=True)
            ]
            for task, buffer in zip(tasks, buffers, strict=True):
                finished = await task
                for event in buffer:
                    if not isinstance(event, StepStarted | StepOutput):
                        renderer.handle(event)
                if finished is not None:
                    runs.append(finished)
                    failed = failed or not finished.passed
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return runs, interrupted


async def _consume(runner: LessonRunner, handle: Handler) -> LessonFinished:
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
