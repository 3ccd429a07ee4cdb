"""`lab run`: load lessons, check the environment, run them, render, write reports, exit."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
import time
from pathlib import Path

from lab.doctor import diagnose, lesson_needs
from lab.errors import EnvironmentNotReady, LessonError, UsageError
from lab.lint import lesson_files, load_lesson
from lab.model import Lesson
from lab.render.console import ConsoleRenderer
from lab.report.json_report import write_json
from lab.report.junit import write_junit
from lab.runner import LessonFinished, LessonRunner, RunOptions
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


def preflight(lessons: list[Lesson]) -> None:
    """What the run needs before it starts (bash; for Docker lessons, `lab doctor`'s checks)."""
    if shutil.which("bash") is None:
        raise EnvironmentNotReady("bash is not installed", "install bash, then run again")
    if not any(lesson_needs(lesson).uses_docker for lesson in lessons):
        return
    diagnosis = diagnose(lessons)
    if not diagnosis.ready:
        failed = [f for f in diagnosis.findings if f.level == "fail"]
        lines = [f"  ✗ {f.message}" + (f"\n    hint: {f.hint}" if f.hint else "") for f in failed]
        raise EnvironmentNotReady(
            "the environment cannot run the lesson:\n" + "\n".join(lines),
            "fix the above, then run again (`lab doctor LESSON` checks without running)",
        )


async def _run_lessons(
    lessons: list[Lesson], options: RunOptions, renderer: ConsoleRenderer
) -> tuple[list[LessonFinished], bool]:
    runs: list[LessonFinished] = []
    interrupted = False
    loop = asyncio.get_running_loop()
    current: asyncio.Task[LessonFinished] | None = None

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        if current is not None:
            current.cancel()

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        for lesson in lessons:
            if interrupted or (options.fail_fast and runs and not runs[-1].passed):
                break
            runner = LessonRunner(lesson, options)
            current = asyncio.create_task(_consume(runner, renderer))
            runs.append(await current)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    return runs, interrupted


async def _consume(runner: LessonRunner, renderer: ConsoleRenderer) -> LessonFinished:
    started = time.monotonic()
    try:
        async for event in runner.events():
            renderer.handle(event)
            if isinstance(event, LessonFinished):
                return event
    except asyncio.CancelledError:
        pass
    finished = LessonFinished(
        runner.lesson, tuple(runner.results), time.monotonic() - started, interrupted=True
    )
    renderer.handle(finished)
    return finished


def run_command(args: argparse.Namespace) -> int:
    """Run lessons as `lab run` does; returns the exit status."""
    lessons = load_all(args.paths)
    preflight(lessons)
    options = RunOptions(
        timeout=args.timeout,
        fail_fast=args.fail_fast,
        strict_output=args.strict_output,
        keep_workspace=args.keep_workspace,
        infer=not args.no_infer,
        cleanup=not args.keep,
    )
    renderer = ConsoleRenderer(sys.stdout, tty=sys.stdout.isatty())
    started = time.monotonic()
    runs, interrupted = asyncio.run(_run_lessons(lessons, options, renderer))
    renderer.summary(runs, time.monotonic() - started)
    if args.junit:
        write_junit(runs, Path(args.junit))
    if args.json:
        write_json(runs, Path(args.json))
    if interrupted:
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK if runs and all(r.passed for r in runs) else ExitStatus.FAILED
