"""Finding the bundled course and listing lessons in course order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.errors import LessonError
from lab.lesson.load import lesson_files, load_lesson
from lab.lesson.model import Lesson


def bundled_lessons_dir() -> Path:
    """`lessons/` of a source checkout, else the copy installed inside the package."""
    package = Path(__file__).resolve().parents[1]  # lab/
    for candidate in (package.parent / "lessons", package / "_bundled_lessons"):
        if candidate.is_dir():
            return candidate
    return package.parent / "lessons"


@dataclass(frozen=True)
class CourseEntry:
    """One lesson of a course listing."""

    path: Path
    """The lesson file."""
    lesson: Lesson | None
    """The lesson as every command loads it (overlay steps included), None if it cannot be."""
    error: str | None = None
    """Why it could not be read."""

    @property
    def sort_key(self) -> tuple[int, str]:
        """Course order: `lab.order` first, then file name."""
        order = self.lesson.front_matter.lab.order if self.lesson else None
        return (order if order is not None else 10_000, self.path.name)


def course(paths: list[Path] | None = None) -> list[CourseEntry]:
    """The lessons under paths (default: the bundled course), in course order."""
    entries = []
    for path in lesson_files(paths or [bundled_lessons_dir()]):
        try:
            entries.append(CourseEntry(path, load_lesson(path)))
        except LessonError as exc:
            entries.append(CourseEntry(path, None, str(exc)))
    return sorted(entries, key=lambda e: e.sort_key)
