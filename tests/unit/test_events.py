"""Every consumer of run events handles every kind with one `match` ending in `assert_never`:
each takes one event of each kind, and a new kind of event fails `mypy --strict` in each of
them until it is handled there."""

from __future__ import annotations

import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from mypy import api as mypy_api

from lab.learner.session import LearnerSession
from lab.lesson.load import load_lesson
from lab.render.console import ConsoleRenderer
from lab.render.github import GitHubAnnotations
from lab.report.json_report import JSONReport
from lab.report.junit import JUnitReport
from lab.runner import RunEvent, StepFinished, StepResult
from tests.conftest import ROOT, fixture
from tests.events import one_of_each

CONSUMERS = {
    "lab/render/console.py",
    "lab/render/github.py",
    "lab/report/collect.py",
    "lab/learner/session.py",
    "lab/tui/screens/lesson.py",
}
"""The modules that handle run events (the TUI's own test: tests/tui/test_run_events.py)."""


@pytest.fixture
def events() -> list[RunEvent]:
    return one_of_each(load_lesson(fixture("run-pass.md")))


@pytest.mark.parametrize("tty", [False, True])
def test_the_console_renders_every_kind(events: list[RunEvent], tty: bool) -> None:
    out = io.StringIO()
    renderer = ConsoleRenderer(out, tty=tty)
    for event in events:
        renderer.handle(event)
    text = out.getvalue()
    assert "▶ Everything passes" in text
    assert "sandbox: node1 10.0.0.2; docker:dind, caps mode; ready in 1.5s" in text
    assert "check line 12: greeting written" in text
    assert "PASSED: 1 passed (1/2 steps ran) in 2.0s" in text


def test_github_annotations_come_from_finished_steps(events: list[RunEvent]) -> None:
    out = io.StringIO()
    annotations = GitHubAnnotations(out)
    for event in events:
        annotations.handle(event)
    assert out.getvalue() == "", "the step passed: nothing to annotate"
    lesson, finished = events[0].lesson, events[5]
    assert isinstance(finished, StepFinished)
    failed = StepResult("failed", 2, "ls: no such file\n", 0.1, message="exited with status 2")
    annotations.handle(StepFinished(lesson, finished.step, failed))
    assert out.getvalue() == (
        f"::error file={lesson.path},line=7,title=lab run%3A step 1 failed%3A mkdir -p data "
        "&& echo hello > data/greeting::exited with status 2%0Als: no such file\n"
    )


def test_the_reports_keep_each_lesson_from_its_last_event(
    events: list[RunEvent], tmp_path: Path
) -> None:
    junit = JUnitReport(tmp_path / "r.xml")
    report = JSONReport(tmp_path / "r.json")
    for event in events:
        junit.handle(event)
        report.handle(event)
    assert junit.runs == report.runs == [events[-1]]
    junit.write()
    report.write()
    root = ET.parse(tmp_path / "r.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "0")  # the step and its check
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["passed"] and data["lessons"][0]["steps"][0]["checks"][0]["line"] == 12


def test_the_learner_saves_a_verified_step_before_passing_each_event_on(
    events: list[RunEvent],
) -> None:
    learner = LearnerSession(events[0].lesson)
    step = learner.lesson.steps[0]
    seen: list[tuple[RunEvent, bool]] = []
    learner.add_listener(lambda event: seen.append((event, learner.verified(step))))
    for event in events:
        learner.handle(event)
    assert [event for event, _ in seen] == events
    assert [verified for _, verified in seen] == [False] * 5 + [True] * 2  # from StepFinished
    assert LearnerSession(learner.lesson).verified(step), "saved"


def test_every_consumer_matches_with_assert_never() -> None:
    found = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "lab").rglob("*.py")
        if re.search(r"case _:\n +assert_never\(event\)\n", path.read_text(encoding="utf-8"))
    }
    assert found == CONSUMERS


NEW_KIND = '''

@dataclass(frozen=True)
class LessonPaused:
    """A kind of event no consumer handles yet."""

    lesson: Lesson
'''


def test_a_new_kind_of_event_fails_type_checking_in_every_consumer(tmp_path: Path) -> None:
    """mypy --strict, as `make typecheck` runs it, with lab/runner/events.py read from a copy
    whose RunEvent has one more kind: an error at the `assert_never` of each consumer, and
    nowhere else."""
    events = ROOT / "lab" / "runner" / "events.py"
    source = events.read_text(encoding="utf-8")
    alias, union = "\n\nRunEvent: TypeAlias = (", "    | LessonFinished\n)"
    assert alias in source and union in source, "RunEvent changed shape: update this test"
    source = source.replace(alias, NEW_KIND + alias).replace(union, "    | LessonPaused\n" + union)
    changed = tmp_path / "events.py"
    changed.write_text(source, encoding="utf-8")
    cache = tmp_path / "mypy-cache"
    if (ROOT / ".mypy_cache").is_dir():  # a head start: only what depends on events is redone
        shutil.copytree(ROOT / ".mypy_cache", cache)
    stdout, stderr, status = mypy_api.run(
        [
            "--config-file", str(ROOT / "pyproject.toml"),
            "--cache-dir", str(cache),
            "--shadow-file", str(events), str(changed),
            "--no-error-summary",
            "--hide-error-context",
            str(ROOT / "lab"),
        ]
    )  # fmt: skip
    assert status == 1, stdout + stderr
    errors = re.findall(r"^(\S+?):\d+: error: (.*)$", stdout, re.MULTILINE)
    assert len(errors) == len(stdout.strip().splitlines()), stdout
    where = {str(Path(path).resolve().relative_to(ROOT)) for path, _ in errors}
    assert where == CONSUMERS, stdout
    for _, message in errors:
        assert message.startswith('Argument 1 to "assert_never" has incompatible type'), stdout
        assert "LessonPaused" in message, stdout
