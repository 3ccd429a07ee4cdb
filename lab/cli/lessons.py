"""`lab lint`, `lab steps`, `lab list`: reading lessons without running them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lab.cli.output import out as _out
from lab.cli.output import workspace
from lab.errors import ExitStatus


def cmd_lint(args: argparse.Namespace) -> int:
    """`lab lint PATH...`."""
    from lab.lesson.load import find_lessons, lint_file

    files = find_lessons(args.paths)
    github = args.format == "github"
    if github:
        from lab.render.github import diagnostic_annotation
    errors = warnings = 0
    for path in files:
        _, diags = lint_file(path)
        for diag in diags:
            _out(sys.stdout, str(diag))
            if github:
                _out(sys.stdout, str(diagnostic_annotation(diag, workspace())))
        errors += sum(d.severity == "error" for d in diags)
        warnings += sum(d.severity == "warning" for d in diags)
    noun = "file" if len(files) == 1 else "files"
    _out(sys.stderr, f"{len(files)} {noun} checked: {errors} error(s), {warnings} warning(s)")
    return ExitStatus.FAILED if errors else ExitStatus.OK


def cmd_steps(args: argparse.Namespace) -> int:
    """`lab steps PATH [--json]`."""
    from lab.lesson.load import load_lesson
    from lab.lesson.plan import lesson_plan, plan_lines

    lessons = [load_lesson(p) for p in args.paths]
    if args.json:
        plans = [lesson_plan(lesson) for lesson in lessons]
        json.dump(plans[0] if len(plans) == 1 else plans, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for lesson in lessons:
            for text in plan_lines(lesson):
                _out(sys.stdout, text)
    return ExitStatus.OK


def cmd_list(args: argparse.Namespace) -> int:
    """`lab list [PATH...]`: the course in order."""
    from lab.lesson.course import course

    entries = course([Path(p) for p in args.paths] if args.paths else None)
    if not entries:
        _out(sys.stdout, "no lessons found")
        return ExitStatus.OK
    width = max((len(e.lesson.title) for e in entries if e.lesson), default=20)
    for n, entry in enumerate(entries, 1):
        if entry.lesson is None:
            _out(sys.stdout, f"{n:>2}. {entry.path}  (cannot be read: {entry.error})")
            continue
        minutes = entry.lesson.front_matter.lab.estimate
        estimate = f"~{minutes} min" if minutes else "     "
        steps = len(entry.lesson.steps)
        _out(
            sys.stdout,
            f"{n:>2}. {entry.lesson.title:<{width}} {estimate:>8}  {steps:>2} steps  {entry.path}",
        )
    return ExitStatus.OK
