"""`lab bundle`: make a bundle (LESSON… -o DIR), verify it, load it into the engine, serve it as
a registry mirror; progress as a bar per image on a terminal, plain lines elsewhere."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from lab.bundle.transfer import ImageProgress
from lab.errors import ExitStatus, UsageError

ACTIONS = ("verify", "load", "serve")
DEFAULT_LISTEN = "127.0.0.1:5050"
"""Where `lab bundle serve` listens unless --listen says otherwise (this machine only)."""
LABELS = {"pull": "pull", "push": "push", "load": "load", "done": "ok", "local": "local"}


def _say(text: str, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(text + "\n")
    (stream or sys.stdout).flush()


def count(n: int, noun: str) -> str:
    """`1 lesson`, `3 lessons`."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def size(n: int) -> str:
    """Bytes for people: `9.8 MB` (powers of 1000, as `docker images` shows them)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover


class PlainProgress:
    """A line when an image starts a phase and when it is done (CI logs, pipes)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.phases: dict[str, str] = {}

    def __call__(self, event: ImageProgress) -> None:
        if self.phases.get(event.ref) == event.phase:
            return
        self.phases[event.ref] = event.phase
        match event.phase:
            case "pull" | "push" | "load":
                _say(f"{event.phase:<6} {event.ref}", self.stream)
            case "done":
                _say(f"ok     {event.ref}  {event.message}  {size(event.done)}", self.stream)
            case "local":
                _say(
                    f"local  {event.ref}: {event.message}; this machine's copy is used",
                    self.stream,
                )
            case "failed":
                _say(f"FAIL   {event.ref}: {event.message}", self.stream)

    def close(self) -> None:
        """Nothing to tidy up."""


class BarProgress:
    """A bar per image (rich), on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bars = Progress(
            TextColumn("{task.fields[phase]:<6}"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            DownloadColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=Console(file=stream),
        )
        self.tasks: dict[str, Any] = {}
        self.bars.start()

    def __call__(self, event: ImageProgress) -> None:
        task = self.tasks.get(event.ref)
        if task is None:
            task = self.bars.add_task(event.ref, total=None, phase="", note="")
            self.tasks[event.ref] = task
        if event.phase == "failed":
            self.bars.update(task, phase="FAIL", note=event.message)
            return
        if event.phase == "local":
            self.bars.update(task, phase="local", note="the pull failed: this machine's copy")
            return
        self.bars.update(
            task,
            phase=LABELS[event.phase],
            note=event.message[:19],  # when done: the digest, shortened as `docker images` does
            completed=event.done,
            total=event.total or None,
        )

    def close(self) -> None:
        """Leave the bars as they are and give the terminal back."""
        self.bars.stop()


def progress_for(stream: TextIO) -> PlainProgress | BarProgress:
    """Bars on a terminal; plain lines in CI (no tty, or CI set) and with TERM=dumb."""
    if stream.isatty() and os.environ.get("TERM") != "dumb" and not os.environ.get("CI"):
        return BarProgress(stream)
    return PlainProgress(stream)


def cmd_bundle(args: argparse.Namespace) -> int:
    """`lab bundle LESSON... -o DIR`, `lab bundle verify|load|serve DIR`."""
    words: list[str] = args.paths
    action = words[0] if words[0] in ACTIONS and not Path(words[0]).exists() else None
    if action is None:
        return make(args)
    if len(words) != 2:
        raise UsageError(
            f"`lab bundle {action}` takes one bundle directory",
            f"lab bundle {action} DIR",
        )
    making = args.output or args.no_node_image or args.node_image or args.overlays
    if making or (args.image and action != "load"):
        raise UsageError(
            "-o, --image, --node-image, --no-node-image and --overlays are for making a bundle, "
            f"not for `lab bundle {action}` (only load takes --image: the images to load)",
            "lab bundle LESSON... -o DIR [--image REF]",
        )
    if args.listen and action != "serve":
        raise UsageError("--listen is for `lab bundle serve`", "lab bundle serve DIR --listen ADDR")
    bundle = Path(words[1])
    if action == "verify":
        return verify(bundle)
    if action == "load":
        return load(bundle, args.image)
    return serve(bundle, args.listen or DEFAULT_LISTEN)


def make(args: argparse.Namespace) -> int:
    """Make a bundle of the lessons under args.paths in args.output."""
    from lab.bundle.build import make_bundle
    from lab.bundle.plan import destinations, plan_bundle
    from lab.cli.run import load_all
    from lab.engine.sdk import connect
    from lab.sandbox.nodes import node_image

    if not args.output:
        raise UsageError(
            "where should the bundle go?", "lab bundle LESSON... -o DIR (a new directory)"
        )
    started = time.monotonic()
    lessons = load_all(args.paths)
    inside = destinations(args.paths)
    plan = plan_bundle(
        [(lesson, inside[lesson.path]) for lesson in lessons],
        given=args.image,
        node_image=None if args.no_node_image else node_image(args.node_image),
    )
    _say(
        f"lab bundle: {count(len(plan.lessons), 'lesson')}, {count(len(plan.images), 'image')}: "
        + ", ".join(i.ref for i in plan.images)
    )
    if plan.unknown:
        _say("  the lessons do not say which image these use (add any with --image REF):")
        for line in plan.unknown:
            _say(f"    ? {line}")
    engine = connect(timeout=600)
    bundle = Path(args.output)
    progress = progress_for(sys.stdout)
    try:
        manifest = make_bundle(plan, bundle, engine, progress)
    finally:
        progress.close()
    took = time.monotonic() - started
    _say(
        f"bundle {bundle}: {count(len(manifest.lessons), 'lesson')}, "
        f"{count(len(manifest.images), 'image')}, "
        f"{size(manifest.total_size)} in {took:.1f}s"
    )
    _say(
        f"  check it: lab bundle verify {bundle}\n"
        f"  in the room: lab bundle serve {bundle} --listen 0.0.0.0:5050, and nodes or engines "
        "use http://THIS-MACHINE:5050 as their registry mirror\n"
        f"  on one machine: lab bundle load {bundle}"
    )
    return ExitStatus.OK


def verify(bundle: Path) -> int:
    """Check every blob and file of a bundle; BundleDamaged (exit 1) names each damaged image."""
    from lab.bundle.verify import BundleDamaged, ImageCheck, verify_bundle

    def shown(check: ImageCheck) -> None:
        if check.problems:
            _say(f"FAIL   {check.image.ref}: {check.problems[0]}")
        else:
            _say(f"ok     {check.image.ref}  {check.blobs} blobs, {size(check.image.size)}")

    report = verify_bundle(bundle, shown)
    if not report.ok:
        problems = "\n".join(f"  {p}" for p in report.problems())
        raise BundleDamaged(
            f"{bundle} is damaged:\n{problems}",
            f"copy the bundle again from where it was made, or make it again "
            f"(`lab bundle LESSON... -o {bundle}`)",
        )
    manifest = report.manifest
    _say(
        f"bundle {bundle} is intact: {count(len(manifest.images), 'image')}, "
        f"{count(report.blobs, 'blob')} ({size(report.bytes)}) and "
        f"{count(len(manifest.files), 'file')} match their digests"
    )
    return ExitStatus.OK


def load(bundle: Path, only: list[str]) -> int:
    """Load a bundle's images (all, or the ones named) into this machine's engine."""
    from lab.bundle.load import load_bundle
    from lab.engine.sdk import connect

    engine = connect(timeout=600)
    progress = progress_for(sys.stdout)
    try:
        loaded = load_bundle(bundle, engine, progress, only)
    finally:
        progress.close()
    for item in loaded:
        if item.replaced:
            _say(
                f"  {item.image.ref} named image {item.replaced[:19]} before; that image stays "
                "(untagged unless other tags name it)"
            )
    _say(
        f"loaded {count(len(loaded), 'image')} from {bundle} into the engine, tagged as the "
        "lessons name them; `lab doctor LESSON` shows which came from the bundle"
    )
    return ExitStatus.OK


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(bundle: Path, address: str) -> int:
    """Serve a bundle as a registry mirror until Ctrl-C (or SIGTERM)."""
    from lab.bundle.layout import read_manifest
    from lab.bundle.registry import ALL_INTERFACES
    from lab.bundle.serve import serve_bundle

    manifest = read_manifest(bundle)
    server = serve_bundle(bundle, address)
    signal.signal(signal.SIGTERM, _stop)
    with server:
        everywhere = server.host in ALL_INTERFACES
        _say(
            f"serving {bundle} ({count(len(manifest.images), 'image')}) at "
            f"{'every interface, ' if everywhere else ''}{server.url}; Ctrl-C stops it"
        )
        _say(f'  this machine\'s engine: "registry-mirrors": ["{server.url}"] in daemon.json')
        if everywhere:
            _say(
                f"  sandbox nodes: lab run --sandbox --mirror http://{{gateway}}:{server.port} "
                "LESSON (or LAB_NODE_MIRROR)"
            )
            _say(
                f'  the room\'s engines: "registry-mirrors": ["http://THIS-MACHINE:{server.port}"]'
            )
        else:
            _say(
                f"  other machines and sandbox nodes cannot reach {server.host}: "
                f"--listen 0.0.0.0:{server.port} serves them"
            )
        _say(f"  requests are logged in {server.log}")
        try:
            while server.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            _say("stopped")
            return ExitStatus.OK
    raise UsageError(f"the registry serving {bundle} stopped: {server.log_tail()}")
