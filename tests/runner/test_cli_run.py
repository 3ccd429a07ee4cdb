"""`lab run` as a user runs it: every exit code, live output, JUnit and JSON reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lab.errors import ExitStatus
from tests.conftest import FIXTURES, ROOT, run_lab
from tests.waiting import wait_until_blocking

pytestmark = pytest.mark.timeout(180)


def fx(name: str) -> str:
    return str(FIXTURES / name)


def test_all_pass_exits_0_and_junit_agrees(tmp_path: Path) -> None:
    junit, report = tmp_path / "r.xml", tmp_path / "r.json"
    r = run_lab("run", fx("run-pass.md"), "--junit", str(junit), "--json", str(report))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert "PASSED" in r.stdout and "total time" in r.stdout
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "0", "0")
    names = [c.get("name") for c in root.iter("testcase")]
    assert names[0].startswith("step 1 (line 7): mkdir -p data")
    assert names[1] == "step 1 inferred check: directory data exists"
    assert names[2].startswith("step 1 check (line 11): greeting written")
    data = json.loads(report.read_text())
    assert data["passed"] is True
    assert [s["status"] for s in data["lessons"][0]["steps"]] == ["passed", "passed"]


def test_failing_step_exits_1_and_junit_has_failure(tmp_path: Path) -> None:
    junit = tmp_path / "r.xml"
    r = run_lab("run", fx("run-failing-step.md"), "--junit", str(junit))
    assert r.status == ExitStatus.FAILED
    assert "FAIL" in r.stdout and "exited with status 2 (expected 0)" in r.stdout
    assert "No such file or directory" in r.stdout  # the output tail
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    failures = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert len(failures) == 1 and "line 9" in failures[0].get("name", "")


def test_failing_check_exits_1_and_junit_has_failure(tmp_path: Path) -> None:
    junit = tmp_path / "r.xml"
    r = run_lab("run", fx("run-failing-check.md"), "--junit", str(junit))
    assert r.status == ExitStatus.FAILED
    assert "out.txt says hello" in r.stdout
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    failure = next(c for c in root.iter("testcase") if c.find("failure") is not None)
    assert "check (line 9): out.txt says hello" in failure.get("name", "")


def test_lesson_error_exits_2_with_file_line() -> None:
    r = run_lab("run", fx("unknown-option.md"))
    assert r.status == ExitStatus.USAGE
    assert "unknown-option.md:5:" in r.stderr and "Traceback" not in r.stderr


def test_reading_only_lesson_has_nothing_to_run_and_exits_0() -> None:
    r = run_lab("run", fx("terms-zero.md"))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert "A reading-only lesson" in r.stdout
    assert "nothing to run, a reading-only lesson; 1 quiz to answer in `lab open`" in r.stdout
    r = run_lab("run", fx("terms-zero.md"), fx("run-pass.md"))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert "nothing to run" in r.stdout and "1/1 lessons passed" in r.stdout


def test_usage_error_exits_2() -> None:
    assert run_lab("run").status == ExitStatus.USAGE
    assert run_lab("run", "/no/such/lesson.md").status == ExitStatus.USAGE
    assert run_lab("run", fx("run-pass.md"), "--timeout", "soon").status == ExitStatus.USAGE


def test_environment_not_ready_exits_3(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # no bash anywhere on PATH
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "run", fx("run-pass.md")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == ExitStatus.ENV_NOT_READY
    assert "bash is not installed" in proc.stderr


def test_unanswered_read_fails_within_timeout_showing_prompt() -> None:
    started = time.monotonic()
    r = run_lab("run", fx("run-unanswered-read.md"))
    assert r.status == ExitStatus.FAILED
    assert "waiting for input at prompt 'Your name:'" in r.stdout
    assert time.monotonic() - started < 60  # the step's timeout=60 was never reached


def test_ctrl_c_exits_130_reports_and_cleans_up(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    lesson = tmp_path / "long.md"
    lesson.write_text(
        "```.term1\necho first\n```\n\n"
        f"```.term1\ntouch {marker}; sleep 1000\n```\n\n```.term1\necho never\n```\n"
    )
    junit = tmp_path / "r.xml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "run", str(lesson), "--junit", str(junit)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until_blocking(marker.exists, 60, "the long step to start")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitStatus.INTERRUPTED, out + err
    assert "interrupted" in out and "(1/3 steps ran)" in out
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "1"
    check = subprocess.run(["pgrep", "-f", f"touch {marker}; sleep 1000"], capture_output=True)
    assert check.returncode == 1, "the step's sleep survived Ctrl-C"


def test_plain_output_has_no_control_characters() -> None:
    r = run_lab("run", fx("run-timeout.md"))
    assert r.status == ExitStatus.FAILED
    assert "TIMEOUT" in r.stdout
    assert "\x1b" not in r.stdout and "\r" not in r.stdout


def test_several_lessons_and_directories(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("```.term1\necho a\n```\n")
    (tmp_path / "b.md").write_text("```.term1\necho b\n```\n")
    (tmp_path / "prose.md").write_text("# no steps here\n")
    r = run_lab("run", str(tmp_path))
    assert r.status == ExitStatus.OK, r.stdout
    assert "2/2 lessons passed" in r.stdout


def test_junit_escapes_control_characters(tmp_path: Path) -> None:
    lesson = tmp_path / "ctl.md"
    lesson.write_text("```.term1\nprintf 'bell\\a esc\\033[31m red\\n'; false\n```\n")
    junit = tmp_path / "r.xml"
    r = run_lab("run", str(lesson), "--junit", str(junit))
    assert r.status == ExitStatus.FAILED
    root = ET.parse(junit).getroot()  # parses: the XML is valid
    assert "red" in (root.find(".//system-out").text or "")  # type: ignore[union-attr]


def _outside_github() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}


def test_github_actions_annotates_the_failing_step_at_its_line() -> None:
    env = _outside_github()
    env.update(GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(ROOT))
    r = run_lab("run", fx("run-failing-step.md"), env=env)
    assert r.status == ExitStatus.FAILED
    assert "FAIL     2 line 9" in r.stdout  # the plain lines stay
    assert (
        "::error file=tests/fixtures/lessons/run-failing-step.md,line=9,"
        "title=lab run%3A step 2 failed%3A ls /no/such/directory::"
        "exited with status 2 (expected 0)%0Als: cannot access '/no/such/directory': "
        "No such file or directory\n"
    ) in r.stdout
    assert r.stdout.count("::error") == 1
    env["GITHUB_ACTIONS"] = "false"
    assert "::error" not in run_lab("run", fx("run-failing-step.md"), env=env).stdout
    told = run_lab("run", "--format", "plain", fx("run-failing-step.md"), env=env)
    assert "::error" not in told.stdout


def test_github_format_warns_of_drift_at_the_expected_output_block() -> None:
    r = run_lab("run", "--format", "github", fx("run-drift.md"), env=_outside_github())
    assert r.status == ExitStatus.OK
    assert f"::warning file={fx('run-drift.md')},line=10,title=" in r.stdout


def test_run_ends_with_the_reports_it_wrote(tmp_path: Path) -> None:
    junit, report = tmp_path / "r.xml", tmp_path / "out" / "r.json"
    r = run_lab("run", fx("run-pass.md"), "--junit", str(junit), "--json", str(report))
    assert r.status == ExitStatus.OK
    assert r.stdout.rstrip("\n").endswith(f"JUnit report: {junit}\nJSON report: {report}")
    assert junit.exists() and report.exists()
    assert "report:" not in run_lab("run", fx("run-pass.md")).stdout


def test_github_format_annotates_each_lesson_that_cannot_run() -> None:
    r = run_lab(
        "run",
        "--format",
        "github",
        fx("unknown-option.md"),
        fx("broken-yaml.md"),
        env=_outside_github(),
    )
    assert r.status == ExitStatus.USAGE
    assert "cannot run: the lesson has errors" in r.stderr
    assert f"::error file={fx('unknown-option.md')},line=5,title=lab run::unknown option" in (
        r.stdout
    )
    assert f"::error file={fx('broken-yaml.md')},line=4,title=lab run::front matter" in r.stdout
