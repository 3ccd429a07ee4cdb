"""A learner's journeys through the course in a real terminal (tmux) against the real engine:
quitting half-way and finishing, a failure whose cause is an earlier step's container, two
lessons that want the same container name, a `lab run` killed before its cleanup."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.checks import connect
from lab.learner.session import reset_lesson
from tests.conftest import FIXTURES, ROOT, run_lab
from tests.tmux import CODE, Tmux, at_prompt

pytestmark = [
    pytest.mark.docker,
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

PART1 = ROOT / "lessons" / "registry-1-local.md"
SEED = FIXTURES / "seed-registry-part1.md"
TAG = "127.0.0.1:5000/hello-world:latest"


def registry(client: Any) -> dict[str, Any] | None:
    """The container named `registry` (the engine's listing of it), if any."""
    found: list[dict[str, Any]] = client.api.containers(all=True, filters={"name": "^/registry$"})
    return found[0] if found else None


@pytest.fixture
def client() -> Iterator[Any]:
    engine = connect()
    if registry(engine) is not None:
        pytest.fail("a container named 'registry' exists already: the course needs the name")
    yield engine
    for lesson in (PART1, SEED):  # whatever happened: nothing of the lessons stays
        reset_lesson(lesson)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(tmp_path / "tmux.sock")
    yield server
    server("kill-server", check=False)


def open_lesson(tmux: Tmux, lesson: Path, state: Path) -> str:
    tmux.lab("open", str(lesson), state=state)
    return tmux.wait(at_prompt, "the lesson with its prompt", 60)


def run_steps(tmux: Tmux, first: int, last: int, total: int) -> str:
    """Enter on each step from first to last (the current one is first), `n` between."""
    screen = ""
    for n in range(first, last + 1):
        tmux.keys("Enter")
        screen = tmux.wait_for(f"{n}/{total} done", 60)
        if n < last:
            tmux.keys("n")
    return screen


def quit_app(tmux: Tmux) -> None:
    tmux.keys("q")
    assert tmux.ended(), "q quits"


def test_quit_half_way_reopen_and_finish_green_with_no_rerun(
    tmux: Tmux, client: Any, state_dir: Path
) -> None:
    open_lesson(tmux, PART1, state_dir)
    run_steps(tmux, 1, 8, 13)  # the second push captured $DIGEST again
    quit_app(tmux)

    screen = open_lesson(tmux, PART1, state_dir)
    screen = tmux.wait_for("Taken up where you left off")
    assert "captured $DIGEST" in screen and "8/13 done" in screen
    tmux.keys("F6")
    tmux.type('echo "digest=$DIGEST"')
    tmux.keys("Enter")
    tmux.wait_for("digest=sha256:")  # the shell has it too
    tmux.keys("F6", "Enter")  # step 9: its check reads the blob named by $DIGEST
    tmux.wait_for("9/13 done", 60)
    tmux.keys("n", "Enter")  # step 10: a new container serves the image with $DIGEST
    screen = tmux.wait_for("10/13 done", 60)
    assert "✗" not in screen.splitlines()[0] and "Gone since" not in screen


def test_a_failure_after_docker_rm_names_the_step_to_run_again(
    tmux: Tmux, client: Any, state_dir: Path
) -> None:
    open_lesson(tmux, PART1, state_dir)
    run_steps(tmux, 1, 3, 13)
    tmux.keys("n", "F6")
    tmux.type("docker rm -f registry")
    tmux.keys("Enter")
    tmux.wait(lambda s: registry(client) is None, "the container to go", 30)
    tmux.keys("F6", "Enter")  # step 4: the push fails
    screen = tmux.wait_for("run step 1 again", 60)
    assert "What to try" in screen and "container 'registry'" in screen
    assert "it comes from step 1 — run step 1 again" in screen
    header = screen.splitlines()[0]
    assert "✗ 1 failed" in header and "! 1 undone" in header, header


def test_reset_removes_only_what_its_own_session_made(
    tmux: Tmux, client: Any, state_dir: Path
) -> None:
    open_lesson(tmux, PART1, state_dir)
    run_steps(tmux, 1, 1, 13)
    first = registry(client)["Id"]  # type: ignore[index]
    quit_app(tmux)

    tmux.lab("open", str(SEED), state=state_dir)  # its step 1 wants the name `registry` too
    screen = tmux.wait_for("Another lesson is in the way", 60)
    assert "registry-1-local.md" in screen and "Reset that lesson" in screen
    tmux.keys("Tab", "Enter")  # Keep it
    tmux.wait(at_prompt, "the prompt")
    tmux.keys("F6")
    tmux.type("docker rm -f registry")  # in the lesson's terminal the guard keeps it
    tmux.keys("Enter")
    tmux.wait_for("lab protected container 'registry': it existed before this lesson", 30)
    assert registry(client) is not None
    client.containers.get("registry").remove(force=True)  # the learner's own shell frees it
    tmux.wait(lambda s: registry(client) is None, "the container to go", 30)
    tmux.keys("F6", "Enter")
    tmux.wait_for("1/7 done", 60)
    second = registry(client)["Id"]  # type: ignore[index]
    assert second != first
    quit_app(tmux)

    reset = run_lab("reset", "--yes", str(PART1))
    assert reset.status == 0, reset.stdout + reset.stderr
    assert (registry(client) or {}).get("Id") == second, (
        "part 1's reset left the seed's container alone"
    )

    tmux.lab("open", str(PART1), state=state_dir)  # the seed's session is in the way now
    screen = tmux.wait_for("Another lesson is in the way", 60)
    assert "seed-registry-part1.md" in screen
    tmux.keys("Enter")  # Reset that lesson
    tmux.wait(lambda s: registry(client) is None, "the seed's reset", 30)
    tmux.wait_for("removed container registry")


def test_a_reset_removes_the_tags_the_lesson_made(tmux: Tmux, client: Any, state_dir: Path) -> None:
    open_lesson(tmux, PART1, state_dir)
    run_steps(tmux, 1, 4, 13)  # docker tag ... 127.0.0.1:5000/hello-world, push
    assert any(TAG in image.tags for image in client.images.list())
    quit_app(tmux)
    reset = run_lab("reset", "--yes", str(PART1))
    assert reset.status == 0, reset.stdout + reset.stderr
    removed = [line for line in reset.stdout.splitlines() if ": removed " in line]
    assert any(TAG in line for line in removed), reset.stdout  # the tag, or its image
    assert not any(TAG in image.tags for image in client.images.list())
    assert registry(client) is None


def test_a_killed_lab_run_is_named_with_the_reset_that_cleans_it(
    client: Any, state_dir: Path
) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "run", str(PART1)],
        cwd=CODE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        end = time.monotonic() + 60
        while (registry(client) or {}).get("State") != "running":
            assert time.monotonic() < end and proc.poll() is None, "step 1 never ran"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    again = run_lab("run", str(PART1))
    assert again.status == 3, again.stdout + again.stderr
    assert f"it was left by lab's interrupted run of {PART1}" in again.stderr
    assert f"`lab reset {PART1}`" in again.stderr
    reset = run_lab("reset", "--yes", str(PART1))
    assert reset.status == 0 and registry(client) is None, reset.stdout + reset.stderr
