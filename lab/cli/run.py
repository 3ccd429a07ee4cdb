"""`lab run`: load lessons, check the environment, then run them (lab.cli.runall).

This module stays light: the preflight asks the engine its questions while the modules that
run lessons (asyncio, the runner, the renderer) are imported, so that a run starts sooner.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

from lab.cli import startup
from lab.errors import EnvironmentNotReady, ExitStatus, LessonError, UsageError
from lab.hoststate.doctor import diagnose
from lab.lesson.load import find_lessons, load_lesson
from lab.lesson.model import Lesson
from lab.lesson.needs import lesson_needs, sandboxed


def node_settings(args: argparse.Namespace) -> None:
    """`--node-image` and `--mirror` become LAB_NODE_IMAGE and LAB_NODE_MIRROR, which the
    sandbox reads (also in the lab processes a run starts)."""
    if getattr(args, "node_image", None):
        os.environ["LAB_NODE_IMAGE"] = args.node_image
    if getattr(args, "mirror", None):
        os.environ["LAB_NODE_MIRROR"] = args.mirror


def load_all(paths: list[str]) -> list[Lesson]:
    """Every lesson under paths, parsed and analysed (reading-only ones too); all their
    errors reported at once."""
    files = find_lessons(paths)
    lessons: list[Lesson] = []
    problems: list[LessonError] = []
    for path in files:
        try:
            lessons.append(load_lesson(path))
        except LessonError as exc:
            problems.append(exc)
    if problems:
        raise LessonError(
            "cannot run: the lesson has errors\n" + "\n".join(map(str, problems)),
            "fix them (`lab lint` lists every one), then run again",
        ) from ExceptionGroup("lesson errors", problems)  # each with its place, for annotations
    return lessons


def nothing_to_run(lesson: Lesson) -> str:
    """The line `lab run` prints for a lesson with no steps."""
    quizzes = len(lesson.quizzes)
    extra = (
        f"; {quizzes} quiz{'zes' if quizzes != 1 else ''} to answer in `lab open`"
        if quizzes
        else ""
    )
    return f"▶ {lesson.title}  ({lesson.path}): nothing to run, a reading-only lesson{extra}"


def preflight(
    lessons: list[Lesson],
    *,
    sandbox: bool | None = None,
    node_image: str | None = None,
    allow_engine_wide: bool = False,
) -> None:
    """What the run needs before it starts (bash; for Docker lessons, `lab doctor`'s checks;
    for sandboxed ones, what nodes need)."""
    if shutil.which("bash") is None:
        raise EnvironmentNotReady("bash is not installed", "install bash, then run again")
    boxed = [sandboxed(lesson, sandbox) for lesson in lessons]
    if not any(boxed) and not any(lesson_needs(lesson).uses_docker for lesson in lessons):
        return
    diagnosis = diagnose(
        lessons, sandboxed=boxed, node_image=node_image, allow_engine_wide=allow_engine_wide
    )
    for finding in diagnosis.findings:
        if finding.at_risk:
            sys.stderr.write(f"lab: warning: {finding.message}\n")
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


def run_command(args: argparse.Namespace) -> int:
    """Run lessons as `lab run` does; returns the exit status."""
    lessons = []
    for lesson in load_all(args.paths):
        if lesson.reading_only:
            sys.stdout.write(nothing_to_run(lesson) + "\n")
        else:
            lessons.append(lesson)
    if not lessons:
        return ExitStatus.OK
    sandbox: bool | None = True if getattr(args, "sandbox", False) else None
    node_image: str | None = getattr(args, "node_image", None)
    jobs: int = getattr(args, "jobs", 1) or 1
    check_jobs(lessons, jobs, sandbox)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the engine answers while we import
        checked = pool.submit(
            preflight,
            lessons,
            sandbox=sandbox,
            node_image=node_image,
            allow_engine_wide=getattr(args, "allow_engine_wide_changes", False),
        )
        from lab.cli import runall

        checked.result()
    startup.started()
    return runall.run_lessons(lessons, args, sandbox=sandbox, node_image=node_image, jobs=jobs)
