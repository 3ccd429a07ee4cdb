"""End to end: `lab open` on the seed lesson in a real terminal (tmux), steps run from the
keyboard against the real engine, then reset from the TUI: nothing is left behind."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.checks import connect
from lab.learner.session import reset_lesson
from tests.conftest import FIXTURES, ROOT
from tests.waiting import wait_until_blocking

pytestmark = [
    pytest.mark.docker,
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

SEED = FIXTURES / "seed-registry-part1.md"


def containers(client: Any) -> list[tuple[str, str]]:
    """`docker ps -a`: (id, name) of every container but other labs' sandbox nodes."""
    found = client.containers.list(all=True)
    return sorted((c.id, c.name) for c in found if "lab.sandbox.owner" not in c.labels)


class Tmux:
    """A tmux server of our own (`-S socket`): the user's sessions are never touched."""

    def __init__(self, socket: Path) -> None:
        self.socket = str(socket)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        return subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=check, env=env
        )

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "lab").stdout

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "lab", *keys)

    def wait(self, done: Callable[[str], bool], what: str, timeout: float = 60.0) -> str:
        seen = [""]

        def shown() -> bool:
            seen[0] = self.screen()
            return done(seen[0])

        wait_until_blocking(shown, timeout, what, show=lambda: seen[0])
        return seen[0]


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(tmp_path / "tmux.sock")
    yield server
    server("kill-server", check=False)


def test_seed_steps_pass_on_screen_and_reset_leaves_nothing(tmux: Tmux, state_dir: Path) -> None:
    client = connect()
    if any(name == "registry" for _, name in containers(client)):
        pytest.fail("a container named 'registry' exists already: the seed lesson needs the name")
    before = containers(client)
    command = (
        f"cd {shlex.quote(str(ROOT))} && exec env LAB_STATE_DIR={shlex.quote(str(state_dir))} "
        f"{shlex.quote(sys.executable)} -m lab open {shlex.quote(str(SEED))}"
    )
    try:
        tmux("new-session", "-d", "-s", "lab", "-x", "170", "-y", "45", command)
        tmux.wait(lambda s: "│$ " in s or any(x.rstrip().endswith("│$") for x in s.splitlines()),
                  "the prompt")  # fmt: skip
        assert "Docker registry for Linux Part 1" in tmux.screen()

        tmux.keys("Enter")  # step 1: docker run ... registry:2
        screen = tmux.wait(lambda s: "1/7 done" in s, "step 1 to pass")
        assert "✓ container registry is running (inferred)" in screen
        assert "✓ passed" in screen
        assert client.containers.get("registry").status == "running"

        tmux.keys("n", "Enter")  # step 2: docker pull hello-world
        tmux.wait(lambda s: "2/7 done" in s, "step 2 to pass")
        tmux.keys("n", "Enter")  # step 3: docker tag + docker push to the registry
        screen = tmux.wait(lambda s: "3/7 done" in s, "step 3 to pass")
        assert "registry serves 127.0.0.1:5000/hello-world:latest" in screen
        tmux.keys("n")  # Enter stays on the step: `n` moves on
        tmux.wait(lambda s: "Step 4 · term1" in s, "the next step to scroll into view", 5)

        tmux.keys("R")  # reset from the TUI, after the confirmation
        tmux.wait(lambda s: "Reset this lesson?" in s, "the confirmation")
        tmux.keys("y")
        tmux.wait(lambda s: "0/7 done" in s, "the reset")
        assert containers(client) == before
        tmux.keys("q")
        gone = lambda: tmux("has-session", "-t", "lab", check=False).returncode != 0  # noqa: E731
        wait_until_blocking(gone, 10, "q to quit the app")
    finally:
        tmux("kill-server", check=False)
        reset_lesson(SEED)  # whatever happened above: nothing of the lesson stays
    assert containers(client) == before
