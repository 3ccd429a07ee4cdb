"""The one loader of lessons: finding lesson files, parsing, applying overlays, analysing.

Every caller reads lessons through here (the course picker, `lab list`, `lab run`, `lab open`,
`lab steps`, `lab lint`, the pytest plugin), so all of them see the same steps, overlay steps
included.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from lab.errors import LessonError, UsageError
from lab.lesson.lint import analyse
from lab.lesson.model import Diagnostic, Lesson
from lab.lesson.overlay import SUFFIXES as OVERLAY_SUFFIXES
from lab.lesson.overlay import apply_overlay, overlaid_lesson
from lab.lesson.parser import read_lesson

LESSON_SUFFIXES = (".md", ".markdown")
SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})


def lesson_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Each named file, and every *.md / *.markdown below each named directory, sorted; a
    named lesson overlay (`LESSON.lab.yml`) stands for its lesson. No file comes twice."""
    seen: set[Path] = set()
    for path in _named_files(paths):
        if path not in seen:
            seen.add(path)
            yield path


def _named_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.name.endswith(OVERLAY_SUFFIXES) and path.is_file():
            lesson = overlaid_lesson(path)
            if lesson is None:
                stem = path.name[: path.name.rindex(".lab.")]
                raise UsageError(
                    f"{raw}: a lesson overlay, but there is no lesson {stem}.md beside it",
                    "an overlay LESSON.lab.yml goes next to its lesson LESSON.md "
                    "(see 'Lesson overlays' in docs/lesson-format.md)",
                )
            yield lesson
        elif path.is_dir():
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


def find_lessons(paths: Sequence[str]) -> list[Path]:
    """The lesson files under paths (as lesson_files), or a UsageError when there are none."""
    files = list(lesson_files(paths))
    if not files:
        raise UsageError(
            "no lesson files (*.md, *.markdown) under " + ", ".join(paths),
            "name a lesson file or a directory that holds some",
        )
    return files


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
