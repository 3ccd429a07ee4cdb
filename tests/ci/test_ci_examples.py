"""The CI pipelines of docs/ci.md, kept in docs/examples/: valid YAML that GitHub's and
GitLab's schemas accept, shown in docs/ci.md as they are, and every `lab` command in them is
one `lab --help` lists, with options its own --help lists and arguments it accepts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.cli.main import COMMANDS, build_parser
from tests.conftest import ROOT, run_lab

EXAMPLES = ROOT / "docs" / "examples"
GITHUB = EXAMPLES / "github-actions-lessons.yml"
GITLAB = EXAMPLES / "gitlab-ci-lessons.yml"
SCHEMAS = {GITHUB: "vendor.github-workflows", GITLAB: "vendor.gitlab-ci"}
"""check-jsonschema's copies of each service's own schema (no network needed)."""


def _github_scripts(workflow: dict[Any, Any]) -> Iterator[str]:
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                yield step["run"]


def _gitlab_scripts(pipeline: dict[str, Any]) -> Iterator[str]:
    for name, job in pipeline.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        for key in ("before_script", "script", "after_script"):
            yield from job.get(key, [])


def lab_commands(script: str) -> Iterator[list[str]]:
    """The words of each simple command in a shell script that runs `lab`."""
    for line in script.splitlines():
        for command in re.split(r"&&|\|\||[;|&]", line):
            words = shlex.split(command, comments=True)
            if words and words[0] == "lab":
                yield words


def test_lab_commands_are_found_in_scripts() -> None:
    script = 'pipx install "$X"\nlab lint a/ && lab run b.md --junit r.xml | tee log; echo lab'
    assert list(lab_commands(script)) == [
        ["lab", "lint", "a/"],
        ["lab", "run", "b.md", "--junit", "r.xml"],
    ]


def _examples() -> dict[Path, list[list[str]]]:
    github = yaml.safe_load(GITHUB.read_text())
    assert {"name", "jobs"} <= set(github) and (True in github or "on" in github)  # `on:` = True
    gitlab = yaml.safe_load(GITLAB.read_text())
    found = {
        GITHUB: [w for s in _github_scripts(github) for w in lab_commands(s)],
        GITLAB: [w for s in _gitlab_scripts(gitlab) for w in lab_commands(s)],
    }
    for path, commands in found.items():
        assert {c[1] for c in commands} >= {"lint", "run"}, path
    return found


def test_every_lab_command_exists_with_its_options() -> None:
    top = run_lab("--help")
    assert top.status == 0
    listed = set(re.findall(r"^ {4}(\w+) ", top.stdout, re.MULTILINE))
    assert {"lint", "run", "doctor"} <= listed
    helps: dict[str, str] = {}
    for path, commands in _examples().items():
        for words in commands:
            sub = words[1]
            assert sub in listed, f"{path.name}: `lab {sub}` is not in `lab --help`"
            if sub not in helps:
                r = run_lab(sub, "--help")
                assert r.status == 0, r.stderr
                helps[sub] = r.stdout
            for word in words[2:]:
                option = word.split("=", 1)[0]
                if option.startswith("-"):
                    assert re.search(rf"(^|[\s,]){re.escape(option)}\b", helps[sub]), (
                        f"{path.name}: `lab {sub}` has no option {option}"
                    )
            parser = build_parser(COMMANDS, sub)
            try:
                parser.parse_args(words[1:])
            except SystemExit as exc:
                raise AssertionError(f"{path.name}: {shlex.join(words)} is refused") from exc


def test_the_checker_refuses_what_lab_does_not_have(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser(COMMANDS, "run").parse_args(["run", "lessons/", "--junitt", "r.xml"])
    capsys.readouterr()


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda p: p.name)
def test_examples_match_their_services_schema(path: Path) -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if checker is None:
        pytest.skip("check-jsonschema is not installed (it is in the dev extra: make install)")
    done = subprocess.run(
        [checker, "--builtin-schema", SCHEMAS[path], str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda p: p.name)
def test_docs_show_the_examples_as_they_are(path: Path) -> None:
    doc = (ROOT / "docs" / "ci.md").read_text()
    assert f"```yaml\n{path.read_text().rstrip()}\n```" in doc
    assert f"(examples/{path.name})" in doc


def test_readme_links_to_the_ci_guide() -> None:
    readme = (ROOT / "README.md").read_text()
    verifies = readme.split("## What `lab run` verifies", 1)[1].split("\n## ", 1)[0]
    assert "(docs/ci.md)" in verifies
