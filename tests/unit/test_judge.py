"""Judging a step from what its command gave, without a shell."""

from __future__ import annotations

from dataclasses import replace

from lab.lesson.model import Step
from lab.lesson.parser import parse_text
from lab.runner.events import CheckResult
from lab.runner.judge import capture, judge_step
from lab.shell import CommandResult
from lab.shell.result import Outcome


def step(info: str = "", after: str = "") -> Step:
    text = f"```.term1 {info}\ntrue\n```\n{after}"
    (found,) = parse_text(text, "x.md").steps
    return found


def out(
    output: str = "", status: int | None = 0, outcome: Outcome = "finished", **kw: object
) -> CommandResult:
    return CommandResult(status, output, 0.5, outcome, (), **kw)  # type: ignore[arg-type]


def test_a_finished_command_passes_with_its_output_and_status() -> None:
    result, captured = judge_step(step(), out("hi\n"), timeout=5)
    assert (result.status, result.exit_status, result.output, result.duration) == (
        "passed",
        0,
        "hi\n",
        0.5,
    )
    assert result.message == "" and result.drift is None and captured == {}
    assert result.ok


def test_how_the_command_ended_decides_first() -> None:
    timed_out, _ = judge_step(step(), out(status=None, outcome="timeout"), timeout=7.5)
    assert (timed_out.status, timed_out.message) == ("timeout", "timed out after 7.5 s")
    asked, _ = judge_step(
        step(), out(status=None, outcome="unanswered_prompt", prompt="Name: "), timeout=5
    )
    assert asked.status == "failed"
    assert asked.message.startswith("waiting for input at prompt 'Name:'; give the reply")
    lost, _ = judge_step(step(), out(status=None, outcome="integration_lost"), timeout=5)
    assert lost.status == "error" and "lost track of the shell" in lost.message


def test_the_exit_status_is_judged_against_the_expected_one() -> None:
    failed, _ = judge_step(step(), out(status=2), timeout=5)
    assert (failed.status, failed.message) == ("failed", "exited with status 2 (expected 0)")
    meant, _ = judge_step(step("exit=2"), out(status=2), timeout=5)
    assert meant.status == "passed"
    anything, _ = judge_step(step("exit=any"), out(status=9), timeout=5)
    assert anything.status == "passed"


def test_a_step_that_ends_its_shell_says_so() -> None:
    ended, _ = judge_step(step("exit=3"), out(status=3, outcome="shell_exited"), timeout=5)
    assert ended.status == "passed"
    assert ended.message == "the step ended its shell; a fresh one is started for the next step"
    wrong, _ = judge_step(step(), out(status=3, outcome="shell_exited"), timeout=5)
    assert wrong.status == "failed"
    assert wrong.message == (
        "exited with status 3 (expected 0); "
        "the step ended its shell; a fresh one is started for the next step"
    )


def test_captures_become_variables_only_when_all_match() -> None:
    two = step(r"capture='ID:id=(\d+)' capture='NAME:name=\w+'")
    result, captured = judge_step(two, out("id=42 name=ada\n"), timeout=5)
    assert captured == {"ID": "42", "NAME": "name=ada"} == result.captures
    half, captured = judge_step(two, out("id=42\n"), timeout=5)
    assert half.status == "failed" and half.message == "capture NAME found no match in the output"
    assert half.captures == {"ID": "42"} and captured == {}


def test_captures_read_the_output_without_colours() -> None:
    assert capture(step(r"capture='ID:id=(\d+)'"), "\x1b[1mid=\x1b[0m7") == ({"ID": "7"}, None)


def test_drift_is_a_note_unless_strict() -> None:
    drifting = step(after="\n```\nexpected line\n```\n")
    loose, _ = judge_step(drifting, out("another line\n"), timeout=5)
    assert loose.status == "passed" and loose.drift and "+another line" in loose.drift
    strict, _ = judge_step(drifting, out("another line\n"), timeout=5, strict_output=True)
    assert strict.status == "failed"
    assert strict.message == "output drifted from the expected output" and strict.drift
    same, _ = judge_step(drifting, out("expected line\n"), timeout=5, strict_output=True)
    assert same.status == "passed" and same.drift is None


def test_secrets_are_redacted_before_anything_reads_the_output() -> None:
    caught = step(r"capture='TOKEN:token=(\S+)'")
    result, captured = judge_step(caught, out("token=hunter2\n"), timeout=5, secrets=["hunter2"])
    assert "hunter2" not in result.output and "hunter2" not in captured.get("TOKEN", "")


def test_the_verdict_counts_the_checks() -> None:
    result, _ = judge_step(step(), out(), timeout=5)
    held = replace(result, checks=(CheckResult("a", True),))
    broken = replace(result, checks=(CheckResult("a", True), CheckResult("b", False)))
    assert held.ok and not broken.ok
