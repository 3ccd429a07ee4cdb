"""Waiting in tests: until a condition holds, with a deadline, failing with what never came.

Tests never sleep a fixed time for something to happen: they wait for the thing itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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


def runs_a_command(session: ShellSession) -> bool:
    """Something besides bash runs in the session's terminal: a command it started."""
    pid = session.pid
    return pid is not None and len(session_processes(pid)) > 1


def _fail(timeout: float, what: str, show: Callable[[], str] | None) -> NoReturn:
    message = f"timed out after {timeout:g}s waiting for {what}"
    if show is not None:
        message += f"; it shows:\n{show()}"
    pytest.fail(message)
