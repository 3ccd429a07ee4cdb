"""A learner's session over real bash (no Docker): steps on request, progress, reset."""

from __future__ import annotations

import shutil

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


async def test_reopening_takes_up_captures_variables_and_directory() -> None:
    lesson = load_lesson(fixture("resume-captures.md"))
    first = LearnerSession(lesson)
    await first.start()
    try:
        for step in lesson.steps[:3]:
            assert (await first.run_step(step)).ok
    finally:
        await first.close()
    saved = progress.load(lesson.path)
    assert saved.captures == {"ONE": "42", "TWO": "alpha", "THREE": "123"}
    assert [r.state for r in saved.steps.values()] == ["passed"] * 3

    again = LearnerSession(load_lesson(fixture("resume-captures.md")))
    await again.start()
    try:
        assert again.restored == ["captured $ONE, $TWO, $THREE", "term1: $MINE, in ./work"]
        result = await again.run_step(again.lesson.steps[3])  # needs all of it, nothing re-run
        assert result.ok, result
        assert result.output == "all back\n"
    finally:
        await again.close()


async def test_a_failure_finds_what_an_earlier_step_made_is_gone() -> None:
    lesson = load_lesson(fixture("recheck-dir.md"))
    learner = LearnerSession(lesson)
    await learner.start()
    try:
        first, second = lesson.steps
        assert (await learner.run_step(first)).ok
        shutil.rmtree(workspace_dir(lesson.path) / "data")  # the learner removes it by hand
        assert not (await learner.run_step(second)).ok
        (finding,) = learner.findings[second.index]
        assert finding.step is first
        assert "data" in str(finding) and "it comes from step 1 — run step 1 again" in str(finding)
        assert learner.state(first) == "invalidated" and learner.state(second) == "failed"
        tally = learner.tally()
        assert (tally.steps_done, tally.steps_failed, tally.steps_invalidated) == (0, 1, 1)
        assert not tally.complete
        assert (await learner.run_step(first)).ok  # run again: it holds once more
        assert (await learner.run_step(second)).ok
        assert learner.tally().complete
    finally:
        await learner.close()


async def test_reopening_finds_what_is_gone_since() -> None:
    lesson = load_lesson(fixture("recheck-dir.md"))
    learner = LearnerSession(lesson)
    await learner.start()
    try:
        assert (await learner.run_step(lesson.steps[0])).ok
    finally:
        await learner.close()
    shutil.rmtree(workspace_dir(lesson.path) / "data")
    again = LearnerSession(load_lesson(fixture("recheck-dir.md")))
    await again.start()
    try:
        assert again.verified(again.lesson.steps[0]), "as saved, until verified again"
        (finding,) = await again.recheck()
        assert finding.step.index == 0 and again.state(again.lesson.steps[0]) == "invalidated"
        assert progress.load(lesson.path).steps[again.key(again.lesson.steps[0])].message
    finally:
        await again.close()
