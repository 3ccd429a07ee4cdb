"""A learner's session over real bash (no Docker): steps on request, progress, reset."""

from __future__ import annotations

import pytest

from lab.learner import progress
from lab.learner.session import LearnerSession, workspace_dir
from lab.lesson.load import load_lesson
from tests.conftest import fixture

pytestmark = pytest.mark.timeout(60)


async def test_a_step_clears_half_typed_input_and_is_recorded() -> None:
    learner = LearnerSession(load_lesson(fixture("run-pass.md")))
    await learner.start()
    try:
        shell = await learner.terminal(1)
        shell.send_text("rm -rf /definitely-not-this")  # typed, never entered
        result = await learner.run_step(learner.lesson.steps[0])
        assert result.ok, result
        assert learner.verified(learner.lesson.steps[0])
        assert learner.tally().steps_done == 1
        assert learner.resume_at() == 1
        assert (workspace_dir(learner.lesson.path) / "data" / "greeting").exists()
    finally:
        await learner.close()
    again = LearnerSession(load_lesson(fixture("run-pass.md")))
    assert again.verified(again.lesson.steps[0]), "progress outlives the session"


async def test_reset_removes_workspace_and_progress() -> None:
    learner = LearnerSession(load_lesson(fixture("run-pass.md")))
    await learner.start()
    await learner.run_step(learner.lesson.steps[0])
    report = await learner.reset()
    workspace = workspace_dir(learner.lesson.path)
    assert not workspace.exists() and f"workspace {workspace}" in report.removed
    assert not progress.Progress(learner.lesson.path).path.exists()
    assert learner.tally().done == 0
    await learner.start()  # a fresh runner
    try:
        assert (await learner.run_step(learner.lesson.steps[0])).ok
    finally:
        await learner.close()


async def test_quiz_answers_are_graded_and_kept() -> None:
    learner = LearnerSession(load_lesson(fixture("quiz-single.md")))
    quiz = learner.lesson.quizzes[0]
    assert learner.answer(quiz, (0,)).correct is False
    assert learner.answer(quiz, (1,)).correct is True
    assert LearnerSession(learner.lesson).answer_of(quiz) == progress.QuizAnswer((1,), "", True)
