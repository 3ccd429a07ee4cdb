"""JUnit XML for a run: a testsuite per lesson, a testcase per step and per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from lab.ansi import ANSI
from lab.report.collect import LessonsReport
from lab.runner.events import (
    LessonFinished,
)

_INVALID_XML = str.maketrans({c: None for c in range(32) if c not in (9, 10, 13)})


def _clean(text: str) -> str:
    """Text safe for XML: no escape sequences or control characters."""
    return ANSI.sub("", text).translate(_INVALID_XML)


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:120]


def _case(
    suite: ET.Element,
    counts: dict[str, int],
    *,
    outcome: str | None,
    message: str,
    output: str,
    **attrs: str,
) -> None:
    """Add a <testcase>; outcome is failure, error or skipped (None when it passed)."""
    case = ET.SubElement(suite, "testcase", attrib=attrs)
    counts["tests"] += 1
    if outcome is not None:
        element = ET.SubElement(case, outcome, message=_clean(message))
        if outcome != "skipped":
            element.text = _clean(output)
        counts["skipped" if outcome == "skipped" else f"{outcome}s"] += 1
    ET.SubElement(case, "system-out").text = _clean(output)


_OUTCOMES = {"passed": None, "skipped": "skipped", "error": "error"}
"""JUnit outcome of a step status; anything else (failed, timeout) is a failure."""


def junit_xml(runs: Sequence[LessonFinished]) -> ET.Element:
    """The <testsuites> element for these lesson runs."""
    root = ET.Element("testsuites", name="lab")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for run in runs:
        suite = ET.SubElement(root, "testsuite", name=run.lesson.title, file=str(run.lesson.path))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        where = {"classname": run.lesson.path.stem, "file": str(run.lesson.path)}
        for step, result in run.results:
            drift = f"\n--- drift ---\n{result.drift}" if result.drift else ""
            _case(
                suite,
                counts,
                outcome=_OUTCOMES.get(result.status, "failure"),
                message=result.message,
                output=result.output + drift,
                name=f"step {step.index + 1} (line {step.line}): {_first_line(step.label)}",
                line=str(step.line),
                time=f"{result.duration:.3f}",
                **where,
            )
            for check in result.checks:
                kind = "inferred check" if check.inferred else "check"
                at = f" (line {check.line})" if check.line else ""
                _case(
                    suite,
                    counts,
                    outcome=None if check.passed else "failure",
                    message=check.message,
                    output=check.output,
                    name=f"step {step.index + 1} {kind}{at}: {_first_line(check.label)}",
                    line=str(check.line or step.line),
                    time=f"{check.duration:.3f}",
                    **where,
                )
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{run.duration:.3f}")
        total_time += run.duration
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{total_time:.3f}")
    return root


def write_junit(runs: Sequence[LessonFinished], path: Path) -> None:
    """Write the JUnit report (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(junit_xml(runs))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


class JUnitReport(LessonsReport):
    """The JUnit XML of a `lab run`, as an event consumer."""

    kind = "JUnit"

    def write(self) -> None:
        """Write the report of the lessons seen so far."""
        write_junit(self.runs, self.path)
