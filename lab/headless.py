"""`lab run`: load lessons, check the environment, run them, render, write reports, exit."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lab.doctor import diagnose, lesson_needs
from lab.errors import EnvironmentNotReady, LessonError, UsageError
from lab.lint import lesson_files, load_lesson
from lab.model import Lesson
from lab.render.console import ConsoleRenderer
from lab.report.json_report import write_json
from lab.report.junit import write_junit
from lab.runner import (
    LessonFinished,
    LessonRunner,
    RunEvent,
    RunOptions,
    StepOutput,
    StepStarted,
)
from lab.status import ExitStatus


def load_all(paths: list[str]) -> list[Lesson]:
    """Every lesson under paths, parsed and analysed; all their errors reported at once."""
    files = list(lesson_files(paths))
    if not files:
        raise UsageError(
            "no lesson files (*.md, *.markdown) under " + ", ".join(paths),
            "name a lesson file or a directory that holds some",
        )
    lessons: list[Lesson] = []
    problems: list[str] = []
    for path in files:
        try:
            lesson = load_lesson(path)
        except LessonError as exc:
            problems.append(str(exc))
            continue
        if lesson.steps:
            lessons.append(lesson)
    if problems:
        raise LessonError(
            "cannot run: the lesson has errors\n" + "\n".join(problems),
            "fix them (`lab lint` lists every one), then run again",
        )
    if not lessons:
        raise UsageError("no runnable steps (.term1 ... .term6 fences) in " + ", ".join(paths))
    return lessons


def sandboxed(lesson: Lesson, option: bool | None) -> bool:
    """Whether a lesson runs in sandbox nodes: `--sandbox`, else its `lab: {sandbox: ...}`."""
    return option if option is not None else lesson.front_matter.lab.sandbox


def preflight(
    lessons: list[Lesson], *, sandbox: bool | None = None, node_image: str | None = None
) -> None:
    """What the run needs before it starts (bash; for Docker lessons, `lab doctor`'s checks;
    for sandboxed ones, what nodes need)."""
    if shutil.which("bash") is None:
        raise EnvironmentNotReady("bash is not installed", "install bash, then run again")
    boxed = [sandboxed(lesson, sandbox) for lesson in lessons]
    if not any(boxed) and not any(lesson_needs(lesson).uses_docker for lesson in lessons):
        return
    diagnosis = diagnose(lessons, sandboxed=boxed, node_image=node_image)
    if not diagnosis.ready:
        failed = [f for f in diagnosis.findings if f.level == "fail"]
        lines = [f"  ✗ {f.message}" + (f"\n    hint: {f.hint}" if f.hint else "") for f in failed]
        raise EnvironmentNotReady(
            "the environment cannot run the lesson:\n" + "\n".join(lines),
            "fix the above, then run again (`lab doctor LESSON` checks without running)",
        )


def check_jobs(lessons: list[Lesson], jobs: int, sandbox: bool | None) -> None:
    """`-j N` (N > 1) runs lessons side by side: only sandboxed lessons can (on this host they
    would share one engine, its ports and container names, and undo each other's objects)."""
    if jobs < 1:
        raise UsageError(f"-j must be 1 or more, not {jobs}", "e.g. -j 2")
    if jobs == 1 or len(lessons) < 2:
        return
    host = [str(lesson.path) for lesson in lessons if not sandboxed(lesson, sandbox)]
    if host:
        raise UsageError(
            f"-j {jobs} runs lessons side by side, which only sandboxed lessons can do: "
            + ", ".join(host)
            + " would run on this host",
            "add --sandbox (or `lab: {sandbox: true}` in the lesson), or run without -j",
        )


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


def run_command(args: argparse.Namespace) -> int:
    """Run lessons as `lab run` does; returns the exit status."""
    lessons = load_all(args.paths)
    sandbox: bool | None = True if getattr(args, "sandbox", False) else None
    node_image: str | None = getattr(args, "node_image", None)
    jobs: int = getattr(args, "jobs", 1) or 1
    check_jobs(lessons, jobs, sandbox)
    preflight(lessons, sandbox=sandbox, node_image=node_image)
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
    started = time.monotonic()
    runs, interrupted = asyncio.run(_run_lessons(lessons, options, renderer, jobs))
    renderer.summary(runs, time.monotonic() - started)
    if args.junit:
        write_junit(runs, Path(args.junit))
    if args.json:
        write_json(runs, Path(args.json))
    if interrupted:
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK if runs and all(r.passed for r in runs) else ExitStatus.FAILED
