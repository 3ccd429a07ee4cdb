"""End to end: the demo app in a real terminal (tmux), real keys, quit with ctrl+q."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.waiting import wait_until_blocking

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    """A tmux server of our own (`-S socket`), so the user's sessions are never touched."""

    def __init__(self, socket: Path) -> None:
        self.socket = str(socket)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}  # even inside tmux
        return subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=check, env=env
        )

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "demo").stdout

    def wait(self, done: Callable[[str], bool], what: str, timeout: float = 15.0) -> None:
        wait_until_blocking(lambda: done(self.screen()), timeout, what, show=self.screen)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(tmp_path / "tmux.sock")
    yield server
    server("kill-server", check=False)


def test_demo_in_tmux(tmux: Tmux) -> None:
    command = f"cd {ROOT} && exec {sys.executable} -m lab.tui.terminal_demo"
    tmux("new-session", "-d", "-s", "demo", "-x", "120", "-y", "30", command)
    tmux.wait(lambda s: s.splitlines()[0].rstrip() == "$", "the prompt")

    tmux("send-keys", "-t", "demo", "-l", "echo tmux-ok")
    tmux("send-keys", "-t", "demo", "Enter")
    tmux.wait(lambda s: s.count("tmux-ok") == 2, "the command and its output")

    tmux("send-keys", "-t", "demo", "Up")  # a real arrow key recalls the command
    tmux("send-keys", "-t", "demo", "Enter")
    tmux.wait(lambda s: s.count("tmux-ok") == 4, "the recalled command and its output")

    tmux("send-keys", "-t", "demo", "C-q")
    gone = lambda: tmux("has-session", "-t", "demo", check=False).returncode != 0  # noqa: E731
    wait_until_blocking(gone, 10, "ctrl+q to quit the app")
