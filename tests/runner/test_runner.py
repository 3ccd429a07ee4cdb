"""The lesson runner with real bash (no Docker): statuses, checks, prompts, timeouts, events."""

from __future__ import annotations

import asyncio
import os

import pytest

from lab.lesson.load import load_lesson
from lab.lesson.parser import parse_text
from lab.runner import (
    CheckFinished,
    LessonFinished,
    LessonRunner,
    LessonStarted,
    RunOptions,
    StepFinished,
    StepOutput,
    StepStarted,
)
from tests.conftest import fixture
from tests.waiting import runs_a_command, wait_until

pytestmark = pytest.mark.timeout(120)


async def run(name: str, **options: object) -> tuple[list[object], LessonFinished]:
    lesson = load_lesson(fixture(name))
    events = [e async for e in LessonRunner(lesson, RunOptions(**options)).events()]  # type: ignore[arg-type]
    last = events[-1]
    assert isinstance(last, LessonFinished)
    return events, last


def statuses(run: LessonFinished) -> list[str]:
    return [r.status for _, r in run.results]


async def test_event_stream_order_and_pass() -> None:
    events, done = await run("run-pass.md")
    kinds = [type(e).__name__ for e in events if not isinstance(e, StepOutput)]
    assert kinds == [
        "LessonStarted",
        "StepStarted",
        "CheckFinished",  # inferred: directory data exists
        "CheckFinished",  # written: greeting written
        "StepFinished",
        "StepStarted",
        "StepFinished",
        "LessonFinished",
    ]
    assert done.passed
    assert any(isinstance(e, StepOutput) and "hello" in e.text for e in events)
    (_, second) = done.results[1]
    assert second.output == "hello\n" and second.drift is None


async def test_workspace_is_fresh_and_removed() -> None:
    events, _ = await run("run-pass.md")
    started = events[0]
    assert isinstance(started, LessonStarted)
    assert started.workspace.name.startswith("lab-run-pass-")
    assert not started.workspace.exists()


async def test_keep_workspace(tmp_path: object) -> None:
    events, _ = await run("run-pass.md", keep_workspace=True)
    started = events[0]
    assert isinstance(started, LessonStarted)
    try:
        assert (started.workspace / "data" / "greeting").read_text() == "hello\n"
    finally:
        import shutil

        shutil.rmtree(started.workspace)


async def test_failing_step_continues_by_default() -> None:
    _, done = await run("run-failing-step.md")
    assert statuses(done) == ["passed", "failed", "passed"]
    failed = done.results[1][1]
    assert failed.exit_status == 2
    assert "exited with status 2 (expected 0)" in failed.message
    assert "No such file or directory" in failed.output
    assert not done.passed


async def test_fail_fast_skips_the_rest() -> None:
    _, done = await run("run-failing-step.md", fail_fast=True)
    assert statuses(done) == ["passed", "failed", "skipped"]


async def test_failing_check_fails_the_step() -> None:
    events, done = await run("run-failing-check.md")
    (_, res) = done.results[0]
    assert res.status == "passed" and not res.ok
    assert [c.passed for c in res.checks] == [False]
    assert res.checks[0].label == "out.txt says hello"
    assert any(isinstance(e, CheckFinished) and not e.result.passed for e in events)
    assert not done.passed


async def test_unanswered_prompt_fails_fast_with_prompt() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    _, done = await run("run-unanswered-read.md")
    (_, res) = done.results[0]
    assert res.status == "failed"
    assert "Your name:" in res.message
    assert loop.time() - started < 60  # the step's own timeout: it must not be reached


async def test_answers_and_secret_never_shown() -> None:
    events, done = await run("run-answers.md")
    (_, res) = done.results[0]
    assert res.status == "passed"
    assert "hello Ada, 7 characters" in res.output
    assert "hunter2" not in res.output
    assert not any(isinstance(e, StepOutput) and "hunter2" in e.text for e in events)


async def test_login_username_from_transcript_password_from_secret() -> None:
    events, done = await run("run-login-secret.md")
    (_, res) = done.results[0]
    assert res.status == "passed", res.message + res.output
    assert "Login Succeeded" in res.output
    assert not any(isinstance(e, StepOutput) and "gordon" in e.text for e in events)


async def test_password_prompt_without_a_secret_fails_fast_naming_secret() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    _, done = await run("run-login-no-secret.md")
    (_, res) = done.results[0]
    assert res.status == "failed"
    assert "'Password:'" in res.message and "give the reply with secret=" in res.message
    assert loop.time() - started < 60  # the step's own timeout: it must not be reached


async def test_openssl_prompts_answered_from_transcript() -> None:
    _, done = await run("run-transcript-answers.md")
    (_, res) = done.results[0]
    assert res.status == "passed", res.message + res.output
    assert [c.passed for c in res.checks] == [True]


async def test_timeout_recovers_the_shell() -> None:
    _, done = await run("run-timeout.md")
    assert statuses(done) == ["timeout", "passed"]
    assert "timed out after 1 s" in done.results[0][1].message
    assert done.results[1][1].output == "still alive\n"


async def test_exit_in_a_step_respawns_the_shell() -> None:
    _, done = await run("run-exit.md")
    assert statuses(done) == ["passed", "passed"]
    assert "ended its shell" in done.results[0][1].message
    assert done.results[1][1].output == "fresh shell\n"


async def test_exit_status_expectation_mismatch() -> None:
    lesson = parse_text("```.term1 exit=3\nexit 4\n```\n", "x.md")
    events = [e async for e in LessonRunner(lesson).events()]
    done = events[-1]
    assert isinstance(done, LessonFinished)
    assert done.results[0][1].status == "failed"
    assert "status 4 (expected 3)" in done.results[0][1].message


async def test_background_step_runs_then_is_stopped() -> None:
    _, done = await run("run-background.md")
    assert statuses(done) == ["passed", "passed"]
    assert done.results[1][1].checks[0].passed  # the background process was running
    proc = await asyncio.create_subprocess_exec("pgrep", "-f", "sleep 1000 && echo lab-background")
    assert await proc.wait() == 1  # and is gone after the run


async def test_drift_is_advisory_unless_strict() -> None:
    _, done = await run("run-drift.md")
    res = done.results[0][1]
    assert res.status == "passed" and res.drift is not None
    assert "+this line is new" in res.drift
    _, strict = await run("run-drift.md", strict_output=True)
    assert strict.results[0][1].status == "failed"


async def test_captures_reach_later_steps_and_checks() -> None:
    _, done = await run("run-captures.md")
    assert done.passed
    assert done.results[0][1].captures == {"ID": "42"}
    assert done.results[1][1].output == "ID is 42\n"


async def test_multiline_heredoc_if_continuation_tab() -> None:
    _, done = await run("run-multiline.md")
    res = done.results[0][1]
    assert res.status == "passed" and res.drift is None, res.output


async def test_check_bound_to_terminal_sees_its_shell() -> None:
    text = (
        "```.term1\nmkdir sub && cd sub && export COLOUR=blue\n```\n\n"
        '```check .term1\ntest "$(basename "$PWD")" = sub && test "$COLOUR" = blue\n```\n\n'
        '```check\ntest "$(basename "$PWD")" != sub\n```\n'
    )
    events = [e async for e in LessonRunner(parse_text(text, "x.md")).events()]
    done = events[-1]
    assert isinstance(done, LessonFinished)
    checks = done.results[0][1].checks
    assert [(c.label, c.passed) for c in checks if c.inferred] == [("directory sub exists", True)]
    assert [c.passed for c in checks if not c.inferred] == [True, True]


async def test_two_terminals_are_separate_shells() -> None:
    text = "```.term1\nexport WHO=one\n```\n\n```.term2\necho ${WHO:-unset}\n```\n"
    events = [e async for e in LessonRunner(parse_text(text, "x.md")).events()]
    done = events[-1]
    assert isinstance(done, LessonFinished)
    assert done.results[1][1].output == "unset\n"


async def test_cancel_mid_step_cleans_up() -> None:
    lesson = parse_text("```.term1\nsleep 1000\n```\n", "x.md")
    runner = LessonRunner(lesson)
    seen: list[object] = []

    async def consume() -> None:
        async for event in runner.events():
            seen.append(event)

    task = asyncio.create_task(consume())
    await wait_until(lambda: any(isinstance(e, StepStarted) for e in seen), 30, "the step")
    await wait_until(
        lambda: any(runs_a_command(s, "sleep") for s in runner._sessions.values()),
        10,
        "sleep 1000 to start",
    )
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not runner.workspace.exists()
    proc = await asyncio.create_subprocess_exec("pgrep", "-x", "-f", "sleep 1000")
    assert await proc.wait() == 1


def test_step_started_and_finished_pair_up() -> None:
    async def go() -> list[object]:
        lesson = load_lesson(fixture("run-failing-step.md"))
        return [e async for e in LessonRunner(lesson).events()]

    events = asyncio.run(go())
    started = [e.step.index for e in events if isinstance(e, StepStarted)]
    finished = [e.step.index for e in events if isinstance(e, StepFinished)]
    assert started == finished == [0, 1, 2]
    assert os.environ.get("LAB_WORKSPACE") is None  # the runner never leaks into our env
