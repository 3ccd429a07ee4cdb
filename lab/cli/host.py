"""`lab doctor` and `lab reset`: can this machine run a lesson; undo what sessions left."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab.cli.output import out as _out
from lab.errors import EnvironmentNotReady, ExitStatus, UsageError


def cmd_doctor(args: argparse.Namespace) -> int:
    """`lab doctor [LESSON...]`."""
    from lab.cli.run import load_all, node_settings
    from lab.hoststate.doctor import diagnose
    from lab.lesson.needs import sandboxed

    node_settings(args)
    lessons = [lesson for lesson in load_all(args.paths) if lesson.steps] if args.paths else []
    diagnosis = diagnose(
        lessons,
        sandboxed=[sandboxed(lesson, True if args.sandbox else None) for lesson in lessons],
        node_image=args.node_image,
        allow_engine_wide=args.allow_engine_wide_changes,
    )
    tty = sys.stdout.isatty()
    marks = (
        {"ok": "✓", "warn": "!", "fail": "✗"}
        if tty
        else {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    )
    for finding in diagnosis.findings:
        _out(sys.stdout, f"{marks[finding.level]} {finding.message}")
        if finding.hint and finding.level != "ok":
            _out(sys.stdout, f"    hint: {finding.hint}")
    if diagnosis.ready:
        what = f"{len(lessons)} lesson(s)" if lessons else "lessons"
        _out(sys.stdout, f"ready to run {what}")
        return ExitStatus.OK
    _out(sys.stdout, "not ready: fix the above")
    return ExitStatus.ENV_NOT_READY


def cmd_reset(args: argparse.Namespace) -> int:
    """`lab reset LESSON... [--yes]`: undo what a lesson session added to this machine."""
    from lab.engine.sdk import connect
    from lab.hoststate import CleanupReport, store
    from lab.hoststate.guard.leftovers import sweep as sweep_guards
    from lab.hoststate.reset import reset_recorded

    status = ExitStatus.OK
    for directory in sweep_guards():
        _out(sys.stdout, f"removed the engine guard socket of a lab that died: {directory}")
    swept = _reset_sandboxes(args.paths)
    for raw in args.paths:
        path = Path(raw)
        record = store.load(path)
        if record is None:
            if raw not in swept:
                _out(sys.stdout, f"{raw}: nothing to reset (no session of this lesson is recorded)")
            continue
        if not args.yes:
            plan = reset_recorded(path, connect, dry_run=True) or CleanupReport()
            if record.interactive:
                _out(sys.stdout, f"{raw}: the learner's session made these (by ID):")
            else:
                _out(sys.stdout, f"{raw}: the session started at a recorded snapshot; since then:")
            for item in plan.removed or ["(no new containers, images, volumes or networks)"]:
                _out(sys.stdout, f"  {item}")
            _out(sys.stdout, "  and files under /etc/docker and the docker CLI config go back")
            if not sys.stdin.isatty():
                raise UsageError(
                    "not resetting without confirmation", f"run `lab reset --yes {raw}`"
                )
            if input("Remove and restore all of this? [y/N] ").strip().lower() not in ("y", "yes"):
                _out(sys.stdout, f"{raw}: nothing changed")
                continue
        report = reset_recorded(path, connect)
        if report is None:
            continue  # reset meanwhile by someone else
        for item in report.removed:
            _out(sys.stdout, f"{raw}: removed {item}")
        for item in report.restored:
            _out(sys.stdout, f"{raw}: restored {item}")
        for item in report.failed:
            _out(sys.stdout, f"{raw}: could not undo {item}")
        if report.ok:
            _out(sys.stdout, f"{raw}: reset done")
        else:
            status = ExitStatus.FAILED
    return status


def _reset_sandboxes(paths: list[str]) -> set[str]:
    """Remove sandbox nodes that outlived their run (kept with --keep, or left by a lab that
    died): a lesson's, or with no paths every one. Returns the paths something was removed for.
    Nodes of a lab process that still runs are never touched."""
    from lab.engine.sdk import connect
    from lab.sandbox import sweep

    done: set[str] = set()
    try:
        client = connect()
    except EnvironmentNotReady:
        if not paths:
            raise
        return done  # no engine, no nodes: the recorded session is reset without it
    if not paths:
        report = sweep(client, kept=True)
        for item in report.removed:
            _out(sys.stdout, f"removed {item}")
        for item in report.failed:
            _out(sys.stdout, f"could not remove {item}")
        if not report.removed and not report.failed:
            _out(sys.stdout, "nothing to reset (no sandbox nodes of a finished lab run)")
        return done
    for raw in paths:
        report = sweep(client, kept=True, lesson=Path(raw))
        for item in report.removed:
            _out(sys.stdout, f"{raw}: removed {item}")
        for item in report.failed:
            _out(sys.stdout, f"{raw}: could not remove {item}")
        if report.removed or report.failed:
            done.add(raw)
    return done
