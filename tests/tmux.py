"""Driving the real app in a real terminal (tmux), as a learner would: keys in, screen out."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

CODE = Path(os.environ.get("LAB_TUI_CODE", ROOT))
"""Whose lab to start: this tree's (LAB_TUI_CODE=/other/checkout runs the same journeys on
another version of lab, e.g. to show a bug it has)."""


class Tmux:
    """A tmux server of our own (`-S socket`): the user's sessions are never touched. One
    session, `lab`."""

    def __init__(self, socket: Path) -> None:
        self.socket = str(socket)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}  # even inside tmux
        return subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=check, env=env
        )

    def start(self, command: str, size: tuple[int, int] = (200, 50)) -> None:
        """Run command in the session (a fresh one)."""
        self("kill-session", "-t", "lab", check=False)
        self("new-session", "-d", "-s", "lab", "-x", str(size[0]), "-y", str(size[1]), command)

    def lab(self, *args: str, state: Path, size: tuple[int, int] = (200, 50)) -> None:
        """Start `lab ARGS` (its state under `state`)."""
        words = " ".join(shlex.quote(a) for a in args)
        self.start(
            f"cd {shlex.quote(str(CODE))} && exec env LAB_STATE_DIR={shlex.quote(str(state))} "
            f"{shlex.quote(sys.executable)} -m lab {words}",
            size,
        )

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "lab").stdout

    def keys(self, *keys: str) -> None:
        """Press keys (tmux names: Enter, Escape, F6, C-q ...)."""
        for key in keys:
            self("send-keys", "-t", "lab", key)
            time.sleep(0.05)

    def type(self, text: str) -> None:
        """Type text literally."""
        self("send-keys", "-t", "lab", "-l", text)

    def wait(self, done: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """The screen once done(screen) holds; fails with the screen after timeout."""
        end = time.monotonic() + timeout
        while not done(screen := self.screen()):
            if time.monotonic() > end:
                pytest.fail(f"timed out waiting for {what}; the pane shows:\n{screen}")
            time.sleep(0.05)
        return screen

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """The screen once it shows text."""
        return self.wait(lambda s: text in s, repr(text), timeout)

    def ended(self, timeout: float = 10.0) -> bool:
        """Wait for the session's program to end."""
        end = time.monotonic() + timeout
        while self("has-session", "-t", "lab", check=False).returncode == 0:
            if time.monotonic() > end:
                return False
            time.sleep(0.05)
        return True


def at_prompt(screen: str) -> bool:
    """A terminal pane's first line is the bare prompt `│$`."""
    return any(line.rstrip().endswith("│$") or "│$ " in line for line in screen.splitlines())
