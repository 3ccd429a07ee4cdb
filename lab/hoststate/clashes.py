"""What already holds a lesson's names and ports on this engine, and which lab session made it."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lab.engine.api import EngineRequestError, path_of
from lab.engine.reader import Engine
from lab.hoststate import store
from lab.hoststate.store import SessionRecord
from lab.lesson.model import Lesson
from lab.lesson.needs import LessonNeeds, lesson_needs


@dataclass(frozen=True)
class _Container:
    name: str
    status: str
    image: str
    host_ports: tuple[int, ...]
    id: str = ""
    created: float = 0.0
    """Seconds since the epoch."""


@dataclass(frozen=True)
class Clash:
    """A container in the way of a lesson: it has a name the lesson gives, or publishes a
    host port the lesson publishes; and which lab session made it, if one did."""

    container: str
    """Its name."""
    container_id: str
    what: str
    """`named 'registry'` or `publishing port 5000`."""
    owner: SessionRecord | None = None
    """The lab session that made it (None: not lab's)."""

    @property
    def owner_lesson(self) -> str | None:
        """The lesson file of the session that made it."""
        return self.owner.lesson if self.owner is not None else None

    def describe(self) -> str:
        """Whose it is, in words."""
        if self.owner is None:
            return ""
        if self.owner.interactive:
            return f"it belongs to your session of {self.owner.lesson} (lab open)"
        if self.owner.running:
            return f"a `lab run` of {self.owner.lesson} (process {self.owner.pid}) uses it now"
        return f"it was left by lab's interrupted run of {self.owner.lesson}"


def owner_of(
    container_id: str, created: float, records: Sequence[SessionRecord]
) -> SessionRecord | None:
    """The recorded lab session that made a container: one that claims its ID; else a
    `lab run` that died before its cleanup (its record stayed), that started before the
    container was made and did not have it then."""
    for record in records:
        if container_id in record.owned.containers:
            return record
    dead = [
        r
        for r in records
        if not r.interactive
        and not r.running
        and r.started
        and created >= r.started - 1
        and container_id not in r.before.containers
    ]
    return max(dead, key=lambda r: r.started) if dead else None


def containers_of(engine: Engine, *, ports: bool) -> list[_Container]:
    """Every container (with the host ports it publishes when ports: an inspect each)."""
    listed = engine.get("/containers/json", all="1")

    def one(summary: dict[str, Any]) -> _Container | None:
        names = summary.get("Names") or ["/" + summary.get("Id", "?")[:12]]
        found = _Container(
            names[0].lstrip("/"),
            summary.get("State", "?"),
            summary.get("Image", "?"),
            (),
            str(summary.get("Id", "")),
            float(summary.get("Created", 0) or 0),
        )
        if not ports:
            return found
        try:
            attrs = engine.get(path_of("/containers/{}/json", summary["Id"]))
        except EngineRequestError as exc:
            if exc.status == 404:  # removed meanwhile
                return None
            raise
        bindings = (attrs.get("HostConfig") or {}).get("PortBindings") or {}
        host_ports = tuple(
            int(b["HostPort"])
            for entries in bindings.values()
            for b in entries or []
            if str(b.get("HostPort", "")).isdigit()
        )
        return _Container(
            attrs.get("Name", "").lstrip("/") or found.name,
            (attrs.get("State") or {}).get("Status", found.status),
            (attrs.get("Config") or {}).get("Image", found.image),
            host_ports,
            found.id,
            found.created,
        )

    if len(listed) < 4:
        got = [one(c) for c in listed]
    else:
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(one, listed))
    return [c for c in got if c is not None]


def clashes(
    containers: Sequence[_Container], needs: LessonNeeds, records: Sequence[SessionRecord]
) -> list[Clash]:
    """Containers in the lesson's way (its names, its host ports), with the session that
    made each, if lab's."""
    found: dict[str, Clash] = {}
    for c in containers:
        whats = [f"named '{c.name}'"] if c.name in needs.names else []
        whats += [f"publishing port {p}" for p in needs.host_ports if p in c.host_ports]
        if whats and c.id not in found:
            found[c.id] = Clash(
                c.name, c.id, " and ".join(whats), owner_of(c.id, c.created, records)
            )
    return list(found.values())


def find_clashes(engine: Engine, lesson: Lesson) -> list[Clash]:
    """What is in a lesson's way on this engine (blocking: run it in a thread)."""
    needs = lesson_needs(lesson)
    if not (needs.names or needs.host_ports):
        return []
    return clashes(containers_of(engine, ports=bool(needs.host_ports)), needs, store.records())
