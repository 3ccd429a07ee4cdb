"""The JSON report of a run: every lesson, step and check with status, output and timing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab.report.collect import LessonsReport
from lab.runner.events import (
    LessonFinished,
)


def report_data(runs: Sequence[LessonFinished]) -> dict[str, Any]:
    """Plain data for the report."""
    lessons = []
    for run in runs:
        steps = []
        for step, result in run.results:
            steps.append(
                {
                    "index": step.index + 1,
                    "name": step.name,
                    "line": step.line,
                    "terminal": step.terminal,
                    "command": step.command,
                    "status": result.status,
                    "ok": result.ok,
                    "exit_status": result.exit_status,
                    "duration": round(result.duration, 3),
                    "message": result.message,
                    "output": result.output,
                    "drift": result.drift,
                    "captures": sorted(result.captures),
                    "checks": [
                        {
                            "label": c.label,
                            "line": c.line,
                            "inferred": c.inferred,
                            "passed": c.passed,
                            "duration": round(c.duration, 3),
                            "message": c.message,
                            "output": c.output,
                        }
                        for c in result.checks
                    ],
                }
            )
        lessons.append(
            {
                "path": str(run.lesson.path),
                "title": run.lesson.title,
                "passed": run.passed,
                "interrupted": run.interrupted,
                "duration": round(run.duration, 3),
                "steps": steps,
            }
        )
    return {"passed": all(run.passed for run in runs), "lessons": lessons}


def write_json(runs: Sequence[LessonFinished], path: Path) -> None:
    """Write the JSON report (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_data(runs), indent=2) + "\n", encoding="utf-8")


class JSONReport(LessonsReport):
    """The JSON report of a `lab run`, as an event consumer."""

    kind = "JSON"

    def write(self) -> None:
        """Write the report of the lessons seen so far."""
        write_json(self.runs, self.path)
