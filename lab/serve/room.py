"""A workshop room: its code and instructor key, its seats and who sits in them, and what each
attendee's app process is handed (their seat of sandbox nodes, their own state directory)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from lab.sandbox.owner import Owner
from lab.sandbox.seat import NodeLimits, Seat
from lab.serve.handoff import Handoff
from lab.serve.identity import Signer, new_code, normal_code, same
from lab.statefiles import state_root, write_atomic

NAME_MAX = 40
"""Characters of an attendee's name kept (it is shown on the instructor's page)."""
ATTENDEE_COOKIE = "attendee"
INSTRUCTOR_COOKIE = "instructor"


@dataclass(frozen=True)
class RoomConfig:
    """What the instructor asked for on the command line."""

    lessons: tuple[Path, ...]
    """Lesson files or course directories (one lesson opens directly; more: the picker)."""
    seats: int = 30
    """How many attendees may join."""
    idle_minutes: float = 30.0
    """An attendee away this long has their nodes stopped (0: never)."""
    limits: NodeLimits = field(default_factory=NodeLimits)
    """Limits of every node."""
    node_image: str | None = None
    """The sandbox node image (None: LAB_NODE_IMAGE, else docker:dind)."""
    warm: int = 0
    """Seats whose nodes for the first lesson are made before anyone joins (joining is then
    a matter of starting the app and a shell)."""


@dataclass
class Attendee:
    """Someone who joined the room."""

    id: str
    """Their id (in their signed cookie and their nodes' labels): `s03` + random."""
    seat: int
    """1, 2, ... in joining order."""
    name: str
    """What they typed on the join page."""
    state_dir: Path
    """Their own state directory (LAB_STATE_DIR of their app): progress, captures."""
    joined: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    """When their last connection ended (or began, while one is open)."""
    connected: bool = False
    """A browser of theirs is connected now."""
    nodes_stopped: bool = False
    """Their nodes were stopped while they were away (started again when they return)."""


class JoinRefused(Exception):
    """The join page's answer when someone may not join: `kind` picks the page."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        """`code` (wrong or missing code), `name` (no name given), `full` (no seat left)."""
        self.message = message


class Room:
    """The room `lab serve` runs: who may join, who has, and each one's seat of nodes."""

    def __init__(self, config: RoomConfig, *, owner: Owner | None = None) -> None:
        self.config = config
        self.id = secrets.token_hex(3)
        """Labels every node, volume and network of the room (`lab.sandbox.room`)."""
        self.code = new_code()
        """What attendees type (or find in their URL) to join."""
        self.key = secrets.token_urlsafe(18)
        """The instructor's key (in the instructor URL only)."""
        self.owner = owner or Owner.current()
        """The process that keeps the nodes: sweeps leave them while it lives."""
        self.signer = Signer()
        self.state_dir = state_root() / "rooms" / self.id
        """The room's files: each attendee's state directory and the roster."""
        self.attendees: dict[str, Attendee] = {}
        self.seat_ids = [f"s{n:02d}{secrets.token_hex(2)}" for n in range(1, config.seats + 1)]
        """The id of whoever takes each seat, made up front: a seat's nodes can be made
        before anyone sits there (`warm`)."""

    # -- joining -----------------------------------------------------------------------

    def check_code(self, typed: str | None) -> bool:
        """The room code, typed in any case, with or without its dash (constant time)."""
        return same(normal_code(typed or ""), self.code)

    def check_key(self, given: str | None) -> bool:
        """The instructor key (constant time)."""
        return same(given or "", self.key)

    def join(self, code: str | None, name: str | None) -> Attendee:
        """A new attendee in the next free seat; raises JoinRefused."""
        if not self.check_code(code):
            raise JoinRefused(
                "code", "That room code is not this room's. Check it with your instructor."
            )
        clean = " ".join((name or "").split())[:NAME_MAX]
        if not clean:
            raise JoinRefused("name", "Type your name (or your seat number) to join.")
        if len(self.attendees) >= self.config.seats:
            raise JoinRefused(
                "full",
                f"All {self.config.seats} seats of this room are taken. "
                "Ask your instructor: they can start the room with more seats.",
            )
        seat = len(self.attendees) + 1
        attendee_id = self.seat_ids[seat - 1]
        attendee = Attendee(attendee_id, seat, clean, self.state_dir / "attendees" / attendee_id)
        attendee.state_dir.mkdir(parents=True, exist_ok=True)
        self.attendees[attendee_id] = attendee
        self.save_roster()
        return attendee

    # -- identity ----------------------------------------------------------------------

    @property
    def attendee_cookie(self) -> str:
        """The attendee cookie's name (per room: rooms on one host do not share it)."""
        return f"lab_attendee_{self.id}"

    @property
    def instructor_cookie(self) -> str:
        """The instructor cookie's name."""
        return f"lab_instructor_{self.id}"

    def cookie_of(self, attendee: Attendee) -> str:
        """The signed cookie value that says who an attendee is."""
        return self.signer.sign(ATTENDEE_COOKIE, attendee.id)

    def attendee_of(self, cookie: str | None) -> Attendee | None:
        """Who a cookie says the browser is; None when it is missing, tampered with, another
        room's, or of no attendee of this room."""
        attendee_id = self.signer.unsign(ATTENDEE_COOKIE, cookie)
        return self.attendees.get(attendee_id) if attendee_id is not None else None

    def instructor_token(self) -> str:
        """The instructor cookie's value."""
        return self.signer.sign(INSTRUCTOR_COOKIE, "instructor")

    def is_instructor(self, cookie: str | None) -> bool:
        """The cookie is the instructor's."""
        return self.signer.unsign(INSTRUCTOR_COOKIE, cookie) == "instructor"

    # -- each attendee's app -----------------------------------------------------------

    def seat_of(self, attendee: Attendee) -> Seat:
        """The attendee's seat of sandbox nodes."""
        return self.seat(attendee.id)

    def seat(self, seat_id: str) -> Seat:
        """A seat's nodes, by the seat's id."""
        return Seat(self.owner, self.id, seat_id, self.config.limits)

    def handoff_of(self, attendee: Attendee) -> Handoff:
        """What the attendee's app process is given."""
        return Handoff(
            self.seat_of(attendee),
            self.config.lessons,
            attendee.name,
            attendee.state_dir,
            self.config.node_image,
        )

    def save_roster(self) -> None:
        """Who joined (no secrets): read after the room ends, and by the instructor."""
        roster = [
            {"id": a.id, "seat": a.seat, "name": a.name, "joined": a.joined}
            for a in self.attendees.values()
        ]
        lessons = [str(p) for p in self.config.lessons]
        text = json.dumps({"room": self.id, "lessons": lessons, "attendees": roster}, indent=1)
        write_atomic(self.state_dir / "room.json", text + "\n")
