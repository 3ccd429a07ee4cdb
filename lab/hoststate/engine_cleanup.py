"""Removing the engine objects a run added (containers, volumes, networks, images), each once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from lab.engine.api import image_tags
from lab.engine.cleanup import CleanupReport
from lab.engine.reader import as_api
from lab.hoststate.snapshot import HostState

Owned = Callable[[str, Sequence[str]], bool]
"""owned(kind, names): is this object, created during the session, the lesson's doing?"""
ANONYMOUS_VOLUME = re.compile(r"^[0-9a-f]{64}$")
BUILTIN_NETWORKS = frozenset({"bridge", "host", "none"})


def everything(kind: str, names: Sequence[str]) -> bool:
    """Treat everything created during the session as the lesson's (a learner's own session)."""
    return True


def _managed(labels: Mapping[str, str] | None) -> bool:
    """Objects lab labels itself (sandbox nodes) are cleaned up by their own owner."""
    return any(key.startswith("lab.") for key in (labels or {}))


class _Cleaner:
    """Removes, or with dry_run only lists, what the session added; each object once.
    A removal starts as soon as it is asked for (side by side with the others and with the
    reading that follows); flush() waits for those started so far and reports them."""

    def __init__(self, report: CleanupReport, dry_run: bool) -> None:
        self.report = report
        self.dry_run = dry_run
        self._pool: ThreadPoolExecutor | None = None
        self._started: list[tuple[str, Future[str | None]]] = []
        self._seen: set[str] = set()

    def __enter__(self) -> _Cleaner:
        return self

    def __exit__(self, *_: object) -> None:
        self.flush()
        if self._pool is not None:
            self._pool.shutdown()

    def _first(self, what: str) -> bool:
        if what in self._seen:
            return False
        self._seen.add(what)
        return True

    def remove(self, what: str, action: Callable[[], object]) -> None:
        if not self._first(what):
            return
        if self.dry_run:
            self.report.removed.append(what)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lab-cleanup")
        self._started.append((what, self._pool.submit(_attempt, action)))

    def leave(self, what: str) -> None:
        if self._first(what):
            self.report.left.append(what)

    def flush(self) -> None:
        started, self._started = self._started, []
        for what, outcome in started:
            error = outcome.result()
            if error is None:
                self.report.removed.append(what)
            else:
                self.report.failed.append(f"{what}: {error}")


def _attempt(action: Callable[[], object]) -> str | None:
    """None when action succeeded, else what the engine said."""
    try:
        action()
    except Exception as exc:  # the engine's error text is the useful part
        return str(getattr(exc, "explanation", None) or exc)
    return None


@dataclass(frozen=True)
class _Uses:
    """What a set of containers holds on to: these cannot be removed while they exist."""

    volumes: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    """Network IDs and names."""
    images: frozenset[str] = frozenset()
    """Image IDs."""


def _uses(containers: Sequence[dict[str, Any]]) -> _Uses:
    """From the engine's container listing (GET /containers/json)."""
    volumes, networks, images = set(), set(), set()
    for c in containers:
        volumes |= {m.get("Name") for m in c.get("Mounts") or [] if m.get("Type") == "volume"}
        for name, net in ((c.get("NetworkSettings") or {}).get("Networks") or {}).items():
            networks |= {name, (net or {}).get("NetworkID", "")}
        if c.get("ImageID"):
            images.add(c["ImageID"])
    return _Uses(frozenset(volumes), frozenset(networks), frozenset(images))


def _container_name(c: dict[str, Any]) -> str:
    names = c.get("Names") or []
    return str(names[0]).lstrip("/") if names else str(c["Id"])[:12]


def _image_short_id(image_id: str) -> str:
    """As `docker images` (and the SDK) shorten an image ID: `sha256:` and 10 hex digits."""
    return image_id[:17] if image_id.startswith("sha256:") else image_id[:10]


def restore_engine(
    client: Any,
    before: HostState,
    report: CleanupReport,
    owned: Owned = everything,
    *,
    dry_run: bool = False,
    reader: Any = None,
) -> None:
    """Remove engine objects the session added; never touch ones that existed before, nor
    new ones `owned` does not attribute to the lesson (someone else's, made meanwhile).

    client: a docker SDK client (its low-level API removes); reader: what lists the engine's
    objects (default: the same client, one listing per kind, however many objects there are).
    Two passes: the lesson's containers go side by side with every other object no container
    uses; then what only those containers used (their volumes, networks and images)."""
    api = reader if reader is not None else as_api(client)
    with _Cleaner(report, dry_run) as cleaner:
        containers = api.get("/containers/json", all="1")
        going: set[str] = set()
        for c in containers:
            cid = str(c["Id"])
            if cid in before.containers or _managed(c.get("Labels")):
                continue
            name = _container_name(c)
            what = f"container {name} ({cid[:12]})"
            if owned("container", [name, cid, cid[:12]]):
                remove = partial(client.api.remove_container, cid, v=True, force=True)
                cleaner.remove(what, remove)
                going.add(cid)
            else:
                cleaner.leave(what)
        _remove_others(api, client, before, owned, cleaner, _uses(containers), final=not going)
        cleaner.flush()
        if not going:
            return
        if dry_run:
            staying = [c for c in containers if c["Id"] not in going]
        else:
            staying = api.get("/containers/json", all="1")
        _remove_others(api, client, before, owned, cleaner, _uses(staying), final=True)


def _remove_others(
    api: Any,
    client: Any,
    before: HostState,
    owned: Owned,
    cleaner: _Cleaner,
    busy: _Uses,
    *,
    final: bool,
) -> None:
    """Queue the removal of new volumes, networks, tags and images that no container in busy
    uses (final: what is still in use now is left alone, and said so)."""
    actions = client.api
    for v in api.get("/volumes").get("Volumes") or []:
        name = str(v["Name"])
        if name in before.volumes or _managed(v.get("Labels")):
            continue
        if name in busy.volumes:
            if final:
                cleaner.leave(f"volume {name} (in use)")
            continue
        if owned("volume", [name]) or ANONYMOUS_VOLUME.match(name) is not None:
            cleaner.remove(f"volume {name}", partial(actions.remove_volume, name, force=True))
        else:
            cleaner.leave(f"volume {name}")
    for n in api.get("/networks"):
        nid, name = str(n["Id"]), str(n.get("Name", ""))
        if nid in before.networks or name in BUILTIN_NETWORKS or _managed(n.get("Labels")):
            continue
        if nid in busy.networks or name in busy.networks:
            if final:
                cleaner.leave(f"network {name} (in use)")
            continue
        if owned("network", [name, nid[:12]]):
            cleaner.remove(f"network {name}", partial(actions.remove_network, nid))
        else:
            cleaner.leave(f"network {name}")
    for image in api.get("/images/json", all="1"):
        image_id, tags = str(image["Id"]), image_tags(image)
        if image_id in before.images:
            # An image that was here: only drop tags the session added to it.
            for tag in tags:
                if tag in before.image_tags:
                    continue
                if owned("image", [tag, tag.rsplit(":", 1)[0]]):
                    untag = partial(actions.remove_image, tag, noprune=True)
                    cleaner.remove(f"tag {tag}", untag)
                else:
                    cleaner.leave(f"tag {tag}")
            continue
        if _managed(image.get("Labels")):
            continue
        short = _image_short_id(image_id)
        what = f"image {', '.join(tags) or short}"
        if image_id in busy.images:
            if final:
                cleaner.leave(f"{what} (in use by a container)")
            continue
        names = [*tags, *(t.rsplit(":", 1)[0] for t in tags), short]
        if owned("image", names):
            cleaner.remove(what, partial(actions.remove_image, image_id, force=True))
        else:
            cleaner.leave(what)
