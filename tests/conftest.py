"""Shared test helpers: fixture paths and running the `lab` CLI in-process or as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lessons"


@dataclass
class Result:
    """What a `lab` process did."""

    status: int
    stdout: str
    stderr: str


def run_lab(*args: str, cwd: Path | None = None, timeout: float = 300) -> Result:
    """Run `python -m lab ARGS` as a real process (as a user would)."""
    proc = subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def fixture_path() -> type[Path]:
    return Path


def fixture(name: str) -> Path:
    """Path of a fixture lesson."""
    path = FIXTURES / name
    assert path.exists(), path
    return path


# Fixture lessons are data: never collected as lesson tests by the lab plugin.
collect_ignore = ["fixtures"]


def _engine_answers() -> bool:
    try:
        from lab.checks import connect

        connect(timeout=10)
    except Exception:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `docker` need the real engine: skipped without one on a developer's machine,
    failed without one in CI (CI=true or LAB_REQUIRE_DOCKER=1), where `make check` starts it."""
    docker_items = [item for item in items if item.get_closest_marker("docker")]
    if not docker_items or _engine_answers():
        return
    required = os.environ.get("CI") == "true" or os.environ.get("LAB_REQUIRE_DOCKER") == "1"
    reason = "no Docker engine answers (start one: sudo scripts/test-env up)"
    if required:
        raise pytest.UsageError(f"{len(docker_items)} tests need Docker, but {reason}")
    for item in docker_items:
        item.add_marker(pytest.mark.skip(reason=reason))
