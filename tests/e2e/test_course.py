"""The bundled registry course: lint-clean, every part green on the real engine, nothing left."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lab.checks import connect
from lab.errors import ExitStatus
from lab.lesson.course import bundled_lessons_dir
from lab.lesson.parser import read_lesson
from tests.conftest import ROOT, run_lab
from tests.e2e.test_seed import engine_state

LESSONS = ROOT / "lessons"


def test_course_is_lint_clean() -> None:
    r = run_lab("lint", str(LESSONS))
    assert r.status == ExitStatus.OK, r.stdout
    assert r.stdout == ""
    assert "5 files checked: 0 error(s), 0 warning(s)" in r.stderr


def test_list_shows_the_course_in_order_with_estimates() -> None:
    r = run_lab("list")
    assert r.status == ExitStatus.OK
    lines = r.stdout.splitlines()
    for n, (part, minutes) in enumerate(
        [
            ("part 1: a local registry", 15),
            ("part 2: HTTPS", 20),
            ("part 3: basic", 20),
            ("part 4: a pull-through cache", 15),
            ("part 5: an engine that pulls", 15),
        ]
    ):
        assert part in lines[n] and f"~{minutes} min" in lines[n], lines[n]


def test_every_part_has_intro_quiz_hints_and_estimate() -> None:
    for path in sorted(LESSONS.glob("*.md")):
        lesson = read_lesson(path)
        headings = [h.title for h in lesson.headings]
        assert "What you will learn" in headings and "Before you start" in headings, path
        assert lesson.quizzes and lesson.front_matter.lab.estimate, path
        assert any(step.hints for step in lesson.steps), path
        assert any(step.checks for step in lesson.steps), path


def test_bundled_dir_is_the_course() -> None:
    assert bundled_lessons_dir().resolve() == LESSONS.resolve()


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_every_part_runs_green_with_every_written_check(tmp_path: Path) -> None:
    engine: Any = connect()
    before = engine_state(engine)
    report = tmp_path / "course.json"
    r = run_lab("run", str(LESSONS), "--json", str(report), "--junit", str(tmp_path / "c.xml"))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert "5/5 lessons passed" in r.stdout and "total time" in r.stdout
    data = json.loads(report.read_text())
    for lesson in data["lessons"]:
        written = sum(len(s.checks) for s in read_lesson(lesson["path"]).steps)
        ran = [c for s in lesson["steps"] for c in s["checks"] if not c["inferred"]]
        assert len(ran) == written, lesson["path"]  # none skipped
        assert all(c["passed"] for c in ran)
        assert all(s["status"] == "passed" for s in lesson["steps"])
    assert "lab-s3cret-pw" not in report.read_text() + r.stdout  # part 3's password
    assert engine_state(engine) == before  # each part left nothing behind


@pytest.mark.docker
@pytest.mark.timeout(300)
def test_cache_part_passes_when_the_engine_already_has_hello_world_under_another_name(
    tmp_path: Path,
) -> None:
    """A learner's engine may hold hello-world under names of its own (a tag from part 1 done
    by hand). Part 4 pulls an image built in the lesson, so the pull still goes through the
    cache and lands in its catalog; the learner's tag is untouched."""
    engine: Any = connect()
    had = bool(engine.images.list(name="hello-world"))
    image = engine.images.pull("hello-world", tag="latest")
    mine = f"lab-test-mine-{tmp_path.name[-6:].lower()}"
    image.tag(mine, "1")
    try:
        r = run_lab("run", str(LESSONS / "registry-4-cache.md"))
        assert r.status == ExitStatus.OK, r.stdout + r.stderr
        assert "ok      check line" in r.stdout and "cache's catalog" in r.stdout
        assert f"{mine}:1" in engine.images.get(image.id).tags
    finally:
        engine.images.remove(f"{mine}:1")
        if not had:
            engine.images.remove("hello-world:latest")
