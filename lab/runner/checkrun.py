"""Running a written check: bash code that must exit 0, in its own shell or a terminal's."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lab.lesson.model import Check
from lab.runner.events import CheckResult
from lab.shell import ShellSession
from lab.shell.capture import redact

OUTPUT_LIMIT = 64 * 1024
"""Bytes of a check's output kept for reports."""


async def run_check_process(
    check: Check,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    secrets: Sequence[str] = (),
    prefix: Sequence[str] = (),
) -> CheckResult:
    """Run a check in a fresh `bash -e` of its own; exit 0 means it held. prefix runs it
    elsewhere (`nsenter -t PID -a --`: inside a sandbox node)."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *prefix,
        "bash",
        "--noprofile",
        "--norc",
        "-e",
        "-c",
        check.code,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a timeout stops its children too
    )
    try:
        raw, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        _kill_group(proc.pid)
        raw, _ = await proc.communicate()
        return _result(check, False, raw, started, secrets, f"timed out after {timeout:g} s")
    status = proc.returncode
    message = "" if status == 0 else f"exited with status {status}"
    return _result(check, status == 0, raw, started, secrets, message)


async def run_check_in_session(
    check: Check, session: ShellSession, *, timeout: float, secrets: Sequence[str] = ()
) -> CheckResult:
    """Run a check inside a terminal's shell (it sees that shell's directory and variables)."""
    started = time.monotonic()
    result = await session.run(check.code, timeout=timeout, secrets=secrets)
    if result.outcome != "finished":
        message = f"did not finish ({result.outcome.replace('_', ' ')})"
        return _result(check, False, result.output.encode(), started, secrets, message)
    ok = result.exit_status == 0
    message = "" if ok else f"exited with status {result.exit_status}"
    return _result(check, ok, result.output.encode(), started, secrets, message)


def _result(
    check: Check,
    passed: bool,
    raw: bytes,
    started: float,
    secrets: Sequence[str],
    message: str,
) -> CheckResult:
    text = raw[-OUTPUT_LIMIT:].decode("utf-8", "replace")
    return CheckResult(
        label=check.label,
        passed=passed,
        output=redact(text, secrets),
        duration=time.monotonic() - started,
        line=check.line,
        message=message,
        check=check,
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
