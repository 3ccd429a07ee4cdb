"""The headless core must not import Textual (the TUI is a thin renderer on top)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

CORE = [
    "lab.model",
    "lab.parser",
    "lab.lint",
    "lab.options",
    "lab.frontmatter",
    "lab.plan",
    "lab.errors",
    "lab.shell",
    "lab.runner",
    "lab.headless",
    "lab.runall",
    "lab.engineapi",
    "lab.report.junit",
    "lab.report.json_report",
    "lab.render.console",
    "lab.pytest_plugin",
    "lab.checks",
    "lab.doctor",
    "lab.hoststate",
    "lab.dockercmd",
    "lab.cli",
    "lab.sandbox",
    "lab.overlay",
    "lab.applinks",
    "lab.document",
    "lab.progress",
    "lab.learn",
]


def assert_imports_none_of(modules: list[str], packages: tuple[str, ...]) -> None:
    """Importing modules, in a fresh interpreter, loads no module of those packages."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {packages!r})\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_core_imports_no_textual() -> None:
    assert_imports_none_of(CORE, ("textual",))


def test_import_linter_contract() -> None:
    tool = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(tool)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


START_PATH = ["lab.cli", "lab.headless", "lab.doctor", "lab.hoststate", "lab.engineapi"]
"""What `lab run` imports before its first step: the preflight and the host snapshot read the
engine without the docker SDK, whose import (requests, urllib3) costs ~70 ms at every start;
checks and cleanup import it while the first step runs (lab.runner.warmup)."""


def test_lab_run_starts_without_the_docker_sdk_or_rich() -> None:
    assert_imports_none_of(START_PATH, ("docker", "requests", "urllib3", "rich"))
