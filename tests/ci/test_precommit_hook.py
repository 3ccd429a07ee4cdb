"""The pre-commit hook (.pre-commit-hooks.yaml) as a lesson repository uses it: pre-commit
builds lab from this repository, and a broken lesson or overlay blocks the commit with
`file:line`. Slow (pre-commit installs lab and its dependencies into a fresh environment)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CLEAN = "---\ntitle: Clean\n---\n\n```.term1\necho hello\n```\n"
BROKEN = "---\ntitle: Broken\n---\n\n```.term1 timout=5\necho hello\n```\n"
BROKEN_OVERLAY = "steps:\n  - step: 1\n    timout: 5\n"


def _git_env(home: Path) -> dict[str, str]:
    """An environment for git and pre-commit that is the same on every machine: a fixed
    author, no user or system git config, pre-commit's cache under home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_"))}
    env.update(
        GIT_AUTHOR_NAME="Lesson Author",
        GIT_AUTHOR_EMAIL="author@example.invalid",
        GIT_COMMITTER_NAME="Lesson Author",
        GIT_COMMITTER_EMAIL="author@example.invalid",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home / "pre-commit-cache"),
    )
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=540, check=False
    )


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("pre-commit is not installed (it is in the dev extra: make install)")
    return found


@pytest.fixture
def lab_repo(tmp_path: Path) -> Path:
    """This working tree as it is now (committed or not, without ignored files), committed
    in a repository of its own: what a lesson repository's pre-commit clones."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and lab's source as a git checkout")
    env = _git_env(tmp_path)
    listed = _run(["git", "ls-files", "-z", "-co", "--exclude-standard"], ROOT, env)
    assert listed.returncode == 0, listed.stderr
    repo = tmp_path / "lab"
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    for args in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "lab"]):
        done = _run(args, repo, env)
        assert done.returncode == 0, done.stderr
    return repo


def _lessons(tmp_path: Path, env: dict[str, str]) -> Path:
    """A scratch lesson repository with a clean and a broken lesson, both staged."""
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "clean.md").write_text(CLEAN)
    (lessons / "broken.md").write_text(BROKEN)
    assert _run(["git", "init", "-q"], lessons, env).returncode == 0
    assert _run(["git", "add", "clean.md", "broken.md"], lessons, env).returncode == 0
    return lessons


def test_hook_definition_matches_lessons_and_overlays() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == ("lab-lint", "lab lint", "python")
    files = re.compile(hook["files"])
    for name in ("a.md", "dir/b.markdown", "a.lab.yml", "a.lab.yaml"):
        assert files.search(name), name
    for name in ("a.py", "a.yml", "notes.txt", "md"):
        assert not files.search(name), name


def test_try_repo_fails_on_the_broken_lesson_with_file_and_line(
    lab_repo: Path, tmp_path: Path
) -> None:
    env = _git_env(tmp_path)
    lessons = _lessons(tmp_path, env)
    tried = _run([_pre_commit(), "try-repo", str(lab_repo), "lab-lint"], lessons, env)
    out = tried.stdout + tried.stderr
    assert tried.returncode == 1, out
    assert "broken.md:5: error: unknown option 'timout'; did you mean 'timeout'?" in out
    assert "clean.md:" not in out
    assert "2 files checked: 1 error(s), 0 warning(s)" in out  # the clean one was linted too


def test_installed_hook_blocks_the_commit_until_the_lesson_is_fixed(
    lab_repo: Path, tmp_path: Path
) -> None:
    env = _git_env(tmp_path)
    lessons = _lessons(tmp_path, env)
    head = _run(["git", "rev-parse", "HEAD"], lab_repo, env).stdout.strip()
    config = {"repos": [{"repo": str(lab_repo), "rev": head, "hooks": [{"id": "lab-lint"}]}]}
    (lessons / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    installed = _run([_pre_commit(), "install"], lessons, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    blocked = _run(["git", "commit", "-m", "two lessons"], lessons, env)
    assert blocked.returncode != 0
    assert "broken.md:5: error: unknown option 'timout'" in blocked.stdout + blocked.stderr
    assert _run(["git", "rev-parse", "--verify", "HEAD"], lessons, env).returncode != 0

    (lessons / "broken.md").write_text(BROKEN.replace("timout", "timeout"))
    _run(["git", "add", "broken.md"], lessons, env)
    done = _run(["git", "commit", "-m", "two lessons"], lessons, env)
    assert done.returncode == 0, done.stdout + done.stderr

    (lessons / "clean.lab.yml").write_text(BROKEN_OVERLAY)  # an overlay alone changes
    _run(["git", "add", "clean.lab.yml"], lessons, env)
    overlay = _run(["git", "commit", "-m", "an overlay"], lessons, env)
    assert overlay.returncode != 0
    assert "clean.lab.yml:3: error" in overlay.stdout + overlay.stderr
