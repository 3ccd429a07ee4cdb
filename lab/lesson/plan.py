"""The run plan of a lesson (`lab steps`): every step in order, as data and as text."""

from __future__ import annotations

from typing import Any

from lab.lesson.model import Lesson, Step


def step_plan(step: Step) -> dict[str, Any]:
    """One step as plain data (JSON-ready)."""
    return {
        "index": step.index + 1,
        "name": step.name,
        "terminal": step.terminal,
        "line": step.line,
        "origin": step.origin,
        "changed_by": step.changed_by,
        "section": list(step.section),
        "command": step.command,
        "timeout": step.timeout,
        "expect_exit": step.expect_exit,
        "background": step.background,
        "answers": [("******" if a.secret else a.text) for a in step.answers],
        "captures": [{"name": c.name, "pattern": c.pattern} for c in step.captures],
        "expected_output": step.expected_output is not None,
        "expected_output_line": step.expected_output.line if step.expected_output else None,
        "checks": [
            {
                "line": c.line,
                "origin": c.origin,
                "name": c.label,
                "terminal": c.terminal,
                "code": c.code,
            }
            for c in step.checks
        ],
        "hints": len(step.hints),
    }


def lesson_plan(lesson: Lesson) -> dict[str, Any]:
    """The whole lesson's plan as plain data."""
    return {
        "path": str(lesson.path),
        "title": lesson.title,
        "terms": lesson.front_matter.terms,
        "steps": [step_plan(s) for s in lesson.steps],
        "quizzes": len(lesson.quizzes),
        "app_links": [
            {"text": a.text, "terminal": a.terminal, "port": a.port, "line": a.line}
            for a in lesson.app_links
        ],
    }


def plan_lines(lesson: Lesson) -> list[str]:
    """The plan as human-readable lines."""
    if lesson.reading_only:
        quizzes = f", {_count(len(lesson.quizzes), 'quiz', 'quizzes')}" if lesson.quizzes else ""
        return [f"{lesson.path}: {lesson.title} (no steps: a reading-only lesson{quizzes})"]
    out = [f"{lesson.path}: {lesson.title} ({len(lesson.steps)} steps)"]
    section: tuple[str, ...] = ()
    for step in lesson.steps:
        if step.section != section and step.section:
            section = step.section
            out.append(f"  § {section[-1]}")
        lines = step.command.rstrip("\n").split("\n")
        flags = []
        if step.expected_output:
            flags.append(f"expected output @{step.expected_output.line}")
        if step.background:
            flags.append("background")
        if step.answers:
            flags.append(f"{len(step.answers)} answers")
        if step.expect_exit != 0:
            flags.append("exit " + ("any" if step.expect_exit is None else str(step.expect_exit)))
        if step.changed_by:
            flags.append("changed by " + step.changed_by.rsplit("/", 1)[-1])
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        name = f" {step.name}:" if step.name else ""
        out.append(f"  {step.index + 1:>3}. term{step.terminal} {step.location}{name}{suffix}")
        out.extend(f"         $ {text}" for text in lines)
        out.extend(f"         ✓ check ({_where(c.line, c.origin)}): {c.label}" for c in step.checks)
    return out


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _where(line: int, origin: str | None) -> str:
    return f"{origin.rsplit('/', 1)[-1]}:{line}" if origin else f"line {line}"
