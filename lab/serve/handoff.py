"""What the room hands each attendee's app process, in its environment: the seat of nodes,
the lessons, the attendee's own state directory. Ids and paths only, never a secret (the
command and environment of a process are visible to anyone on the host who runs `ps`)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lab.sandbox.owner import Owner
from lab.sandbox.seat import NodeLimits, Seat

SEAT_ENV = "LAB_SERVE_SEAT"
LESSONS_ENV = "LAB_SERVE_LESSONS"
NAME_ENV = "LAB_SERVE_NAME"


@dataclass(frozen=True)
class Handoff:
    """One attendee's app: their seat, the room's lessons, their name."""

    seat: Seat
    lessons: tuple[Path, ...]
    name: str
    state_dir: Path
    node_image: str | None = None

    def environment(self) -> dict[str, str]:
        """The variables that carry it (added to the room's own environment)."""
        keeper = self.seat.keeper
        seat = {
            "keeper": {"pid": keeper.pid, "boot": keeper.boot, "started": keeper.started},
            "room": self.seat.room,
            "seat": self.seat.seat,
            "memory": self.seat.limits.memory,
            "pids": self.seat.limits.pids,
            "cpu_shares": self.seat.limits.cpu_shares,
            "hardened": self.seat.limits.hardened,
        }
        env = {
            SEAT_ENV: json.dumps(seat),
            LESSONS_ENV: json.dumps([str(p) for p in self.lessons]),
            NAME_ENV: self.name,
            "LAB_STATE_DIR": str(self.state_dir),
        }
        if self.node_image:
            env["LAB_NODE_IMAGE"] = self.node_image
        return env

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Handoff:
        """Read it back in the attendee's process; KeyError/ValueError when it is not there."""
        env = os.environ if env is None else env
        raw = json.loads(env[SEAT_ENV])
        keeper = raw["keeper"]
        seat = Seat(
            Owner(int(keeper["pid"]), str(keeper["boot"]), keeper.get("started")),
            str(raw["room"]),
            str(raw["seat"]),
            NodeLimits(
                raw.get("memory"),
                raw.get("pids"),
                raw.get("cpu_shares"),
                bool(raw.get("hardened", False)),
            ),
        )
        lessons = tuple(Path(p) for p in json.loads(env[LESSONS_ENV]))
        return cls(
            seat,
            lessons,
            env.get(NAME_ENV, ""),
            Path(env["LAB_STATE_DIR"]),
            env.get("LAB_NODE_IMAGE") or None,
        )
