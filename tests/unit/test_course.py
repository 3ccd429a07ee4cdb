"""The course listing (picker, `lab list`) reads lessons through the one loader."""

from __future__ import annotations

import shutil
from pathlib import Path

from lab.lesson.course import bundled_lessons_dir, course
from lab.lesson.load import load_lesson
from lab.lesson.parser import read_lesson
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "lessons"


def test_the_picker_counts_overlay_steps(tmp_path: Path) -> None:
    for name in ("overlay-basic.md", "overlay-basic.lab.yml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    [entry] = course([tmp_path])
    assert entry.lesson is not None
    parsed = read_lesson(tmp_path / "overlay-basic.md")
    loaded = load_lesson(tmp_path / "overlay-basic.md")
    assert len(loaded.steps) > len(parsed.steps)  # the overlay adds steps
    assert len(entry.lesson.steps) == len(loaded.steps)


def test_a_lesson_that_cannot_load_is_listed_with_its_error(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "unterminated-fence.md", tmp_path / "broken.md")
    [entry] = course([tmp_path])
    assert entry.lesson is None
    assert entry.error is not None and "broken.md" in entry.error


def test_the_bundled_course_is_found_from_the_lesson_package() -> None:
    assert bundled_lessons_dir() == ROOT / "lessons"
    assert next(e.path.name for e in course()) == "registry-1-local.md"
