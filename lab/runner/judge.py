"""Judging a step (pure): from what its command gave, the step's result and captured values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from lab.ansi import ANSI
from lab.lesson.model import Step
from lab.runner.events import StepResult
from lab.shell import CommandResult
from lab.shell.capture import redact

REFUSALS_SHOWN = 3
"""Different refusals of the engine guard named in a step's message; the rest are counted."""


def judge_step(
    step: Step,
    out: CommandResult,
    *,
    timeout: float,
    secrets: Sequence[str] = (),
    strict_output: bool = False,
) -> tuple[StepResult, dict[str, str]]:
    """The step's result (before its checks run) and the values its captures found, which the
    lesson's variables gain (empty unless every capture matched). timeout: the step's, for the
    message; secrets: redacted from the output; strict_output: drift fails the step."""
    output = redact(out.output, secrets)
    diff = None
    if step.expected_output and out.outcome in ("finished", "shell_exited"):
        from lab.runner.drift import drift  # difflib and its patterns: first use only

        diff = drift(step.expected_output.text, output)  # a failed step's too: it helps
    base = StepResult("passed", out.exit_status, output, out.duration, drift=diff)
    if out.outcome == "timeout":
        return replace(base, status="timeout", message=f"timed out after {timeout:g} s"), {}
    if out.outcome == "unanswered_prompt":
        prompt = (out.prompt or "").strip()
        give = (
            "this prompt hides what is typed: give the reply with secret=..."
            if out.prompt_hidden
            else "give the reply with answer=..."
        )
        message = (
            f"waiting for input at prompt {prompt!r}; {give} in the step's info string "
            "(or in the lesson's overlay)"
        )
        return replace(base, status="failed", message=message), {}
    if out.outcome == "integration_lost":
        message = "lost track of the shell (did the step start another shell or ssh?)"
        return replace(base, status="error", message=message), {}
    note = ""
    if out.outcome == "shell_exited":
        note = "the step ended its shell; a fresh one is started for the next step"
    if step.expect_exit is not None and out.exit_status != step.expect_exit:
        message = f"exited with status {out.exit_status} (expected {step.expect_exit})"
        return replace(base, status="failed", message="; ".join(filter(None, [message, note]))), {}
    captures, missing = capture(step, output)
    if missing:
        message = f"capture {missing} found no match in the output"
        return replace(base, status="failed", message=message, captures=captures), {}
    if diff and strict_output:
        message = "output drifted from the expected output"
        return replace(base, status="failed", message=message), captures
    return replace(base, message=note, captures=captures), captures


def capture(step: Step, output: str) -> tuple[dict[str, str], str | None]:
    """What the step's captures find in its output (colours ignored): the values found, and
    the name of the first capture that found nothing (None when all did)."""
    found: dict[str, str] = {}
    plain = ANSI.sub("", output)
    for cap in step.captures:
        match = re.search(cap.pattern, plain, re.MULTILINE)
        if match is None:
            return found, cap.name
        found[cap.name] = match.group(1) if match.groups() else match.group(0)
    return found, None


def with_refusals(result: StepResult, refused: Sequence[str]) -> StepResult:
    """A step during which the engine guard refused requests fails, saying what it refused
    (also when its commands went on and exited 0); a timeout or error keeps its status."""
    if not refused:
        return result
    said = list(dict.fromkeys(refused))
    if len(said) > REFUSALS_SHOWN:
        said = [*said[:REFUSALS_SHOWN], f"and {len(said) - REFUSALS_SHOWN} more refused"]
    message = "; ".join([*said, result.message] if result.message else said)
    status = result.status if result.status in ("timeout", "error") else "failed"
    return replace(result, status=status, message=message)
