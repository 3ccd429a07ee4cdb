"""Whole-lesson checks on top of the parser, and finding lesson files under a path."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from lab.errors import LessonError, UsageError
from lab.model import Diagnostic, Lesson
from lab.overlay import apply_overlay
from lab.parser import read_lesson

LESSON_SUFFIXES = (".md", ".markdown")
SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})
_VAR = r"\$(?:\{%s\}|%s\b)"


def lesson_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Each named file, and every *.md / *.markdown below each named directory, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in LESSON_SUFFIXES
                and p.is_file()
                and not SKIPPED_DIRS.intersection(p.relative_to(path).parts)
            )
            yield from found
        elif path.exists():
            yield path
        else:
            raise UsageError(
                f"{raw}: no such file or directory",
                "name lesson files or directories that hold them",
            )


def analyse(lesson: Lesson) -> list[Diagnostic]:
    """Diagnostics that need the whole lesson: terminals, quizzes, captures, names."""
    out: list[Diagnostic] = []
    path = str(lesson.path)
    terms = lesson.front_matter.terms
    for step in lesson.steps:
        if step.terminal > terms:
            out.append(
                Diagnostic(
                    step.origin or path,
                    step.line,
                    "warning",
                    f"step uses .term{step.terminal} but the lesson declares terms: {terms}",
                    f"set 'terms: {step.terminal}' in the front matter",
                )
            )
        for check in step.checks:
            if check.terminal is not None and check.terminal > terms:
                out.append(
                    Diagnostic(
                        check.origin or path,
                        check.line,
                        "warning",
                        f"check runs on terminal {check.terminal} but the lesson "
                        f"declares terms: {terms}",
                        f"set 'terms: {check.terminal}' in the front matter",
                    )
                )
    for quiz in lesson.quizzes:
        if quiz.kind != "open" and quiz.choices and not any(c.correct for c in quiz.choices):
            out.append(
                Diagnostic(
                    path,
                    quiz.line,
                    "warning",
                    "quiz has no correct answer",
                    "mark the right choice with (x) or [x]",
                )
            )
        if quiz.kind == "single" and sum(c.correct for c in quiz.choices) > 1:
            out.append(
                Diagnostic(
                    path,
                    quiz.line,
                    "warning",
                    "single-choice quiz marks several answers correct",
                    "use [ ] / [x] items when several answers are right",
                )
            )
    out.extend(_capture_use(lesson))
    out.extend(_duplicate_names(lesson))
    return out


def _capture_use(lesson: Lesson) -> Iterator[Diagnostic]:
    for i, step in enumerate(lesson.steps):
        later = [step.command for step in lesson.steps[i + 1 :]]
        later += [c.code for c in step.checks]
        later += [c.code for s in lesson.steps[i + 1 :] for c in s.checks]
        text = "\n".join(later)
        for cap in step.captures:
            name = re.escape(cap.name)
            if not re.search(_VAR % (name, name), text):
                yield Diagnostic(
                    step.origin or str(lesson.path),
                    step.line,
                    "warning",
                    f"capture {cap.name} is never used",
                    f"use it as ${cap.name} in a later step or check, or remove it",
                )


def _duplicate_names(lesson: Lesson) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {}
    for step in lesson.steps:
        if step.name is None:
            continue
        if step.name in seen:
            yield Diagnostic(
                step.origin or str(lesson.path),
                step.line,
                "error",
                f"step name '{step.name}' is already used at line {seen[step.name]}",
                "give each step a unique name",
            )
        else:
            seen[step.name] = step.line


def lint_file(path: str | Path) -> tuple[Lesson | None, list[Diagnostic]]:
    """Parse one file, apply its overlay (`LESSON.lab.yml`, if any) and return it with every
    diagnostic: the lesson's by line, then the overlay's."""
    try:
        lesson = read_lesson(path)
    except LessonError as exc:
        return None, [Diagnostic(str(path), exc.line or 1, "error", exc.message, exc.hint)]
    lesson, overlay = apply_overlay(lesson)
    diags = list(lesson.diagnostics) + overlay + analyse(lesson)
    diags.sort(key=lambda d: (d.path != str(path), d.line, d.severity != "error"))
    return lesson, diags


def load_lesson(path: str | Path) -> Lesson:
    """A lesson ready to run: parsed and analysed, or a LessonError for its first error."""
    lesson, diags = lint_file(path)
    errors = [d for d in diags if d.severity == "error"]
    if lesson is None or errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more: run `lab lint {path}`)" if len(errors) > 1 else ""
        raise LessonError(first.message + more, first.hint, path=first.path, line=first.line)
    return replace(lesson, diagnostics=tuple(diags))
