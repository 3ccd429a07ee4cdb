"""`pytest lessons/` collects each step of each lesson as a test item, in order."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.timeout(180)


def pytest_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=170,
    )


def make_lessons(tmp_path: Path, *names: str) -> Path:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    for name in names:
        shutil.copy(FIXTURES / name, lessons / name)
    (lessons / "README.md").write_text("# Just prose, no steps\n")
    return lessons


def test_steps_become_items_in_order(tmp_path: Path) -> None:
    make_lessons(tmp_path, "run-pass.md", "run-captures.md")
    proc = pytest_run(tmp_path, "lessons/")
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "lessons/run-captures.md::step1-line5 PASSED" in out
    assert "lessons/run-captures.md::step2-line13 PASSED" in out  # shares the shell: sees $ID
    assert "lessons/run-pass.md::step1-line7 PASSED" in out
    assert "4 passed" in out
    assert "README" not in out


def test_failure_is_reported_and_later_steps_skipped(tmp_path: Path) -> None:
    make_lessons(tmp_path, "run-failing-step.md")
    junit = tmp_path / "junit.xml"
    proc = pytest_run(tmp_path, "lessons/", f"--junitxml={junit}")
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "step1-line5 PASSED" in out
    assert "step2-line9 FAILED" in out
    assert "step3-line13 SKIPPED" in out
    assert "exited with status 2 (expected 0)" in out
    assert junit.exists()


def test_lesson_with_errors_is_one_failing_item(tmp_path: Path) -> None:
    make_lessons(tmp_path, "unknown-option.md")
    proc = pytest_run(tmp_path, "lessons/")
    assert proc.returncode == 1
    assert "unknown-option.md:5: unknown option 'timout'" in proc.stdout


def test_markdown_not_named_is_not_collected(tmp_path: Path) -> None:
    make_lessons(tmp_path, "run-pass.md")
    (tmp_path / "test_nothing.py").write_text("def test_ok():\n    pass\n")
    proc = pytest_run(tmp_path, "test_nothing.py")
    assert "1 passed" in proc.stdout and "run-pass" not in proc.stdout
    proc = pytest_run(tmp_path)  # no arguments: only Python tests, never lesson files
    assert "1 passed" in proc.stdout and "run-pass" not in proc.stdout
