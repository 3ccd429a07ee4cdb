"""Labels that mark what lab creates for sandboxes, and whether the process that owns it lives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OWNER = "lab.sandbox.owner"
"""`<pid>@<boot id>` of the lab process that created the object."""
STARTED = "lab.sandbox.started"
"""That process's start time (clock ticks after boot, /proc/PID/stat field 22): a reused
pid is not mistaken for the owner."""
RUN = "lab.sandbox.run"
"""The sandbox's run id: every object of one lesson run carries the same."""
LESSON = "lab.sandbox.lesson"
"""The lesson file (absolute path) the sandbox was made for."""
NODE = "lab.sandbox.node"
"""On a node container: its host name (`node1`, ...)."""
TERMINAL = "lab.sandbox.terminal"
"""On a node container: the terminal whose shell runs in it."""
KEPT = "lab.sandbox.kept"
"""On a run's marker volume: the sandbox was kept on purpose (`lab run --keep`)."""
ROOM = "lab.sandbox.room"
"""On a workshop room's objects: the room's id (`lab serve`)."""
SEAT = "lab.sandbox.seat"
"""On a workshop room's objects: the attendee they belong to."""

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    """This boot's id (a pid only means something within one boot)."""
    try:
        return BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return "unknown"


def start_time(pid: int) -> str | None:
    """When a process started (field 22 of /proc/PID/stat), None if it does not exist."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


@dataclass(frozen=True)
class Owner:
    """The lab process that owns sandbox objects."""

    pid: int
    boot: str
    started: str | None

    @classmethod
    def current(cls) -> Owner:
        """This process."""
        pid = os.getpid()
        return cls(pid, boot_id(), start_time(pid))

    @property
    def label(self) -> str:
        """The value of the OWNER label."""
        return f"{self.pid}@{self.boot}"

    def labels(self) -> dict[str, str]:
        """OWNER and STARTED labels."""
        return {OWNER: self.label, STARTED: self.started or ""}

    @classmethod
    def from_labels(cls, labels: dict[str, str]) -> Owner | None:
        """The owner recorded in an object's labels, None when they are not lab's."""
        pid, _, boot = (labels.get(OWNER) or "").partition("@")
        if not pid.isdigit() or not boot:
            return None
        return cls(int(pid), boot, labels.get(STARTED) or None)

    def alive(self) -> bool:
        """True while the owning process still runs (same boot, same pid, same start time)."""
        if self.boot != boot_id():
            return False
        now = start_time(self.pid)
        if now is None:
            return False
        return self.started is None or now == self.started
