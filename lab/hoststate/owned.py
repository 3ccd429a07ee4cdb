"""Engine objects a session made, known by ID as they appear, and removing exactly those."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.engine.api import image_tags
from lab.engine.cleanup import CleanupReport
from lab.engine.reader import as_api


def _managed(labels: Any) -> bool:
    """lab's own objects (sandbox nodes and theirs) come and go with their runs."""
    return any(str(key).startswith("lab.") for key in (labels or {}))


@dataclass
class OwnedObjects:
    """Engine objects made by a session's steps and shells, by ID: what its reset removes."""

    containers: dict[str, str] = field(default_factory=dict)
    """Container ID -> its name when it was made."""
    images: dict[str, str] = field(default_factory=dict)
    """Image ID -> how it was known (its first tag, or its short ID)."""
    tags: dict[str, str] = field(default_factory=dict)
    """`repo:tag` the session added -> the image ID it pointed to."""
    volumes: set[str] = field(default_factory=set)
    """Volume names."""
    networks: dict[str, str] = field(default_factory=dict)
    """Network ID -> name."""

    def __bool__(self) -> bool:
        return bool(self.containers or self.images or self.tags or self.volumes or self.networks)

    def merge(self, other: OwnedObjects) -> None:
        """Add what other holds."""
        self.containers.update(other.containers)
        self.images.update(other.images)
        self.tags.update(other.tags)
        self.volumes |= other.volumes
        self.networks.update(other.networks)

    def without(self, other: OwnedObjects) -> OwnedObjects:
        """What this holds that other does not (another session's claims taken out)."""
        return OwnedObjects(
            {k: v for k, v in self.containers.items() if k not in other.containers},
            {k: v for k, v in self.images.items() if k not in other.images},
            {k: v for k, v in self.tags.items() if other.tags.get(k) != v},
            self.volumes - other.volumes,
            {k: v for k, v in self.networks.items() if k not in other.networks},
        )

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "containers": dict(sorted(self.containers.items())),
            "images": dict(sorted(self.images.items())),
            "tags": dict(sorted(self.tags.items())),
            "volumes": sorted(self.volumes),
            "networks": dict(sorted(self.networks.items())),
        }

    @classmethod
    def from_json(cls, data: Any) -> OwnedObjects:
        """The inverse of to_json (anything malformed reads as nothing owned)."""
        if not isinstance(data, dict):
            return cls()
        return cls(
            {str(k): str(v) for k, v in dict(data.get("containers", {})).items()},
            {str(k): str(v) for k, v in dict(data.get("images", {})).items()},
            {str(k): str(v) for k, v in dict(data.get("tags", {})).items()},
            {str(v) for v in data.get("volumes", ())},
            {str(k): str(v) for k, v in dict(data.get("networks", {})).items()},
        )


@dataclass(frozen=True)
class Listing:
    """The engine's objects at one moment (lab's own sandbox objects left out)."""

    containers: dict[str, str]
    """ID -> name."""
    images: dict[str, tuple[str, ...]]
    """ID -> tags."""
    volumes: frozenset[str]
    networks: dict[str, str]
    """ID -> name."""
    in_use: frozenset[str] = frozenset()
    """Image IDs, volume names and network IDs that some container uses."""


def list_objects(api: Any) -> Listing:
    """One listing per kind (api: an engine reader, `lab.engine.reader`)."""
    containers = api.get("/containers/json", all="1")
    images = api.get("/images/json", all="1")
    volumes = api.get("/volumes").get("Volumes") or []
    networks = api.get("/networks")
    return Listing(
        {
            str(c["Id"]): str((c.get("Names") or ["/?"])[0]).lstrip("/")
            for c in containers
            if not _managed(c.get("Labels"))
        },
        {str(i["Id"]): tuple(image_tags(i)) for i in images if not _managed(i.get("Labels"))},
        frozenset(str(v["Name"]) for v in volumes if not _managed(v.get("Labels"))),
        {str(n["Id"]): str(n.get("Name", "")) for n in networks if not _managed(n.get("Labels"))},
        frozenset(_uses(containers)),
    )


def _uses(containers: list[dict[str, Any]]) -> set[str]:
    """What containers hold on to: their images, named volumes and networks."""
    used: set[str] = set()
    for c in containers:
        used.add(str(c.get("ImageID", "")))
        used |= {str(m.get("Name")) for m in c.get("Mounts") or [] if m.get("Type") == "volume"}
        nets = ((c.get("NetworkSettings") or {}).get("Networks") or {}).values()
        used |= {str((n or {}).get("NetworkID", "")) for n in nets}
    return used


def appeared(before: Listing, after: Listing) -> OwnedObjects:
    """What is in `after` and was not in `before`: objects made meanwhile, and tags added."""
    old_tags = {t for tags in before.images.values() for t in tags}
    new = OwnedObjects(
        {k: v for k, v in after.containers.items() if k not in before.containers},
        {
            k: (tags[0] if tags else k[:19])
            for k, tags in after.images.items()
            if k not in before.images
        },
        {t: k for k, tags in after.images.items() for t in tags if t not in old_tags},
        set(after.volumes - before.volumes),
        {k: v for k, v in after.networks.items() if k not in before.networks},
    )
    return new


def remove_owned(
    client: Any, owned: OwnedObjects, report: CleanupReport, *, dry_run: bool = False
) -> None:
    """Remove what a session made, by ID, and nothing else: its containers, the tags it added
    (while they still point where they did), images it made that carry no other tag, its
    volumes and networks. Objects already gone are skipped. client: a docker SDK client."""
    api = client.api
    listing = list_objects(as_api(client))

    def attempt(what: str, action: Any, *args: Any, **kwargs: Any) -> None:
        if dry_run:
            report.removed.append(what)
            return
        try:
            action(*args, **kwargs)
        except Exception as exc:  # the engine's words are the useful part
            report.failed.append(f"{what}: {getattr(exc, 'explanation', None) or exc}")
        else:
            report.removed.append(what)

    removing = [cid for cid in owned.containers if cid in listing.containers]
    for cid in removing:
        what = f"container {listing.containers[cid]} ({cid[:12]})"
        attempt(what, api.remove_container, cid, v=True, force=True)
    if removing and not dry_run:  # their anonymous volumes went with them; what is free now
        listing = list_objects(as_api(client))

    def busy(what: str, key: str) -> bool:
        if key in listing.in_use and not dry_run:
            report.left.append(f"{what} (in use by a container)")
            return True
        return False

    for tag, image_id in owned.tags.items():
        tags = listing.images.get(image_id, ())
        others = [t for t in tags if t not in owned.tags]
        if tag in tags and (image_id not in owned.images or others):
            attempt(f"tag {tag}", api.remove_image, tag, noprune=True)
    for image_id, label in owned.images.items():
        held = listing.images.get(image_id)
        if held is None or any(t not in owned.tags for t in held):
            continue  # gone, or someone else's tag holds it
        what = f"image {', '.join(held) or label}"
        if not busy(what, image_id):
            attempt(what, api.remove_image, image_id, force=True)
    for name in sorted(owned.volumes):
        if name in listing.volumes and not busy(f"volume {name}", name):
            attempt(f"volume {name}", api.remove_volume, name, force=True)
    for nid, name in owned.networks.items():
        if nid in listing.networks and not busy(f"network {name}", nid):
            attempt(f"network {name}", api.remove_network, nid)
