"""Splitting a lesson into prose, step and quiz blocks for display."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.lesson.document import Prose, QuizBlock, StepBlock, clean_markdown, lesson_blocks
from lab.lesson.load import load_lesson
from lab.lesson.parser import parse_text
from tests.conftest import FIXTURES


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.md")), ids=lambda p: p.name)
def test_every_step_and_quiz_once_in_order(path: Path) -> None:
    lesson = parse_text(path.read_text(encoding="utf-8-sig"), path)
    blocks = lesson_blocks(lesson)
    assert [b.step for b in blocks if isinstance(b, StepBlock)] == list(lesson.steps)
    assert [b.quiz for b in blocks if isinstance(b, QuizBlock)] == list(lesson.quizzes)


def test_prose_keeps_text_and_drops_what_cards_show() -> None:
    lesson = load_lesson(FIXTURES / "hints.md")
    prose = "\n".join(b.text for b in lesson_blocks(lesson) if isinstance(b, Prose))
    assert "Just a quote, not a hint." in prose
    assert "is the engine running?" not in prose  # the step's card shows its hint
    checks = load_lesson(FIXTURES / "run-pass.md")
    texts = [b.text for b in lesson_blocks(checks) if isinstance(b, Prose)]
    assert not any("grep -q hello" in t for t in texts), "check fences belong to the step"
    assert any("hello" in t for t in texts), "expected output stays in the text"


def test_sections_start_prose_blocks() -> None:
    lesson = load_lesson(FIXTURES / "seed-registry-part1.md")
    starts = {b.heading for b in lesson_blocks(lesson) if isinstance(b, Prose)}
    assert set(range(len(lesson.headings))) <= starts


def test_quiz_markup_is_not_prose() -> None:
    text = "Intro.\n\n{:.quiz}\nWhich?\n- ( ) a\n- (x) b\n\nAfter.\n"
    blocks = lesson_blocks(parse_text(text, "q.md"))
    assert [type(b).__name__ for b in blocks] == ["Prose", "QuizBlock", "Prose"]
    assert all("{:" not in b.text for b in blocks if isinstance(b, Prose))


def test_app_links_point_at_localhost_and_attribute_lists_go() -> None:
    text = 'Open [the page](/){:data-term=".term2"}{:data-port="8080"} now.\n{: .note}\n'
    assert clean_markdown(text) == "Open [the page](http://localhost:8080) now.\n"


def test_app_links_point_at_their_terminals_node() -> None:
    from lab.lesson.document import clean_markdown

    text = 'Open [the app](/){:data-term=".term2"}{:data-port="8080"} now.'
    assert clean_markdown(text) == "Open [the app](http://localhost:8080) now."
    assert (
        clean_markdown(text, {2: "192.168.5.3"}) == "Open [the app](http://192.168.5.3:8080) now."
    )
    assert clean_markdown(text, {1: "192.168.5.2"}) == "Open [the app](http://localhost:8080) now."
