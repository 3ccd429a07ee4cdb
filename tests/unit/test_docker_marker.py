"""Tests marked `docker` without an engine: skipped, saying why, on a developer's machine;
a failure in CI (CI=true or LAB_REQUIRE_DOCKER=1), never a silent skip (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.timeout(120)

TEST = """\
import pytest

@pytest.mark.docker
def test_needs_the_engine():
    pass

def test_needs_nothing():
    pass
"""


def run_pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest on a file of one `docker` test and one other, with tests/conftest.py as a plugin,
    and no engine at the address Docker clients use."""
    (tmp_path / "test_probe.py").write_text(TEST)
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "LAB_REQUIRE_DOCKER")}
    environ.update(DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock", **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-rs", str(tmp_path)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=100,
    )


def test_without_an_engine_docker_tests_are_skipped_saying_why(tmp_path: Path) -> None:
    r = run_pytest(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 1 skipped" in r.stdout
    assert "no Docker engine answers (start one: sudo scripts/test-env up)" in r.stdout


@pytest.mark.parametrize("env", [{"CI": "true"}, {"LAB_REQUIRE_DOCKER": "1"}])
def test_in_ci_without_an_engine_docker_tests_fail_the_run(
    tmp_path: Path, env: dict[str, str]
) -> None:
    r = run_pytest(tmp_path, **env)
    assert r.returncode == pytest.ExitCode.USAGE_ERROR, r.stdout + r.stderr
    assert "1 tests need Docker, but no Docker engine answers" in r.stdout + r.stderr
    assert "skipped" not in r.stdout
