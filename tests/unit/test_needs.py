"""What a lesson needs from a machine: how many terminals, sandbox nodes or this host."""

from __future__ import annotations

from lab.lesson.load import load_lesson
from lab.lesson.needs import sandboxed, terminal_count
from lab.lesson.parser import parse_text
from tests.conftest import fixture


def test_terminals_are_terms_or_the_highest_one_used() -> None:
    assert terminal_count(load_lesson(fixture("multi-term.md"))) == 2
    assert terminal_count(parse_text("---\nterms: 3\n---\n```.term1\ntrue\n```\n", "x.md")) == 3
    beyond = parse_text("```.term1\ntrue\n```\n\n```check term=4\ntrue\n```\n", "x.md")
    assert terminal_count(beyond) == 4  # a check's terminal counts too


def test_sandbox_the_option_else_the_lesson_says() -> None:
    host = parse_text("```.term1\ntrue\n```\n", "x.md")
    boxed = parse_text("---\nlab:\n  sandbox: true\n---\n```.term1\ntrue\n```\n", "x.md")
    assert not sandboxed(host) and sandboxed(boxed)
    assert sandboxed(host, True) and not sandboxed(boxed, False)
    assert sandboxed(load_lesson(fixture("sandbox-swarm.md")))  # from its overlay
