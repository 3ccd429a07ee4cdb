"""`lab serve`: check the request, start the room, print where it answers and what happens,
and at the end what was removed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from lab.errors import ExitStatus, UsageError
from lab.serve.room import Room, RoomConfig

NON_LOOPBACK_WARNING = (
    "warning: listening on {host}: anyone who can reach this machine and has the room code "
    "gets a shell in a sandbox node, a container with nearly every privilege on this host. "
    "Run a room on a machine you can throw away (docs/classroom.md#security)."
)


def _say(text: str) -> None:
    sys.stdout.write(f"[{time.strftime('%H:%M:%S')}] {text}\n")
    sys.stdout.flush()


def _limits(args: argparse.Namespace) -> tuple[int, int]:
    from lab.sandbox.seat import parse_bytes

    try:
        memory = parse_bytes(args.node_memory)
    except ValueError:
        raise UsageError(
            f"--node-memory {args.node_memory!r} is not a size", "write it as 768m, 1g or 2g"
        ) from None
    if memory < 128 << 20:
        raise UsageError(
            f"--node-memory {args.node_memory} is too little for a node's dockerd",
            "give each node at least 128m (the course needs about 300m: docs/classroom.md)",
        )
    if args.node_pids < 64:
        raise UsageError(
            f"--node-pids {args.node_pids} is too few for a node's dockerd and containerd",
            "give each node at least 64 (an idle node has about 60 threads)",
        )
    return memory, args.node_pids


def serve_command(args: argparse.Namespace) -> int:
    """Run a room until Ctrl-C; 0 when everything it made was removed."""
    from lab.lesson.course import bundled_lessons_dir, course
    from lab.sandbox.seat import CPU_SHARES_DEFAULT, NodeLimits

    if args.seats < 1:
        raise UsageError(f"--seats {args.seats}: a room needs at least one seat", "--seats 30")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port", "a number from 1 to 65535, or 0")
    memory, pids = _limits(args)
    paths = tuple(Path(p).resolve() for p in args.paths) or (bundled_lessons_dir(),)
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such lesson or course directory", "check the path")
    entries = course(list(paths))
    readable = [e for e in entries if e.lesson is not None]
    if not readable:
        problems = "; ".join(str(e.error) for e in entries) or "no lesson files there"
        raise UsageError(f"nothing to serve: {problems}", "`lab lint PATH` shows what is wrong")
    title = args.title or (
        readable[0].lesson.title if len(entries) == 1 and readable[0].lesson else "lab workshop"
    )
    config = RoomConfig(
        lessons=paths,
        seats=args.seats,
        idle_minutes=args.idle,
        limits=NodeLimits(memory, pids, CPU_SHARES_DEFAULT, hardened=True),
        node_image=args.node_image,
        warm=args.seats if args.warm is None else max(0, args.warm),
    )
    room = Room(config)
    with contextlib.ExitStack() as stack:
        if args.bundle:
            _say(f"serving the bundle {args.bundle} to the nodes as their registry mirror")
            stack.enter_context(_bundle_mirror(Path(args.bundle)))
        return _serve(room, config, args, title, len(entries))


def _bundle_mirror(bundle: Path) -> contextlib.AbstractContextManager[object]:
    """The bundle's registry, on every interface (the nodes reach it through their gateway),
    as LAB_NODE_MIRROR for the room's nodes while it runs."""
    from lab.bundle.serve import node_mirror, serve_bundle

    @contextlib.contextmanager
    def serving() -> Iterator[object]:
        with serve_bundle(bundle, "0.0.0.0:0") as server:
            os.environ["LAB_NODE_MIRROR"] = node_mirror(server)
            yield server

    return serving()


def _serve(
    room: Room, config: RoomConfig, args: argparse.Namespace, title: str, lessons: int
) -> int:
    from lab.engine.sdk import connect
    from lab.serve.run import Urls, is_loopback, prepare_host, serve

    prepare_host(room, connect)

    def ready(urls: Urls) -> None:
        noun = "lesson" if lessons == 1 else "lessons"
        sys.stdout.write(
            f"lab serve: room {room.id}, {args.seats} seats, {lessons} {noun}; "
            f"each attendee on their own sandbox nodes ({config.limits.describe()} each)\n"
            f"  attendees open:  {urls.attendee}\n"
            f"  room code:       {room.code}\n"
            f"  instructor:      {urls.instructor}   (keep this one to yourself)\n"
        )
        if is_loopback(urls.host):
            sys.stdout.write(
                "  listening on this machine only; --host 0.0.0.0 lets a room on the network in\n"
            )
        else:
            sys.stdout.write("  " + NON_LOOPBACK_WARNING.format(host=urls.host) + "\n")
        sys.stdout.write("Ctrl-C ends the room and removes every attendee's nodes.\n")
        sys.stdout.flush()

    report = asyncio.run(
        serve(
            room, host=args.host, port=args.port, title=title, say=_say, ready=ready, engine=connect
        )
    )
    for item in report.removed:
        _say(f"removed {item}")
    for item in report.failed:
        _say(f"could not remove {item}")
    _say(
        f"room {room.id} closed: {len(room.attendees)} attendee(s); "
        f"their progress stays in {room.state_dir}"
    )
    return ExitStatus.OK if report.ok else ExitStatus.FAILED
