"""The headless core must not import Textual (the TUI is a thin renderer on top)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import ROOT


def lab_modules() -> list[str]:
    """Every module of the lab package, by walking its files (so none is forgotten)."""
    package = ROOT / "lab"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


CORE = [m for m in lab_modules() if m != "lab.tui" and not m.startswith("lab.tui.")]
"""The headless core: everything but the TUI (lab.__main__ included, as `python -m lab`)."""


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
    assert len(CORE) > 50  # the walk found the package
    assert_imports_none_of([m for m in CORE if m != "lab.__main__"], ("textual",))


def test_the_textual_contract_names_every_core_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    forbidden = next(c for c in contracts if c["forbidden_modules"] == ["textual"])
    tops = {".".join(m.split(".")[:2]) for m in CORE if m not in ("lab", "lab.__main__")}
    assert tops - set(forbidden["source_modules"]) == set()


def test_the_layers_contract_places_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    tops = {".".join(m.split(".")[:2]) for m in lab_modules() if m not in ("lab", "lab.__main__")}
    assert tops - placed == set()


def test_import_linter_contract() -> None:
    tool = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(tool)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


START_PATH = [
    "lab.cli.main",
    "lab.cli.run",
    "lab.hoststate.doctor",
    "lab.hoststate",
    "lab.engine.api",
]
"""What `lab run` imports before its first step: the preflight and the host snapshot read the
engine without the docker SDK, whose import (requests, urllib3) costs ~70 ms at every start;
checks and cleanup import it while the first step runs (lab.runner.warmup)."""


def test_lab_run_starts_without_the_docker_sdk_or_rich() -> None:
    assert_imports_none_of(START_PATH, ("docker", "requests", "urllib3", "rich"))


def test_every_exported_name_resolves() -> None:
    """Packages that import their names on first use (PEP 562) name a home for each: a module
    moved elsewhere must not leave `from lab.checks import connect` failing at run time."""
    import importlib

    missing = []
    for name in lab_modules():
        if name == "lab.__main__":
            continue
        module = importlib.import_module(name)
        for export in getattr(module, "__all__", ()):
            try:
                getattr(module, export)
            except (AttributeError, ImportError) as e:
                missing.append(f"{name}.{export}: {e}")
    assert missing == []
