"""A learner's journeys through the real app in a real terminal (tmux), no Docker: keys as
documented, quitting and coming back, quizzes, a narrow terminal."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fixture
from tests.tmux import Tmux, at_prompt

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(tmp_path / "tmux.sock")
    yield server
    server("kill-server", check=False)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def open_lesson(tmux: Tmux, name: str, state: Path, size: tuple[int, int] = (200, 50)) -> str:
    tmux.lab("open", str(fixture(name)), state=state, size=size)
    return tmux.wait(at_prompt, "the lesson with its prompt")


def card(screen: str, number: int) -> str:
    """The text of step `number`'s card as shown (its box, cut out of the screen)."""
    lines = screen.splitlines()
    top = next(n for n, line in enumerate(lines) if f"╭─ Step {number} · " in line)
    left = lines[top].index("╭")
    right = lines[top].index("╮", left)
    bottom = next(n for n in range(top + 1, len(lines)) if lines[n][left : left + 1] == "╰")
    return "\n".join(line[left : right + 1] for line in lines[top : bottom + 1])


def test_enter_n_enter_runs_steps_1_and_2(tmux: Tmux, state: Path) -> None:
    open_lesson(tmux, "run-failing-step.md", state)
    tmux.keys("Enter")
    tmux.wait_for("1/3 done")
    tmux.keys("n", "Enter")
    screen = tmux.wait_for("✗ failed")
    assert "✓ passed" in card(screen, 1)
    assert "✗ failed" in card(screen, 2) and "exited with status 2" in card(screen, 2)
    assert "○ not run yet" in card(screen, 3), "step 3 was neither skipped nor run"
    assert "1/3 done" in screen and "✗ 1 failed" in screen.splitlines()[0]


def test_a_right_answer_stays_right_after_n_and_enter(tmux: Tmux, state: Path) -> None:
    screen = open_lesson(tmux, "quiz-then-step.md", state)
    assert "↑↓ choose · Enter check · n next" in screen, "the quiz card shows its keys"
    tmux.keys("Enter")  # into the quiz
    tmux.keys("Down", "Enter")  # 5000: checked at once
    screen = tmux.wait_for("Right!")
    assert "(●) 5000" in screen and "( ) 80" in screen, "picked or not, by symbol"
    assert "Try again" not in screen, "a right answer is final"
    tmux.keys("n", "Enter")  # the step after it runs
    screen = tmux.wait_for("2/2 done")
    assert "$ echo after the quiz" in screen
    assert "Right!" in screen and "✓ right" in screen


def test_quit_and_reopen_takes_up_values_shell_and_place(tmux: Tmux, state: Path) -> None:
    open_lesson(tmux, "resume-captures.md", state)
    tmux.keys("Enter")
    tmux.wait_for("1/4 done")
    tmux.keys("n", "Enter")
    tmux.wait_for("2/4 done")
    tmux.keys("n", "Enter")
    tmux.wait_for("3/4 done")
    tmux.keys("q")
    assert tmux.ended(), "q quits"

    started = time.monotonic()
    screen = open_lesson(tmux, "resume-captures.md", state)
    seconds = time.monotonic() - started
    screen = tmux.wait_for("Taken up where you left off")
    assert "captured $ONE, $TWO, $THREE" in screen
    assert "term1: $MINE, in ./work" in screen
    assert "3/4 done" in screen and "✓ passed earlier" in card(screen, 3)
    assert seconds < 3.0, f"the prompt took {seconds:.2f} s"  # bench/tui.py: the figure
    tmux.keys("Enter")  # step 4 needs every value, the variable and the directory
    tmux.wait_for("4/4 done")
    screen = tmux.wait_for("Lesson complete")
    assert "all back" in screen


def test_a_narrow_terminal_shows_the_footer_progress_and_whole_commands(
    tmux: Tmux, state: Path
) -> None:
    tmux.lab(state=state, size=(100, 30))  # the course picker
    screen = tmux.wait(lambda s: "not started" in s and "Quit" in s, "the course picker")
    assert "Progress" in screen
    footer = screen.rstrip().splitlines()[-1]
    assert "q Quit" in footer and "? Help" in footer
    tmux.keys("?")
    screen = tmux.wait_for("choose a lesson")
    tmux.keys("Escape")
    tmux.wait(lambda s: "choose a lesson" not in s, "the help to close")

    open_lesson(tmux, "long-command.md", state, size=(100, 30))
    screen = tmux.wait(lambda s: "Quit" in s.splitlines()[-1], "the footer")
    footer = screen.rstrip().splitlines()[-1]
    assert "q Quit" in footer and "? Help" in footer
    assert "Esc" not in footer and "Course" not in footer, "lab open has no course to go to"
    lines = [line.strip("│") for line in card(screen, 1).splitlines()]
    assert lines[1].rstrip().endswith("↩"), "a wrapped line says it goes on"
    assert lines[2].startswith("   "), "and the rest is indented under it"
    tmux.keys("F1")
    screen = tmux.wait_for("Terminal side")
    wrapped = [line for line in screen.splitlines() if "You stay on the step" in line]
    assert wrapped and re.search(r"█\s{18,}\S", wrapped[0]), "wrapped help text stays in its column"
    tmux.keys("Escape")
    tmux.wait(lambda s: "Terminal side" not in s, "the help to close")
    tmux.keys("F6")  # the terminal has the keyboard: the footer says only what works there
    screen = tmux.wait(lambda s: "⏎ Run" not in s.splitlines()[-1], "the terminal's footer")
    assert "f6 Lesson ⇄ terminal" in screen.splitlines()[-1]
    tmux.keys("Escape")  # goes to the shell (readline's meta prefix): the lesson stays
    tmux.type(" echo still-here")  # (Esc space: readline's set-mark, harmless)
    tmux.keys("Enter")
    tmux.wait(lambda s: s.count("still-here") >= 2, "the shell to take Esc and the command")
