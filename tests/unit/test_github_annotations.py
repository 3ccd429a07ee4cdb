"""GitHub workflow annotations: the command syntax, GitHub's escaping, and where each failed
step, check and drift is annotated."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lab.lesson.model import Answer, Check, Diagnostic, ExpectedOutput, FrontMatter, Lesson, Step
from lab.render.github import (
    Annotation,
    diagnostic_annotation,
    escape_data,
    escape_property,
    repo_path,
    step_annotations,
)
from lab.runner.events import CheckResult, StepResult

COMMAND = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*)(?:,[a-z]+=[^,:]*)*)::(.*)$")
"""A workflow command line: `::LEVEL key=value,key=value::data` (values hold no `,` or `:`)."""


def unescape(text: str) -> str:
    """What GitHub's runner does to data and property values (the documented escapes)."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command line read back: level, properties, message."""
    match = COMMAND.match(line)
    assert match, line
    props = dict(p.split("=", 1) for p in match.group(2).split(","))
    return match.group(1), {k: unescape(v) for k, v in props.items()}, unescape(match.group(3))


def test_data_escaping_is_githubs() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_data("%0A is text") == "%250A is text"  # `%` first: no double decoding


def test_property_escaping_adds_colon_and_comma() -> None:
    assert escape_property("a:b,c%d\r\n") == "a%3Ab%2Cc%25d%0D%0A"


def test_annotation_syntax() -> None:
    note = Annotation("error", "lessons/a b.md", 9, "step 2: ls, failed", "exit 2\n100%")
    assert str(note) == (
        "::error file=lessons/a b.md,line=9,title=step 2%3A ls%2C failed::exit 2%0A100%25"
    )
    assert str(Annotation("warning", "a.md", None, "", "m")) == "::warning file=a.md::m"


@given(st.text(), st.text(), st.text())
def test_any_text_survives_the_round_trip(file: str, title: str, message: str) -> None:
    line = str(Annotation("notice", file or "f", 3, title, message))
    assert "\n" not in line and "\r" not in line
    level, props, text = parse(line)
    assert (level, props["file"], props["line"], text) == ("notice", file or "f", "3", message)
    assert props.get("title", "") == title


def test_lint_finding_at_its_line_with_hint() -> None:
    diag = Diagnostic("lessons/a.md", 12, "error", "unknown option 'timout'", "use timeout=")
    level, props, text = parse(str(diagnostic_annotation(diag)))
    assert (level, props["file"], props["line"]) == ("error", "lessons/a.md", "12")
    assert text == "unknown option 'timout'\nhint: use timeout="
    warning = Diagnostic("a.md", 5, "warning", "quiz has no correct answer")
    assert str(diagnostic_annotation(warning)).startswith("::warning file=a.md,line=5,")


def test_paths_relative_to_the_workspace(tmp_path: Path) -> None:
    inside = tmp_path / "lessons" / "a.md"
    assert repo_path(str(inside), str(tmp_path)) == "lessons/a.md"
    assert repo_path("/elsewhere/a.md", str(tmp_path)) == "/elsewhere/a.md"
    assert repo_path("lessons/a.md", None) == "lessons/a.md"


def _lesson(*steps: Step) -> Lesson:
    return Lesson(Path("lessons/l.md"), "", FrontMatter(), steps)


def test_failed_step_at_its_line_with_message_and_output_tail() -> None:
    step = Step(1, 1, "ls /no/such/directory\n", 9)
    result = StepResult("failed", 2, "\x1b[31mls: cannot access\x1b[0m\n", 0.1, "exited with 2")
    [note] = step_annotations(_lesson(step), step, result)
    level, props, text = parse(str(note))
    assert (level, props["file"], props["line"]) == ("error", "lessons/l.md", "9")
    assert props["title"] == "lab run: step 2 failed: ls /no/such/directory"
    assert text == "exited with 2\nls: cannot access"


def test_passed_and_skipped_steps_are_not_annotated() -> None:
    step = Step(0, 1, "true", 5)
    assert list(step_annotations(_lesson(step), step, StepResult("passed", 0))) == []
    assert list(step_annotations(_lesson(step), step, StepResult("skipped"))) == []


def test_timeout_and_error_are_errors_at_the_step() -> None:
    step = Step(0, 1, "sleep 30", 5)
    [late] = step_annotations(_lesson(step), step, StepResult("timeout", message="timed out"))
    assert parse(str(late))[1]["title"] == "lab run: step 1 timed out: sleep 30"
    [lost] = step_annotations(_lesson(step), step, StepResult("error", message="lost the shell"))
    assert parse(str(lost))[1]["title"] == "lab run: step 1 could not run: sleep 30"


def test_failed_checks_at_their_own_lines_inferred_at_the_step() -> None:
    written = Check("grep -q hello out.txt", 14, name="out.txt says hello")
    added = Check("test -f x", 7, origin="lessons/l.lab.yml")
    step = Step(0, 1, "echo hi > out.txt", 9, checks=(written, added))
    result = StepResult(
        "passed",
        0,
        checks=(
            CheckResult(
                "out.txt says hello", False, "", line=14, message="exited 1", check=written
            ),
            CheckResult("test -f x", False, "", line=7, message="exited 1", check=added),
            CheckResult("directory data exists", False, "", inferred=True, message="no data"),
            CheckResult("fine", True, line=20),
        ),
    )
    notes = [parse(str(n)) for n in step_annotations(_lesson(step), step, result)]
    assert [(p["file"], p["line"]) for _, p, _ in notes] == [
        ("lessons/l.md", "14"),
        ("lessons/l.lab.yml", "7"),
        ("lessons/l.md", "9"),
    ]
    assert notes[0][1]["title"] == "lab run: step 1 check failed: out.txt says hello"
    assert notes[2][1]["title"] == "lab run: step 1 inferred check failed: directory data exists"


def test_drift_is_a_warning_at_the_expected_output_block() -> None:
    step = Step(0, 1, "echo new", 5, expected_output=ExpectedOutput("old\n", 10))
    diff = "--- expected\n+++ actual\n@@ -1,1 +1,1 @@\n-old\n+new"
    [note] = step_annotations(_lesson(step), step, StepResult("passed", 0, "new\n", drift=diff))
    level, props, text = parse(str(note))
    assert (level, props["line"]) == ("warning", "10")
    assert text == "@@ -1,1 +1,1 @@\n-old\n+new"


def test_strict_drift_is_one_error_at_the_expected_output_block() -> None:
    step = Step(0, 1, "echo new", 5, expected_output=ExpectedOutput("old\n", 10))
    result = StepResult("failed", 0, "new\n", message="output drifted", drift="-\n+\n-old\n+new")
    [note] = step_annotations(_lesson(step), step, result)
    level, props, text = parse(str(note))
    assert (level, props["line"]) == ("error", "10")
    assert text == "output drifted\n-old\n+new"


def test_secrets_are_redacted() -> None:
    step = Step(0, 1, "login --password hunter2", 5, answers=(Answer("hunter2", secret=True),))
    result = StepResult("failed", 1, "bad password hunter2\n", message="exited with 1")
    [note] = step_annotations(_lesson(step), step, result)
    assert "hunter2" not in str(note)
    assert parse(str(note))[1]["title"] == "lab run: step 1 failed: login --password ******"
