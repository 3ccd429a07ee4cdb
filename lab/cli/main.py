"""The `lab` command line: parses arguments, calls the core, renders errors once."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lab import __version__
from lab.cli import startup
from lab.cli.assertcmd import add_parser as add_assert_parser
from lab.cli.host import cmd_doctor, cmd_reset
from lab.cli.lessons import cmd_lint, cmd_list, cmd_steps
from lab.cli.output import add_format_option, output_format, workspace
from lab.cli.output import out as _out
from lab.errors import EnvironmentNotReady, ExitStatus, LabError, UsageError

if TYPE_CHECKING:
    from lab.lesson.model import Lesson

Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code and a pointer to --help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n  hint: run `{self.prog} --help`\n")
        raise SystemExit(ExitStatus.USAGE)


def cmd_home(args: argparse.Namespace) -> int:
    """`lab` with no command: the course picker over the bundled lessons (in a terminal;
    piped, the course list)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        status = cmd_list(argparse.Namespace(paths=[]))
        _out(
            sys.stdout,
            "\nOpen a lesson:   lab open LESSON.md     Run it headless:   lab run LESSON.md",
        )
        return status
    from lab.tui.app import run_app

    return run_app()


def cmd_open(args: argparse.Namespace) -> int:
    """`lab open LESSON`: the lesson beside a live terminal."""
    from lab.lesson.load import load_lesson
    from lab.lesson.needs import sandboxed

    lesson = load_lesson(args.lesson)  # a LessonError is `file:line: message` + hint, exit 2
    lesson = _with_sandbox(lesson, args)
    if not sandboxed(lesson):
        from lab.hoststate.doctor import Diagnosis, check_hazards

        found = Diagnosis()
        check_hazards(lesson, found, allowed=args.allow_engine_wide_changes)
        for finding in found.findings:
            if finding.level == "fail":
                raise EnvironmentNotReady(finding.message, finding.hint)
            _out(sys.stderr, f"lab: warning: {finding.message}")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "`lab open` needs a terminal (stdin and stdout are not one)",
            f"run it in a terminal, or run the lesson headless: lab run {args.lesson}",
        )
    from lab.tui.app import run_app

    return run_app(lesson=lesson)


def _with_sandbox(lesson: Lesson, args: argparse.Namespace) -> Lesson:
    """The lesson with `--sandbox` applied (its runners read `lab.sandbox`); `--node-image`
    and `--mirror` become LAB_NODE_IMAGE and LAB_NODE_MIRROR for them."""
    from dataclasses import replace

    from lab.cli.run import node_settings

    node_settings(args)
    if not getattr(args, "sandbox", False):
        return lesson
    fm = lesson.front_matter
    return replace(lesson, front_matter=replace(fm, lab=replace(fm.lab, sandbox=True)))


def _add_sandbox_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sandbox",
        action="store_true",
        help="run each terminal in its own throw-away Docker host (a Docker-in-Docker node); "
        "lessons may ask for it with `lab: {sandbox: true}`",
    )
    p.add_argument(
        "--node-image",
        metavar="IMAGE",
        help="sandbox node image (default: $LAB_NODE_IMAGE, else docker:dind)",
    )
    p.add_argument(
        "--mirror",
        metavar="URL",
        help="registry mirror of the sandbox nodes' engines instead of this engine's, e.g. a "
        "bundle served by `lab bundle serve`: http://{gateway}:5050 ({gateway}: this host as "
        "nodes reach it; default: $LAB_NODE_MIRROR)",
    )
    p.add_argument(
        "--allow-engine-wide-changes",
        action="store_true",
        help="run, on this host's engine, a lesson whose commands act beyond its own objects "
        "(remove every container, prune, restart the daemon): lab refuses it otherwise",
    )


def _add_overlays_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--overlays",
        metavar="DIR",
        help="look for each lesson's overlay (LESSON.lab.yml) in DIR before the lesson's own "
        "directory (also $LAB_OVERLAYS); for lessons you cannot write beside",
    )


def _use_overlays(args: argparse.Namespace) -> None:
    """--overlays DIR: for this process and the lab processes it starts (checks' `lab`)."""
    from lab.lesson.overlay import OVERLAYS_ENV

    directory = getattr(args, "overlays", None)
    if directory is None:
        return
    if not Path(directory).is_dir():
        raise UsageError(
            f"--overlays {directory}: no such directory", "name the directory of the overlays"
        )
    os.environ[OVERLAYS_ENV] = str(Path(directory).resolve())


def build_parser(
    commands: dict[str, Command], command: str | None = None
) -> argparse.ArgumentParser:
    """The argument parser; commands maps each sub-command to its function. command: the one
    being run, if known (the assertions of `lab assert` are only built for it or for help)."""
    parser = _Parser(
        prog="lab",
        description="Hands-on Docker courses that run in your terminal and check themselves.",
        epilog="Exit codes: 0 ok, 1 failed, 2 usage or lesson error, 3 environment not ready, "
        "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("lint", help="check lesson files for errors and suspicious things")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="lesson files or directories (a lesson overlay LESSON.lab.yml checks its lesson)",
    )
    add_format_option(p)
    _add_overlays_option(p)
    p.set_defaults(func=commands["lint"])

    p = sub.add_parser("steps", help="print the run plan of a lesson")
    p.add_argument("paths", nargs="+", metavar="PATH", help="lesson files")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    _add_overlays_option(p)
    p.set_defaults(func=commands["steps"])

    p = sub.add_parser("list", help="list the course (or the lessons under PATH) in order")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=commands["list"])

    p = sub.add_parser("open", help="open a lesson beside a live terminal (the TUI)")
    p.add_argument("lesson", metavar="LESSON", help="a lesson file (any Play with Docker post)")
    _add_sandbox_options(p)
    _add_overlays_option(p)
    p.set_defaults(func=commands["open"])

    p = sub.add_parser("run", help="run lessons headless and report (for CI)")
    p.add_argument("paths", nargs="+", metavar="LESSON", help="lesson files or directories")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--json", metavar="FILE", help="write a JSON report")
    p.add_argument("--timeout", metavar="S", type=float, help="default step timeout (seconds)")
    p.add_argument("--keep-workspace", action="store_true", help="keep the run's workspace")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep everything the lesson created (containers, images, files); "
        "`lab reset LESSON` removes it later",
    )
    p.add_argument("--no-infer", action="store_true", help="no checks inferred from commands")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
    p.add_argument("--strict-output", action="store_true", help="output drift fails the step")
    add_format_option(p)
    _add_sandbox_options(p)
    p.add_argument(
        "-j",
        "--jobs",
        metavar="N",
        type=int,
        default=1,
        help="run up to N lessons side by side (sandboxed lessons only), one combined report",
    )
    _add_overlays_option(p)
    p.set_defaults(func=commands["run"])

    p = sub.add_parser(
        "bundle",
        help="a course and every image it needs, for rooms with no Internet "
        "(also: bundle verify|load|serve DIR)",
        description="lab bundle LESSON... -o DIR: the lessons (with their overlays) and every "
        "image they need, in a registry's storage, with a manifest. lab bundle verify DIR: "
        "every blob checked against its digest. lab bundle load DIR: the images into this "
        "machine's engine. lab bundle serve DIR [--listen ADDR]: the images as a registry "
        "mirror.",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="LESSON|ACTION",
        help="lesson files or directories; or verify, load or serve followed by a bundle DIR",
    )
    p.add_argument("-o", "--output", metavar="DIR", help="the new bundle directory")
    p.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="REF",
        help="an image to bundle too (one the lessons use but do not name); with load: an "
        "image to load (default: all); repeatable",
    )
    p.add_argument(
        "--node-image",
        metavar="IMAGE",
        help="the sandbox node image to bundle (default: $LAB_NODE_IMAGE, else docker:dind)",
    )
    p.add_argument(
        "--no-node-image",
        action="store_true",
        help="leave the sandbox node image out (lessons that run only on the learner's host)",
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="for serve: where the registry listens (default 127.0.0.1:5050, this machine "
        "only; 0.0.0.0:5050 for a room and for sandbox nodes)",
    )
    _add_overlays_option(p)
    p.set_defaults(func=commands["bundle"])

    p = sub.add_parser("doctor", help="check that this machine can run lessons (and which)")
    p.add_argument("paths", nargs="*", metavar="LESSON", help="lesson files or directories")
    _add_overlays_option(p)
    _add_sandbox_options(p)
    p.set_defaults(func=commands["doctor"])

    p = sub.add_parser("reset", help="remove what a lesson session created on this machine")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="LESSON",
        help="lesson files (none: only leftover sandbox nodes of lab runs that are over)",
    )
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=commands["reset"])

    p = sub.add_parser(
        "serve", help="a workshop room: the lessons in attendees' browsers, each on own nodes"
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="LESSON|COURSE",
        help="lesson files or course directories (default: the bundled course)",
    )
    p.add_argument("--seats", type=int, default=30, metavar="N", help="attendees (default 30)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="H",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for a room on a network)",
    )
    p.add_argument(
        "--port", type=int, default=8000, metavar="P", help="port (default 8000; 0: any free)"
    )
    p.add_argument(
        "--idle",
        type=float,
        default=30.0,
        metavar="MIN",
        help="stop an attendee's nodes after MIN minutes away (default 30; 0: never); "
        "they start again, progress kept, when the attendee returns",
    )
    p.add_argument(
        "--warm",
        type=int,
        metavar="N",
        help="make the first lesson's nodes for N seats before anyone joins, so that joining "
        "takes seconds (default: every seat)",
    )
    p.add_argument(
        "--node-memory",
        default="1g",
        metavar="SIZE",
        help="memory limit of each node, its containers included (default 1g)",
    )
    p.add_argument(
        "--node-pids",
        type=int,
        default=1024,
        metavar="N",
        help="process and thread limit of each node (default 1024)",
    )
    p.add_argument(
        "--node-image",
        metavar="IMAGE",
        help="sandbox node image (default: $LAB_NODE_IMAGE, else docker:dind)",
    )
    p.add_argument(
        "--mirror",
        metavar="URL",
        help="registry mirror of the nodes' engines instead of this engine's, e.g. the room's "
        "bundle served by `lab bundle serve`: http://{gateway}:5050 (default: $LAB_NODE_MIRROR)",
    )
    p.add_argument(
        "--bundle",
        metavar="DIR",
        help="a bundle made by `lab bundle`: served to the nodes as their registry mirror "
        "for as long as the room runs (a room with no Internet)",
    )
    p.add_argument("--title", help="the room's title on its pages (default: the course's)")
    _add_overlays_option(p)
    p.set_defaults(func=commands["serve"])

    add_assert_parser(sub, listed_only=command not in (None, "assert"))
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    """`lab run LESSON...`."""
    from lab.cli.run import node_settings, run_command

    node_settings(args)
    return run_command(args)


def cmd_serve(args: argparse.Namespace) -> int:
    """`lab serve [LESSON|COURSE...]`: a workshop room (lab.cli.serve)."""
    from lab.cli.run import node_settings
    from lab.cli.serve import serve_command

    node_settings(args)
    _use_overlays(args)
    return serve_command(args)


def cmd_bundle(args: argparse.Namespace) -> int:
    """`lab bundle ...` (lab.cli.bundle)."""
    from lab.cli.bundle import cmd_bundle as bundle

    return bundle(args)


COMMANDS: dict[str, Command] = {
    "lint": cmd_lint,
    "steps": cmd_steps,
    "list": cmd_list,
    "run": cmd_run,
    "open": cmd_open,
    "doctor": cmd_doctor,
    "reset": cmd_reset,
    "bundle": cmd_bundle,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run `lab`; returns the exit status (see lab.errors.ExitStatus)."""
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(COMMANDS, command)
    args = parser.parse_args(words)
    func: Command = getattr(args, "func", cmd_home)
    if hasattr(args, "format"):
        args.format = output_format(args.format)
    if func is not cmd_run:  # `lab run` says so itself, once its modules are loaded
        startup.started()
    try:
        _use_overlays(args)
        return int(func(args))
    except KeyboardInterrupt:
        _out(sys.stderr, "interrupted")
        return ExitStatus.INTERRUPTED
    except LabError as exc:
        _out(sys.stderr, f"lab: {exc}")
        _annotate_error(exc, args)
        return exc.exit_status
    except BrokenPipeError:
        return ExitStatus.OK


def _annotate_error(exc: LabError, args: argparse.Namespace) -> None:
    """With --format github, each lesson error that has a place (the error itself, or the
    errors of every lesson it stands for) is also an annotation there."""
    if getattr(args, "format", "plain") != "github":
        return
    from lab.render.github import Annotation, repo_path

    cause = exc.__cause__
    errors = list(cause.exceptions) if isinstance(cause, ExceptionGroup) else [exc]
    for error in errors:
        if isinstance(error, LabError) and error.path is not None:
            message = error.message + (f"\nhint: {error.hint}" if error.hint else "")
            where = repo_path(error.path, workspace())
            title = f"lab {args.command}"
            _out(sys.stdout, str(Annotation("error", where, error.line, title, message)))


def entry() -> None:
    """The `lab` command: main(), then a quick exit.

    What matters at exit is done here explicitly: standard streams flushed and atexit
    handlers run (temporary directories, logging). The interpreter's own teardown of every
    module and object, about 40 ms after a `lab run` on the machines we measure, is skipped.
    When a worker thread is still alive, the normal exit waits for it as usual."""
    startup.pause()
    try:
        status = main()
    except SystemExit as exc:  # argparse's --help and usage errors
        code = exc.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
        if not isinstance(code, int | None):
            sys.stderr.write(f"{code}\n")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # closed: nothing more to show
            stream.flush()
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(status)
    atexit._run_exitfuncs()
    os._exit(status)
