"""`lab open` and `lab` at the command line: lesson errors are `file:line` + hint, exit 2."""

from __future__ import annotations

from lab.errors import ExitStatus
from tests.conftest import FIXTURES, run_lab


def test_a_broken_lesson_is_reported_with_its_line_not_a_traceback() -> None:
    r = run_lab("open", str(FIXTURES / "bad-term.md"))
    assert r.status == ExitStatus.USAGE
    assert "bad-term.md:5: '.term7' is not a terminal: use .term1 to .term6" in r.stderr
    assert "hint: runnable fences start with .term1" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_a_missing_lesson() -> None:
    r = run_lab("open", "no/such/lesson.md")
    assert r.status == ExitStatus.USAGE
    assert "no/such/lesson.md:1: no such file" in r.stderr


def test_open_needs_a_terminal() -> None:
    r = run_lab("open", str(FIXTURES / "run-pass.md"))  # captured output: not a terminal
    assert r.status == ExitStatus.USAGE
    assert "needs a terminal" in r.stderr and "lab run" in r.stderr


def test_lab_without_a_terminal_lists_the_course() -> None:
    r = run_lab()
    assert r.status == ExitStatus.OK
    assert "lab open LESSON.md" in r.stdout
