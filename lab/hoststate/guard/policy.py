"""What the engine guard refuses: ending, changing or overwriting what existed before the lesson.

A request is judged by its method and path alone (and, for a network disconnect, its small JSON
body). Names, IDs and ID prefixes are resolved to the object by asking the engine to inspect
the name, as the engine itself would, so `docker rm -f 3f2` and `docker rm -f precious` are
judged alike. Everything else is forwarded unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from lab.engine.api import image_tags
from lab.errors import UsageError
from lab.hoststate.snapshot import HostState
from lab.lesson.reference import parse_reference

CONFLICT = 409
"""The status of a refused change to one object (the engine's own for `container is running`)."""
FORBIDDEN = 403
"""The status of a refused prune."""

Inspect = Callable[[str], Awaitable[Any]]
"""inspect(path): the engine's JSON answer to GET path, None when it says 404 (no such object)."""

_VERSION = re.compile(r"^/v\d+(?:\.\d+)?(?=/)")
_CONTAINER_CHANGE = re.compile(r"^/containers/([^/]+)/(kill|stop|restart|pause|rename|update)$")
_CONTAINER = re.compile(r"^/containers/([^/]+)$")
_PRUNE = re.compile(r"^/(containers|images|volumes|networks|build)/prune$")
_IMAGE_TAG = re.compile(r"^/images/(.+)/tag$")
_IMAGE = re.compile(r"^/images/(.+)$")
_VOLUME = re.compile(r"^/volumes/([^/]+)$")
_NETWORK = re.compile(r"^/networks/([^/]+)$")
_DISCONNECT = re.compile(r"^/networks/([^/]+)/disconnect$")
_ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")
"""An anonymous volume's name."""
_PRUNED = {
    "containers": "stopped containers",
    "images": "unused images",
    "volumes": "unused volumes",
    "networks": "unused networks",
    "build": "build cache",
}


@dataclass(frozen=True)
class Refusal:
    """A request the guard did not forward, and what the client was told instead."""

    status: int
    """The HTTP status of the answer (409 for an object, 403 for a prune)."""
    message: str
    """The Docker-style error message: `lab protected container 'precious': ...`."""
    request: str
    """The request, as `METHOD /path` (for logs and tests)."""


@dataclass(frozen=True)
class Protected:
    """What existed before the lesson, as the host snapshot recorded it."""

    containers: frozenset[str] = frozenset()
    """Container IDs."""
    images: frozenset[str] = frozenset()
    """Image IDs."""
    image_tags: frozenset[str] = frozenset()
    """`repo:tag` names, as the engine lists them."""
    volumes: frozenset[str] = frozenset()
    """Volume names."""
    networks: frozenset[str] = frozenset()
    """Network IDs."""
    restorable_images: frozenset[str] = frozenset()
    """IDs of images saved before the run (the lesson removes them by name): cleanup loads them
    back with their tags, so removing or retagging them loses nothing."""
    restorable_tags: frozenset[str] = frozenset()
    """The tags those images had."""

    @classmethod
    def of(cls, state: HostState) -> Protected:
        """From a host snapshot."""
        return cls(
            containers=state.containers,
            images=state.images,
            image_tags=state.image_tags,
            volumes=state.volumes,
            networks=state.networks,
            restorable_images=frozenset(s.image_id for s in state.saved_images),
            restorable_tags=frozenset(t for s in state.saved_images for t in s.tags),
        )


def api_path(target: str) -> tuple[str, dict[str, list[str]]]:
    """A request target's path without the API version prefix, and its query."""
    parts = urlsplit(target)
    return _VERSION.sub("", parts.path), parse_qs(parts.query)


def needs_body(method: str, target: str) -> bool:
    """Whether the guard must read the request's body to judge it (a network disconnect names
    the container in its JSON body)."""
    return method == "POST" and _DISCONNECT.match(api_path(target)[0]) is not None


def familiar(name: str) -> str | None:
    """An image reference as the engine lists its tags (`hello-world:latest`,
    `127.0.0.1:5000/hello-world:latest`); None when name is no tag reference."""
    try:
        ref = parse_reference(name)
    except UsageError:
        return None
    if ref.digest or not ref.tag:
        return None
    where = "" if ref.is_docker_hub else f"{ref.registry}/"
    return f"{where}{ref.familiar_repository}:{ref.tag}"


def _lab_labelled(labels: Mapping[str, str] | None) -> bool:
    return any(str(key).startswith("lab.") for key in (labels or {}))


class Policy:
    """Judges requests against what the host had before the lesson (see the module)."""

    def __init__(self, protected: Protected, inspect: Inspect) -> None:
        self.protected = protected
        self.inspect = inspect

    async def judge(self, method: str, target: str, body: bytes | None = None) -> Refusal | None:
        """The refusal for a request, None to forward it."""
        path, query = api_path(target)
        request = f"{method} {path}"
        message = await self._message(method, path, query, body)
        if message is None:
            return None
        status = FORBIDDEN if _PRUNE.match(path) else CONFLICT
        return Refusal(status, message, request)

    async def _message(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes | None
    ) -> str | None:
        if method == "POST" and (m := _PRUNE.match(path)):
            what = _PRUNED[m.group(1)]
            return (
                f"lab protected the engine's {what}: a prune would remove them all, "
                "not only the lesson's"
            )
        if method == "DELETE" and (m := _CONTAINER.match(path)):
            return await self._container(m.group(1))
        if method == "POST" and (m := _CONTAINER_CHANGE.match(path)):
            return await self._container(m.group(1))
        if method == "POST" and (m := _DISCONNECT.match(path)):
            return await self._container(_disconnected(body))
        if method == "POST" and (m := _IMAGE_TAG.match(path)):
            repo, tag = _first(query, "repo"), _first(query, "tag") or "latest"
            return await self._retag(m.group(1), f"{repo}:{tag}") if repo else None
        if method == "DELETE" and (m := _IMAGE.match(path)):
            return await self._image(m.group(1))
        if method == "DELETE" and (m := _VOLUME.match(path)):
            return await self._volume(m.group(1))
        if method == "DELETE" and (m := _NETWORK.match(path)):
            return await self._network(m.group(1))
        if method == "POST" and path in ("/build", "/commit", "/images/create"):
            return await self._new_tags(path, query)
        return None

    async def _container(self, raw: str) -> str | None:
        if not raw:
            return None
        info = await self.inspect(f"/containers/{raw}/json")
        if not info:
            return None  # no such container: the engine says so itself
        name = str(info.get("Name") or raw).lstrip("/")
        if info.get("Id") in self.protected.containers:
            return f"lab protected container '{name}': it existed before this lesson"
        if _lab_labelled((info.get("Config") or {}).get("Labels")):
            return f"lab protected container '{name}': it belongs to another lab run's sandbox"
        return None

    async def _image(self, raw: str) -> str | None:
        info = await self.inspect(f"/images/{raw}/json")
        if not info:
            return None
        image_id = str(info.get("Id", ""))
        if image_id not in self.protected.images or image_id in self.protected.restorable_images:
            return None
        tags = image_tags(info)
        ref = familiar(unquote(raw))
        if ref is not None and ref in tags:  # a tag of it: removing it untags
            if ref in self.protected.image_tags:
                return f"lab protected image tag '{ref}': it existed before this lesson"
            if len(tags) + len(info.get("RepoDigests") or []) > 1:
                return None  # a tag the lesson added: the image keeps its other names
        kept = sorted(t for t in tags if t in self.protected.image_tags)
        label = kept[0] if kept else image_id.removeprefix("sha256:")[:12]
        return f"lab protected image '{label}': it existed before this lesson"

    def _tag_protected(self, tag: str) -> bool:
        return tag in self.protected.image_tags and tag not in self.protected.restorable_tags

    async def _retag(self, raw_source: str, target: str) -> str | None:
        tag = familiar(target)
        if tag is None or not self._tag_protected(tag):
            return None
        current = await self.inspect(f"/images/{tag}/json")
        source = await self.inspect(f"/images/{raw_source}/json")
        if not current or not source or current.get("Id") == source.get("Id"):
            return None  # gone, or already this image: nothing is overwritten
        return (
            f"lab protected image tag '{tag}': it existed before this lesson "
            "(on another image; tagging would move it)"
        )

    async def _new_tags(self, path: str, query: dict[str, list[str]]) -> str | None:
        """A build, commit or import names tags for the image it makes: one the user had would
        move to the new image."""
        if path == "/build":
            names = query.get("t", [])
        elif path == "/images/create" and not _first(query, "fromSrc"):
            return None  # a pull: the tag follows its registry, the user's image stays
        else:
            repo = _first(query, "repo")
            names = [f"{repo}:{_first(query, 'tag') or 'latest'}"] if repo else []
        for name in names:
            tag = familiar(name)
            if (
                tag is not None
                and self._tag_protected(tag)
                and await self.inspect(f"/images/{tag}/json")
            ):
                made = {"/build": "the build", "/commit": "the commit"}.get(path, "the import")
                return (
                    f"lab protected image tag '{tag}': it existed before this lesson "
                    f"({made} would move it to the new image)"
                )
        return None

    async def _volume(self, raw: str) -> str | None:
        name = unquote(raw)
        label = name[:12] if _ANONYMOUS.match(name) else name  # as docker shortens IDs
        if name in self.protected.volumes:
            return f"lab protected volume '{label}': it existed before this lesson"
        info = await self.inspect(f"/volumes/{raw}")
        if info and _lab_labelled(info.get("Labels")):
            return f"lab protected volume '{label}': it belongs to another lab run's sandbox"
        return None

    async def _network(self, raw: str) -> str | None:
        info = await self.inspect(f"/networks/{raw}")
        if not info:
            return None
        name = str(info.get("Name") or unquote(raw))
        if info.get("Id") in self.protected.networks:
            return f"lab protected network '{name}': it existed before this lesson"
        if _lab_labelled(info.get("Labels")):
            return f"lab protected network '{name}': it belongs to another lab run's sandbox"
        return None


def _first(query: dict[str, list[str]], key: str) -> str:
    values = query.get(key) or [""]
    return values[0]


def _disconnected(body: bytes | None) -> str:
    """The container a network disconnect names (URL-quoted, as a path segment)."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return ""
    container = data.get("Container") if isinstance(data, dict) else None
    return re.sub(r"[^\w.-]", lambda m: f"%{ord(m.group()):02X}", str(container or ""))
