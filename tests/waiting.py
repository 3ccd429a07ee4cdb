"""Waiting in tests: until a condition holds, with a deadline, failing with what never came.

Tests never sleep a fixed time for something to happen: they wait for the thing itself.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from lab.shell import ShellSession
from lab.shell.waiting import session_processes


async def wait_until(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    *,
    show: Callable[[], str] | None = None,
    interval: float = 0.01,
) -> None:
    """Poll `predicate` (on the event loop, which keeps running) until it is true; after
    `timeout` seconds fail the test: "timed out after Ns waiting for WHAT" (and `show()`)."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            _fail(timeout, what, show)
        await asyncio.sleep(interval)


def wait_until_blocking(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    *,
    show: Callable[[], str] | None = None,
    interval: float = 0.05,
) -> None:
    """`wait_until` for tests without an event loop (processes, tmux)."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            _fail(timeout, what, show)
        time.sleep(interval)


def runs_a_command(session: ShellSession, program: str) -> bool:
    """A process of the session's terminal runs `program` (started by bash, and past its
    exec: in the foreground, so a Ctrl-C reaches it)."""
    pid = session.pid
    if pid is None:
        return False
    for child in session_processes(pid):
        if child == pid:
            continue
        try:
            argv0 = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if os.path.basename(argv0.decode(errors="replace")) == program:
            return True
    return False


def _fail(timeout: float, what: str, show: Callable[[], str] | None) -> NoReturn:
    message = f"timed out after {timeout:g}s waiting for {what}"
    if show is not None:
        message += f"; it shows:\n{show()}"
    pytest.fail(message)
