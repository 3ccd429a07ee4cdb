"""Quizzes in the lesson screen: answered with keys or the mouse, graded, saved, counted."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, RadioButton

from lab.learner.progress import load
from lab.tui.screens.summary import SummaryScreen
from lab.tui.widgets.quiz_card import QuizCard
from lab.tui.widgets.terminals import TerminalPane
from tests.conftest import fixture
from tests.tui.lessons import SIZE, open_lab
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


def feedback(card: QuizCard) -> str:
    return str(card.query_one("#feedback").render())


async def test_single_choice_by_keyboard_a_right_answer_is_final() -> None:
    async with open_lab("quiz-single.md") as lab:
        card = lab.screen.query_one(QuizCard)
        assert "↑↓ choose · Enter check" in str(card.query_one("#keys").render())
        await lab.pilot.press("enter")  # the current item is the quiz: Enter goes into it
        await lab.pilot.press("down", "enter")  # "5000", checked at once
        await wait_until(lambda: card.answer is not None, 10, "the answer")
        assert card.answer is not None and card.answer.correct is True
        assert "Right!" in feedback(card)
        marks = [str(b.render()).split(" ", 1)[0] for b in card.query(RadioButton)]
        assert marks == ["(", "(●)", "("], marks  # picked or not, by symbol too
        assert not card.query_one("#retry").display, "a right answer is final"
        assert isinstance(lab.app.screen, SummaryScreen), "the only item: lesson complete"
        await lab.pilot.press("escape")
        saved = load(fixture("quiz-single.md"))
        assert [(a.choices, a.correct) for a in saved.answers.values()] == [((1,), True)]
        assert saved.completed
        await lab.pilot.press("enter", "enter")  # nothing left to answer: it stays right
        assert card.answer is not None and card.answer.correct is True


async def test_a_wrong_answer_is_tried_again_by_keyboard() -> None:
    async with open_lab("quiz-single.md") as lab:
        card = lab.screen.query_one(QuizCard)
        await lab.pilot.press("enter", "enter")  # "80": wrong
        await wait_until(lambda: card.answer is not None, 10, "the answer")
        assert card.answer is not None and card.answer.correct is False
        assert "Not quite. The right answer: 5000" in feedback(card)
        assert "1/1" in str(lab.screen.query_one("#progress").render()), "answered counts"
        await lab.pilot.press("escape")  # the summary
        assert lab.app.focused is card.query_one("#retry"), "the keyboard is on Try again"
        await lab.pilot.press("enter")
        assert card.answer is None and not load(fixture("quiz-single.md")).answers
        await lab.pilot.press("down", "enter")
        await wait_until(lambda: card.answer is not None, 10, "the second answer")
        assert card.answer is not None and card.answer.correct is True


async def test_multiple_choice_with_the_mouse() -> None:
    async with open_lab("quiz-multiple.md") as lab:
        card = lab.screen.query_one(QuizCard)
        await lab.pilot.click("#submit")
        assert "Pick an answer first." in feedback(card) and card.answer is None
        await lab.pilot.pause(0.3)  # a button ignores clicks while it shows the last one
        boxes = card.query(Checkbox)
        await lab.pilot.click(boxes[0])
        await lab.pilot.click(boxes[2])
        await lab.pilot.click("#submit")
        await wait_until(lambda: card.answer is not None, 10, "the answer")
        assert card.answer is not None and card.answer.choices == (0, 2)
        assert card.answer.correct is True


async def test_open_question_shows_the_model_answer() -> None:
    async with open_lab("quiz-open.md") as lab:
        card = lab.screen.query_one(QuizCard)
        await lab.pilot.click(Input)
        await lab.pilot.press(*"the layer goes away", "enter")
        await wait_until(lambda: card.answer is not None, 10, "the answer")
        assert card.answer is not None and card.answer.correct is None
        assert "writable layer is lost" in feedback(card)
        assert load(fixture("quiz-open.md")).answers  # saved


async def test_answers_come_back_when_reopened() -> None:
    async with open_lab("quiz-single.md") as lab:
        await lab.pilot.press("enter", "down", "down", "enter")  # "443"
        await wait_until(lambda: lab.screen.query_one(QuizCard).answer is not None, 10, "answer")
    async with open_lab("quiz-single.md") as lab:
        card = lab.screen.query_one(QuizCard)
        assert card.answer is not None and card.answer.choices == (2,)
        assert card.query(RadioButton)[2].value and "Not quite" in feedback(card)


async def test_reading_only_lesson_has_no_terminal_and_its_quiz_works() -> None:
    async with open_lab("terms-zero.md") as lab:
        screen = lab.screen
        assert not screen.has_terminals and not screen.query(TerminalPane)
        assert not screen.learner.started, "nothing to start: no shell, no host snapshot"
        assert lab.view.outer_size.width == SIZE[0], "the lesson has the whole width"
        assert "f6" not in lab.app.active_bindings, "no F6 (lesson ⇄ terminal) in the footer"
        await lab.pilot.press("f6")  # no terminal to move to: nothing happens
        assert lab.app.focused is not None and lab.view in lab.app.focused.ancestors_with_self
        card = screen.query_one(QuizCard)
        await lab.pilot.press("enter", "enter")  # "docker version", checked at once
        await wait_until(lambda: card.answer is not None, 10, "the answer")
        assert card.answer is not None and card.answer.correct is True
        assert isinstance(lab.app.screen, SummaryScreen), "the only item: lesson complete"
