"""Shared test helpers: fixture paths and running the `lab` CLI in-process or as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lessons"


@dataclass
class Result:
    """What a `lab` process did."""

    status: int
    stdout: str
    stderr: str


def run_lab(
    *args: str, cwd: Path | None = None, timeout: float = 300, env: dict[str, str] | None = None
) -> Result:
    """Run `python -m lab ARGS` as a real process (as a user would); env: its environment
    (default: this one)."""
    proc = subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=cwd or ROOT,
        env=env,
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


PWD_POSTS = ROOT.parent / "shared" / "pwd"
"""Public Play with Docker posts kept beside the repository (test data, read in place)."""


def pwd_post(name: str) -> Path:
    """Path of a Play with Docker post in ../shared/pwd; the test is skipped without it."""
    path = PWD_POSTS / name
    if not path.is_file():
        pytest.skip(f"{path} is not here (the PWD posts are kept beside the repository)")
    return path


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """lab's state (progress, session records, workspaces, kept sandboxes) of every test, and
    of every lab process a test starts, goes to a directory of its own (`LAB_STATE_DIR`, see
    lab/statefiles.py): no test touches a user's state or another test's."""
    path = tmp_path / "state"
    monkeypatch.setenv("LAB_STATE_DIR", str(path))
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


def sandbox_leftovers(client: Any) -> list[str]:
    """lab's sandbox objects left by this process or by a lab process that is gone; removed,
    except a sandbox someone kept on purpose (`lab run --keep`: `lab reset` removes it)."""
    from lab.sandbox import remove_run
    from lab.sandbox.owner import KEPT, OWNER, RUN, Owner

    mine = Owner.current().label
    selector = {"label": OWNER}
    objects = [
        *client.containers.list(all=True, filters=selector),
        *client.volumes.list(filters=selector),
        *client.networks.list(filters=selector),
    ]
    left: list[str] = []
    runs: dict[str, bool] = {}  # run -> kept on purpose
    for obj in objects:
        labels = obj.attrs.get("Labels") or obj.attrs.get("Config", {}).get("Labels") or {}
        owner = Owner.from_labels(labels)
        if owner is None or owner.label == mine or not owner.alive():
            left.append(f"{type(obj).__name__.lower()} {obj.name}")
            run = labels.get(RUN, "")
            runs[run] = runs.get(run, False) or bool(labels.get(KEPT))
    for run, kept in runs.items():
        if not kept:
            remove_run(client, run)
    return left


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No container, network or volume labelled by lab may outlive the test session: any left
    by this session or by a lab process that is gone fails it (see sandbox_leftovers)."""
    if not any(item.get_closest_marker("docker") for item in session.items):
        return
    try:
        from lab.checks import connect

        left = sandbox_leftovers(connect(timeout=30))
    except Exception:
        return
    if not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            "lab sandbox objects left on the host engine (removed unless kept): " + ", ".join(left),
            red=True,
        )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
