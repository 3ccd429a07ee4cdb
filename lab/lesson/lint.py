"""Whole-lesson checks on top of the parser: captures used before they are made, duplicate names."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lab.lesson.hazards import FIX, lesson_hazards
from lab.lesson.model import Diagnostic, Lesson
from lab.lesson.needs import sandboxed

_VAR = r"\$(?:\{%s\}|%s\b)"


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
    out.extend(_hazards(lesson))
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


def _hazards(lesson: Lesson) -> Iterator[Diagnostic]:
    """Commands that would act beyond the lesson's own objects on a learner's engine (a
    sandboxed lesson runs them on a throw-away engine: nothing to say)."""
    if sandboxed(lesson):
        return
    for hazard in lesson_hazards(lesson):
        yield Diagnostic(
            hazard.path,
            hazard.line,
            "warning",
            f"`{hazard.text}` {hazard.what} (harmless on a sandbox node, not on your own engine)",
            FIX,
        )
