"""A `lab serve` process for tests: started on a free port, its URLs and code read from
what it prints; the room's objects on the engine."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.sandbox.owner import ROOM
from tests.conftest import ROOT

LESSON = ROOT / "lessons" / "registry-1-local.md"
"""Part 1 of the course: what the room serves in the tests."""


@dataclass
class Served:
    """A `lab serve` process and what it printed."""

    process: subprocess.Popen[str]
    base: str
    code: str
    room: str
    instructor: str
    lines: list[str]

    def apps(self) -> list[int]:
        """Pids of the attendees' apps now running (forks of the room's zygote)."""
        found = []
        for pid in _children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"lab.serve.zygote" in cmdline:
                found += _children(pid)
            elif b"lab.serve.attendee" in cmdline:
                found.append(pid)
        return found

    def wait_line(self, pattern: str, timeout: float = 120) -> str:
        """Read what it prints until a line matches (`seat(s) warm`)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if re.search(pattern, line):
                return line
        raise AssertionError(f"{pattern!r} not printed:\n" + "\n".join(self.lines))

    def zygote(self) -> int | None:
        """Pid of the room's zygote."""
        for pid in _children(self.process.pid):
            with contextlib.suppress(OSError):
                if b"lab.serve.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        return None

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        """Stop it as a terminal's Ctrl-C does: the signal to its whole process group."""
        os.killpg(self.process.pid, sig)
        out, _ = self.process.communicate(timeout=60)
        return self.process.returncode, "\n".join(self.lines) + out


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def start_room(*args: str, env: dict[str, str], lesson: Path = LESSON) -> Served:
    """`lab serve LESSON --port 0 ARGS`, once it prints its URLs."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lab", "serve", str(lesson), "--port", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a process group of its own, as in a terminal
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C ends the room"):
            text = "\n".join(lines)
            url = re.search(r"attendees open:\s+(http://[\d.]+:\d+)/join\?code=(\S+)", text)
            room = re.search(r"lab serve: room (\w+)", text)
            key = re.search(r"instructor:\s+(\S+)", text)
            assert url and room and key, text
            return Served(process, url.group(1), url.group(2), room.group(1), key.group(1), lines)
    process.kill()
    raise AssertionError("lab serve did not start:\n" + "\n".join(lines))


def room_objects(engine: Any, room: str) -> list[str]:
    selector = {"label": f"{ROOM}={room}"}
    return [
        *(f"container {c.name}" for c in engine.containers.list(all=True, filters=selector)),
        *(f"volume {v.name}" for v in engine.volumes.list(filters=selector)),
        *(f"network {n.name}" for n in engine.networks.list(filters=selector)),
    ]
