"""Nodes that outlive one session: a workshop room keeps an attendee's nodes (one set per
lesson) across page refreshes and reconnections, stops them when idle, removes them at the end."""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.engine.cleanup import CleanupReport
from lab.sandbox import owner as labels
from lab.sandbox.leftovers import remove_labelled
from lab.sandbox.owner import Owner

MEMORY_DEFAULT = 1024 * 1024 * 1024
"""Bytes of memory a seat's node may use by default (its inner dockerd, containerd and the
lesson's containers together; the registry course peaks near 150 MB: docs/classroom.md)."""
LOCK_PREFIX = "lab-seat-"
"""Lock files of seats (in the temporary directory), named after their run ids."""
CPU_SHARES_DEFAULT = 64
"""A room's nodes' CPU weight: under contention a node gets a quarter of what one ordinary
process gets, so that attendees' screens and keystrokes go before other attendees' `docker
pull`s (measured in bench/serve.py)."""
PIDS_DEFAULT = 1024
"""Processes and threads a seat's node may have by default (an idle node has ~60: dockerd
and containerd are threaded; a fork bomb in it stops here instead of at the host's limit)."""


@dataclass(frozen=True)
class NodeLimits:
    """What one node may take from the host (None: no limit)."""

    memory: int | None = None
    """Bytes of memory (swap included: the same figure is the memory+swap limit)."""
    pids: int | None = None
    """Processes and threads (the pids cgroup)."""
    cpu_shares: int | None = None
    """CPU weight when the CPU is contended (1024: as much as one ordinary process of the
    host; less lets lab's own processes — the screens people type into — go first)."""
    hardened: bool = False
    """Narrower rights (lab.sandbox.harden): no kernel log, modules, clock or disks."""

    def host_config(self) -> dict[str, Any]:
        """Arguments for the docker SDK's create_host_config()."""
        found: dict[str, Any] = {}
        if self.cpu_shares is not None:
            found["cpu_shares"] = self.cpu_shares
        if self.memory is not None:
            found["mem_limit"] = self.memory
            found["memswap_limit"] = self.memory
        if self.pids is not None:
            found["pids_limit"] = self.pids
        return found

    def describe(self) -> str:
        """`memory 1 GiB, 1024 pids, CPU weight 256/1024` (or `no limits`)."""
        parts = []
        if self.memory is not None:
            parts.append(f"memory {format_bytes(self.memory)}")
        if self.pids is not None:
            parts.append(f"{self.pids} pids")
        if self.cpu_shares is not None:
            parts.append(f"CPU weight {self.cpu_shares}/1024")
        if self.hardened:
            parts.append("narrowed rights")
        return ", ".join(parts) or "no limits"


@dataclass(frozen=True)
class Seat:
    """Where one person's nodes live for as long as their keeper (a `lab serve` room) runs.

    A session given a seat finds the nodes an earlier session of the same lesson made (and
    starts them again if they were stopped), or makes them; it never removes them: the
    keeper does (`remove()`), and `lab reset` sweeps them once the keeper is gone."""

    keeper: Owner
    """The process whose objects these are (the room): sweeps leave them while it lives."""
    room: str
    """The room's id (label `lab.sandbox.room`): what the room removes when it stops."""
    seat: str
    """This person's id within the room (label `lab.sandbox.seat`)."""
    limits: NodeLimits = field(default_factory=NodeLimits)
    """Limits of every node of the seat."""

    def run_id(self, lesson: Path) -> str:
        """The sandbox run id of a lesson on this seat: the same for every session."""
        digest = hashlib.sha256(str(lesson.resolve()).encode()).hexdigest()[:6]
        return f"{self.room}-{self.seat}-{digest}"

    def labels(self) -> dict[str, str]:
        """Labels every object of the seat carries (besides the sandbox's own)."""
        return {**self.keeper.labels(), labels.ROOM: self.room, labels.SEAT: self.seat}

    @contextmanager
    def locked(self, lesson: Path) -> Iterator[None]:
        """Held while a session finds or makes the nodes of a lesson, so that two sessions of
        the seat (a refresh while the old page still closes) never make two sets."""
        path = Path(tempfile.gettempdir()) / f"{LOCK_PREFIX}{self.run_id(lesson)}.lock"
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stop(self, client: Any, timeout: int = 5) -> list[str]:
        """Stop the seat's running nodes (an idle attendee): memory and CPU come back, the
        volumes stay; the next session starts them again. Returns the names stopped."""
        stopped = []
        selector = {"label": [f"{labels.ROOM}={self.room}", f"{labels.SEAT}={self.seat}"]}
        for container in client.containers.list(filters=selector):
            container.stop(timeout=timeout)
            stopped.append(container.name)
        return stopped

    def discard(self, client: Any, lesson: Path) -> CleanupReport:
        """Remove the nodes of one lesson (a learner's reset: the next session makes fresh
        ones)."""
        return remove_labelled(client, f"{labels.RUN}={self.run_id(lesson)}")


def remove_room(client: Any, room: str) -> CleanupReport:
    """Remove every node, volume and network of a room (and its seats' lock files)."""
    report = remove_labelled(client, f"{labels.ROOM}={room}")
    for lock in Path(tempfile.gettempdir()).glob(f"{LOCK_PREFIX}{room}-*.lock"):
        lock.unlink(missing_ok=True)
    return report


def format_bytes(n: int) -> str:
    """`1 GiB`, `512 MiB`."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} B"


def parse_bytes(text: str) -> int:
    """`1g`, `768m`, `512MiB`, `1073741824` -> bytes; ValueError when it is not one."""
    raw = text.strip().lower().removesuffix("ib").removesuffix("b")
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    scale = units.get(raw[-1:], 1)
    number = raw[:-1] if raw[-1:] in units else raw
    value = float(number)
    if value <= 0:
        raise ValueError(text)
    return int(value * scale)
