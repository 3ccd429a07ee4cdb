"""Lesson overlays (`LESSON.lab.yml`): what they add and change, and how their errors read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.errors import LessonError
from lab.lesson.load import lint_file, load_lesson
from lab.lesson.model import Answer, Capture
from lab.lesson.overlay import overlay_path
from tests.conftest import fixture, run_lab

LESSON = """\
---
title: Overlay errors
---

```.term1
echo one
```

```.term1 name=two
echo two
```

```.term1
echo three; echo two
```
"""


def lesson_with(tmp_path: Path, overlay: str) -> Path:
    path = tmp_path / "lesson.md"
    path.write_text(LESSON)
    (tmp_path / "lesson.lab.yml").write_text(overlay)
    return path


def errors(path: Path) -> list[str]:
    _, diags = lint_file(path)
    return [str(d) for d in diags if d.severity == "error"]


def test_overlay_is_found_next_to_the_lesson(tmp_path: Path) -> None:
    assert overlay_path(fixture("overlay-basic.md")) == fixture("overlay-basic.lab.yml")
    assert overlay_path(fixture("basic-step.md")) is None
    path = lesson_with(tmp_path, "steps: []\n")
    (tmp_path / "lesson.lab.yml").rename(tmp_path / "lesson.lab.yaml")
    assert overlay_path(path) == tmp_path / "lesson.lab.yaml"


def test_overlay_adds_steps_captures_answers_checks_and_settings() -> None:
    lesson = load_lesson(fixture("overlay-basic.md"))
    origin = str(fixture("overlay-basic.lab.yml"))
    commands = [s.command.strip() for s in lesson.steps]
    assert commands == [
        'echo "token: abc123"',
        'echo "$TOKEN"',
        "echo hello world",
        "echo before",
        'read -p "Your name: " who; echo "hi $who"',
    ]
    assert [s.index for s in lesson.steps] == [0, 1, 2, 3, 4]
    first, paste, greet, before, name = lesson.steps
    assert first.captures == (Capture("TOKEN", r"token: (\w+)"),)
    assert first.changed_by == origin and first.origin is None and first.line == 7
    assert (paste.terminal, paste.name, paste.origin, paste.line) == (2, "paste", origin, 9)
    assert paste.location == "overlay-basic.lab.yml:9"
    assert paste.section == first.section == ("Overlay",)
    assert [c.code for c in paste.checks] == ['test "$TOKEN" = abc123\n']
    assert paste.checks[0].origin == origin and paste.checks[0].line == 13
    assert greet.expect_exit is None and greet.name == "greet"
    assert before.origin == origin and before.terminal == 1
    assert name.answers == (Answer("Ada"),)
    assert name.checks[0].terminal == 1 and name.checks[0].name == "in the terminal"
    assert lesson.front_matter.terms == 2 and lesson.front_matter.lab.timeout == 30
    assert not [d for d in lesson.diagnostics if d.severity == "error"]


def test_lesson_file_is_not_changed(tmp_path: Path) -> None:
    path = tmp_path / "overlay-basic.md"
    shutil.copy(fixture("overlay-basic.md"), path)
    shutil.copy(fixture("overlay-basic.lab.yml"), tmp_path / "overlay-basic.lab.yml")
    before = path.read_bytes()
    load_lesson(path)
    assert path.read_bytes() == before


def test_overlay_can_turn_sandbox_on() -> None:
    lesson = load_lesson(fixture("sandbox-swarm.md"))
    assert lesson.front_matter.lab.sandbox
    assert [s.terminal for s in lesson.steps] == [1, 2, 1]
    assert lesson.steps[1].command == "$JOIN\n"


@pytest.mark.parametrize(
    ("overlay", "expected"),
    [
        (
            "steps:\n  - step: 1\n    captur: 'X:(.*)'\n",
            "lesson.lab.yml:3: error: unknown key 'captur' in a step entry; "
            "did you mean 'capture'?",
        ),
        ("steps:\n  - answer: x\n", "lesson.lab.yml:2: error: the entry does not say which step"),
        (
            "steps:\n  - step: 1\n    name: one\n    line: 5\n",
            "lesson.lab.yml:2: error: the entry names its step more than once (step, line, name)",
        ),
        (
            "steps:\n  - match: echo two\n    answer: x\n",
            "lesson.lab.yml:2: error: match: 'echo two' matches 2 steps: 2 (line 9), 3 (line 13)",
        ),
        (
            "steps:\n  - match: nowhere\n",
            "lesson.lab.yml:2: error: match: 'nowhere' matches no step of the lesson",
        ),
        ("steps:\n  - step: 9\n", "lesson.lab.yml:2: error: step: 9 matches no step"),
        (
            "steps:\n  - step: 1\n    capture: 'X:(unclosed'\n",
            "lesson.lab.yml:2: error: capture X: invalid regular expression",
        ),
        (
            "steps:\n  - step: 1\n    timeout: soon\n",
            "lesson.lab.yml:2: error: timeout must be a positive duration, not 'soon'",
        ),
        (
            "steps:\n  - step: 1\n    after:\n      - run: echo x\n",
            "lesson.lab.yml:4: error: a new step needs 'term:'",
        ),
        (
            "steps:\n  - step: 1\n    after:\n      - term: 9\n        run: x\n",
            "lesson.lab.yml:4: error: term must be 1-6, not 9",
        ),
        (
            "steps:\n  - step: 1\n    checks:\n      - name: no code\n",
            "lesson.lab.yml:4: error: a check needs 'run:'",
        ),
        (
            "steps:\n  - step: 1\n  - line: 5\n    answer: x\n",
            "lesson.lab.yml:3: error: step 1 is already changed by the entry at line 2",
        ),
        ("terms: 9\n", "lesson.lab.yml:1: error: terms must be a whole number from 0 to 6"),
        ("lab:\n  sandbox: maybe\n", "lesson.lab.yml:2: error: lab.sandbox must be true or false"),
        ("stepz: []\n", "lesson.lab.yml:1: error: unknown key 'stepz' in the overlay"),
        ("steps:\n  - step: 1\n    answer: [x\n", "lesson.lab.yml:4: error: the overlay is not"),
        ("- just a list\n", "lesson.lab.yml:1: error: the overlay must be a mapping"),
        ("steps: {step: 1}\n", "lesson.lab.yml:1: error: steps must be a list"),
    ],
)
def test_overlay_errors_name_file_and_line(tmp_path: Path, overlay: str, expected: str) -> None:
    found = errors(lesson_with(tmp_path, overlay))
    assert found, overlay
    assert any(e.startswith(str(tmp_path / expected)) for e in found), found
    assert all("\n  hint: " in e for e in found)


def test_one_bad_entry_does_not_hide_the_others(tmp_path: Path) -> None:
    path = lesson_with(
        tmp_path, "steps:\n  - match: nowhere\n  - step: 1\n    answer: yes-please\n"
    )
    lesson, diags = lint_file(path)
    assert lesson is not None and lesson.steps[0].answers == (Answer("yes-please"),)
    assert len([d for d in diags if d.severity == "error"]) == 1


def test_load_lesson_raises_the_overlay_error(tmp_path: Path) -> None:
    path = lesson_with(tmp_path, "steps:\n  - match: nowhere\n")
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    assert info.value.path == str(tmp_path / "lesson.lab.yml") and info.value.line == 2


def test_capture_only_an_overlay_uses_is_not_reported_unused() -> None:
    _, diags = lint_file(fixture("overlay-basic.md"))
    assert not [d for d in diags if "never used" in d.message]


def test_lint_and_run_report_overlay_errors_without_traceback(tmp_path: Path) -> None:
    path = lesson_with(tmp_path, "steps:\n  - step: 1\n    exit: sometimes\n")
    r = run_lab("lint", str(path))
    assert r.status == 1
    assert f"{tmp_path}/lesson.lab.yml:2: error: exit must be 0-255 or 'any'" in r.stdout
    assert "hint: write exit=1 or exit=any" in r.stdout
    r = run_lab("run", str(path))
    assert r.status == 2 and "Traceback" not in r.stderr
    assert f"{tmp_path}/lesson.lab.yml:2: exit must be 0-255" in r.stderr


def test_overlays_dir_is_searched_before_the_lesson_s_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lesson read where it is published (no write access there) gets its overlay from
    --overlays DIR / LAB_OVERLAYS; one in DIR wins over one next to the lesson."""
    published = tmp_path / "published"
    published.mkdir()
    lesson = published / "post.markdown"
    lesson.write_text(LESSON)
    assert overlay_path(lesson) is None
    (published / "post.lab.yml").write_text("steps:\n  - step: 1\n    answer: beside\n")
    assert overlay_path(lesson) == published / "post.lab.yml"
    mine = tmp_path / "overlays"
    mine.mkdir()
    (mine / "post.lab.yml").write_text("steps:\n  - step: 1\n    answer: mine\n")
    monkeypatch.setenv("LAB_OVERLAYS", f"{tmp_path / 'nothing'}:{mine}")
    assert overlay_path(lesson) == mine / "post.lab.yml"
    assert load_lesson(lesson).steps[0].answers == (Answer("mine"),)


def test_overlays_option_of_the_cli(tmp_path: Path) -> None:
    lesson = tmp_path / "post.md"
    lesson.write_text(LESSON)
    mine = tmp_path / "overlays"
    mine.mkdir()
    (mine / "post.lab.yml").write_text("steps:\n  - step: 2\n    answer: moby\n")
    r = run_lab("steps", "--json", "--overlays", str(mine), str(lesson))
    assert r.status == 0, r.stderr
    assert '"moby"' in r.stdout
    r = run_lab("lint", "--overlays", str(tmp_path / "missing"), str(lesson))
    assert r.status == 2
    assert "--overlays" in r.stderr and "no such directory" in r.stderr
