"""A bundle on disk: its manifest (`bundle.json`), where its lessons are, where the storage of the
registry that serves its images is, and where an image goes in that registry."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.bundle.storage import Blob
from lab.errors import UsageError
from lab.lesson.reference import parse_reference

MANIFEST = "bundle.json"
"""The bundle's manifest, at its top; written last, so a bundle without one is unfinished."""
FORMAT = "lab-bundle/1"
LESSONS = "lessons"
"""Where the lessons (and their overlays) are, under the bundle."""
REGISTRY = "registry"
"""The registry's storage root (`storage.filesystem.rootdirectory`), under the bundle."""


@dataclass(frozen=True)
class BundledFile:
    """A file of the bundle besides the images: a lesson, an overlay, a licence."""

    path: str
    """Its path in the bundle (`lessons/…`)."""
    sha256: str
    """Hex digest of its bytes."""
    size: int
    """Bytes."""


@dataclass(frozen=True)
class BundledImage:
    """One image of the bundle."""

    ref: str
    """The reference as the lessons name it (`registry:2`)."""
    repository: str
    """Its repository in the bundle's registry (`library/registry`: where an engine that uses
    the bundle as its registry mirror asks for it)."""
    tag: str
    """Its tag there."""
    digest: str
    """The digest of its manifest in the bundle (`sha256:…`)."""
    image_id: str
    """The digest of its config: the image ID an engine gives it."""
    size: int
    """Bytes of its manifest and blobs in the bundle (blobs shared with other images counted)."""
    blobs: tuple[Blob, ...] = ()
    """Its manifest, then the blobs the manifest names (what `lab bundle verify` checks)."""
    used_by: tuple[str, ...] = ()
    """What needs it: `lessons/…md line 39 (docker run)`, `sandbox nodes`, `--image`."""


@dataclass(frozen=True)
class BundleManifest:
    """What `bundle.json` says."""

    lab: str
    """The lab version that made the bundle."""
    created: str
    """When (UTC, ISO 8601)."""
    images: tuple[BundledImage, ...]
    files: tuple[BundledFile, ...]
    """The lessons, their overlays and licences."""
    images_size: int
    """Bytes of the registry's storage (every blob once)."""
    total_size: int
    """Bytes of the whole bundle (everything but bundle.json)."""
    unknown: tuple[str, ...] = ()
    """Commands whose image could not be told (and was not given with --image)."""
    node_image: str | None = None
    """The sandbox node image in the bundle."""
    format: str = FORMAT

    def to_json(self) -> str:
        """The manifest as bundle.json holds it."""
        return json.dumps(asdict(self), indent=2) + "\n"

    @property
    def lessons(self) -> list[str]:
        """The lesson files of the bundle (paths in it)."""
        return [f.path for f in self.files if f.path.endswith((".md", ".markdown"))]


def read_manifest(bundle: Path) -> BundleManifest:
    """bundle.json of a bundle directory; a UsageError when it is not a bundle."""
    path = bundle / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(
            f"{bundle} is not a lab bundle (it has no {MANIFEST})",
            "name a directory made by `lab bundle LESSON... -o DIR`",
        ) from exc
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{path} cannot be read: {exc}",
            "the bundle is damaged; make it again with `lab bundle`",
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError(
            f"{path} is not a manifest this lab reads (format {data.get('format')!r}, "
            f"expected {FORMAT!r})"
            if isinstance(data, dict)
            else f"{path} is not a bundle manifest",
            "make the bundle again with this version of lab",
        )
    try:
        return BundleManifest(
            lab=str(data["lab"]),
            created=str(data["created"]),
            images=tuple(
                BundledImage(
                    **{
                        **i,
                        "used_by": tuple(i.get("used_by", ())),
                        "blobs": tuple(Blob(**b) for b in i.get("blobs", ())),
                    }
                )
                for i in data["images"]
            ),
            files=tuple(BundledFile(**f) for f in data["files"]),
            images_size=int(data["images_size"]),
            total_size=int(data["total_size"]),
            unknown=tuple(data.get("unknown", ())),
            node_image=data.get("node_image"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(
            f"{path} is missing or has a wrong field ({exc})",
            "the bundle is damaged; make it again with `lab bundle`",
        ) from exc


def storage_name(ref: str) -> tuple[str, str]:
    """Where an image goes in the bundle's registry: (repository, tag). Docker Hub images keep
    their repository (`library/registry`, as an engine asks its mirror for them); others are
    filed under their registry's name (`quay.io/…`), for `lab bundle load`."""
    parsed = parse_reference(ref)
    if parsed.tag is None:
        raise UsageError(
            f"{ref} is pinned by digest, which a bundle cannot keep (its registry gives every "
            "image a manifest digest of its own)",
            "name the image by a tag with --image",
        )
    repository = parsed.repository
    if not parsed.is_docker_hub:
        host = parsed.registry.replace(":", "-")
        repository = f"{host}/{repository}"
    return repository, parsed.tag
