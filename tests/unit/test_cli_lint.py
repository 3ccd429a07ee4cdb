"""`lab lint`, `lab steps`, `lab list` as a user runs them: exit status and output."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, run_lab

SEED = FIXTURES / "seed-registry-part1.md"


def test_lint_seed_is_clean() -> None:
    r = run_lab("lint", str(SEED))
    assert r.status == 0, r.stdout + r.stderr
    assert r.stdout == ""
    assert "1 file checked: 0 error(s), 0 warning(s)" in r.stderr


def test_lint_warnings_only_exits_zero() -> None:
    r = run_lab("lint", str(FIXTURES / "quiz-no-correct.md"))
    assert r.status == 0
    assert "quiz-no-correct.md:5: warning: quiz has no correct answer" in r.stdout


def test_lint_errors_exit_one_with_file_line_and_hint_no_traceback() -> None:
    for name, line, text in [
        ("unterminated-fence.md", 7, "code fence opened here with ``` is never closed"),
        ("broken-yaml.md", 4, "front matter is not valid YAML"),
        ("unknown-option.md", 5, "unknown option 'timout'; did you mean 'timeout'?"),
    ]:
        r = run_lab("lint", str(FIXTURES / name))
        assert r.status == 1, name
        assert f"{name}:{line}: error: {text}" in r.stdout
        assert "hint:" in r.stdout
        assert "Traceback" not in r.stdout + r.stderr


def test_lint_directory_recurses(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.markdown").write_text("```.term1\n")
    (tmp_path / "ok.md").write_text("```.term1\ntrue\n```\n")
    (tmp_path / "notes.txt").write_text("```.term1\n")
    r = run_lab("lint", str(tmp_path))
    assert r.status == 1
    assert "deep.markdown:1: error" in r.stdout
    assert "notes.txt" not in r.stdout
    assert "2 files checked" in r.stderr


def test_lint_usage_errors_exit_two() -> None:
    assert run_lab("lint").status == 2
    r = run_lab("lint", "/no/such/place")
    assert r.status == 2 and "no such file or directory" in r.stderr
    assert run_lab("frobnicate").status == 2


def test_lint_empty_directory_is_usage_error(tmp_path: Path) -> None:
    r = run_lab("lint", str(tmp_path))
    assert r.status == 2 and "no lesson files" in r.stderr


def test_lint_binary_file_no_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "junk.md"
    junk.write_bytes(b"\x00\xff\xfe binary \x80")
    r = run_lab("lint", str(junk))
    assert r.status == 1
    assert "junk.md:1: error: not UTF-8 text" in r.stdout
    assert "Traceback" not in r.stderr


def test_steps_json_lists_seed_steps_with_lines() -> None:
    r = run_lab("steps", "--json", str(SEED))
    assert r.status == 0, r.stderr
    plan = json.loads(r.stdout)
    assert [s["line"] for s in plan["steps"]] == [63, 68, 87, 102, 111, 118, 123]
    assert {s["terminal"] for s in plan["steps"]} == {1}
    push = plan["steps"][2]
    assert push["expected_output"] is True and "docker push" in push["command"]


def test_steps_text_shows_checks() -> None:
    r = run_lab("steps", str(FIXTURES / "check-block.md"))
    assert r.status == 0
    assert "check (line 10): data directory exists" in r.stdout
    assert "$ mkdir -p data" in r.stdout


def test_steps_on_broken_lesson_exits_two() -> None:
    r = run_lab("steps", str(FIXTURES / "broken-yaml.md"))
    assert r.status == 2
    assert "broken-yaml.md:4:" in r.stderr and "Traceback" not in r.stderr


def test_list_shows_lessons_in_order() -> None:
    r = run_lab("list", str(FIXTURES))
    assert r.status == 0
    first = r.stdout.splitlines()[0]
    assert "Lab settings" in first  # the only fixture with lab.order comes first
    assert "~15 min" in first


def test_python_dash_m_and_version() -> None:
    r = run_lab("--version")
    assert r.status == 0 and r.stdout.startswith("lab ")


def test_help_lists_commands() -> None:
    r = run_lab("--help", cwd=ROOT)
    assert r.status == 0
    for word in ("lint", "steps", "list", "run"):
        assert word in r.stdout


def _env(**changes: str | None) -> dict[str, str]:
    """This environment outside GitHub Actions, with changes (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_lint_github_format_annotates_each_finding_at_its_line() -> None:
    lesson = FIXTURES / "unknown-option.md"
    r = run_lab("lint", "--format", "github", str(lesson), env=_env(GITHUB_WORKSPACE=str(ROOT)))
    assert r.status == 1
    assert "unknown-option.md:5: error: unknown option 'timout'" in r.stdout  # plain stays
    assert (
        "::error file=tests/fixtures/lessons/unknown-option.md,line=5,title=lab lint::"
        "unknown option 'timout'; did you mean 'timeout'?%0Ahint: known options: "
    ) in r.stdout


def test_lint_chooses_github_inside_github_actions_unless_told_plain() -> None:
    lesson = str(FIXTURES / "quiz-no-correct.md")
    assert "::" not in run_lab("lint", lesson, env=_env()).stdout  # plain is the default
    inside = run_lab("lint", lesson, env=_env(GITHUB_ACTIONS="true"))
    assert f"::warning file={lesson},line=5,title=lab lint::quiz has no correct" in inside.stdout
    told = run_lab("lint", "--format", "plain", lesson, env=_env(GITHUB_ACTIONS="true"))
    assert told.status == 0 and "::" not in told.stdout


def test_lint_of_an_overlay_checks_its_lesson_once(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("```.term1\necho a\n```\n")
    (tmp_path / "a.lab.yml").write_text("steps:\n  - step: 1\n    timout: 5\n")
    r = run_lab("lint", str(tmp_path / "a.lab.yml"), str(tmp_path / "a.md"))
    assert r.status == 1, r.stdout + r.stderr
    assert "a.lab.yml:3: error" in r.stdout
    assert "1 file checked" in r.stderr
    (tmp_path / "lone.lab.yml").write_text("steps: []\n")
    lone = run_lab("lint", str(tmp_path / "lone.lab.yml"))
    assert lone.status == 2
    assert "lone.lab.yml: a lesson overlay, but there is no lesson lone.md beside it" in lone.stderr


def test_reading_only_lesson_lints_clean_and_has_no_steps() -> None:
    lesson = str(FIXTURES / "terms-zero.md")
    r = run_lab("lint", lesson)
    assert r.status == 0 and r.stdout == "", r.stdout
    assert "1 file checked: 0 error(s), 0 warning(s)" in r.stderr
    r = run_lab("steps", lesson)
    assert r.status == 0
    assert (
        r.stdout == f"{lesson}: A reading-only lesson (no steps: a reading-only lesson, 1 quiz)\n"
    )
    r = run_lab("steps", "--json", lesson)
    plan = json.loads(r.stdout)
    assert plan["terms"] == 0 and plan["steps"] == [] and plan["quizzes"] == 1


def test_terms_beyond_six_or_negative_is_an_error() -> None:
    from lab.lesson.parser import parse_text

    for value in ("7", "-1"):
        lesson = parse_text(f"---\nterms: {value}\n---\ntext\n", "t.md")
        assert [str(d).split("\n")[0] for d in lesson.diagnostics if d.severity == "error"] == [
            f"t.md:2: error: terms must be a whole number from 0 to 6, not '{value}'"
        ]
