"""JUnit XML for a run: a testsuite per lesson, a testcase per step and per check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from lab.ansi import ANSI
from lab.runner.events import LessonFinished

_INVALID_XML = str.maketrans({c: None for c in range(32) if c not in (9, 10, 13)})


def _clean(text: str) -> str:
    """Text safe for XML: no escape sequences or control characters."""
    return ANSI.sub("", text).translate(_INVALID_XML)


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:120]


def junit_xml(runs: Sequence[LessonFinished]) -> ET.Element:
    """The <testsuites> element for these lesson runs."""
    root = ET.Element("testsuites", name="lab")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for run in runs:
        suite = ET.SubElement(root, "testsuite", name=run.lesson.title, file=str(run.lesson.path))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        classname = run.lesson.path.stem
        for step, result in run.results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=classname,
                name=f"step {step.index + 1} (line {step.line}): {_first_line(step.label)}",
                file=str(run.lesson.path),
                line=str(step.line),
                time=f"{result.duration:.3f}",
            )
            counts["tests"] += 1
            if result.status == "skipped":
                ET.SubElement(case, "skipped", message=_clean(result.message))
                counts["skipped"] += 1
            elif result.status == "error":
                ET.SubElement(case, "error", message=_clean(result.message)).text = _clean(
                    result.output
                )
                counts["errors"] += 1
            elif result.status != "passed":
                ET.SubElement(case, "failure", message=_clean(result.message)).text = _clean(
                    result.output
                )
                counts["failures"] += 1
            out = result.output + (f"\n--- drift ---\n{result.drift}" if result.drift else "")
            ET.SubElement(case, "system-out").text = _clean(out)
            for check in result.checks:
                kind = "inferred check" if check.inferred else "check"
                where = f" (line {check.line})" if check.line else ""
                ccase = ET.SubElement(
                    suite,
                    "testcase",
                    classname=classname,
                    name=f"step {step.index + 1} {kind}{where}: {_first_line(check.label)}",
                    file=str(run.lesson.path),
                    line=str(check.line or step.line),
                    time=f"{check.duration:.3f}",
                )
                counts["tests"] += 1
                if not check.passed:
                    ET.SubElement(ccase, "failure", message=_clean(check.message)).text = _clean(
                        check.output
                    )
                    counts["failures"] += 1
                ET.SubElement(ccase, "system-out").text = _clean(check.output)
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
