"""The registry's storage in a bundle (the Distribution registry's filesystem layout): which
manifest a tag is, the blobs a manifest names, and the link files that let a repository serve
them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

V2 = Path("docker", "registry", "v2")
"""The layout's root under the storage root."""
INDEX_TYPES = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
"""Manifests that list other manifests (one per platform)."""


@dataclass(frozen=True)
class Blob:
    """A blob a manifest names."""

    kind: str
    """`config`, `layer`, or `manifest` (of one platform, in an index)."""
    digest: str
    size: int


def blob_path(storage: Path, digest: str) -> Path:
    """A blob's data file in the registry's storage."""
    algorithm, _, hexdigest = digest.partition(":")
    return storage / V2 / "blobs" / algorithm / hexdigest[:2] / hexdigest / "data"


def repository_dir(storage: Path, repository: str) -> Path:
    """A repository's directory in the registry's storage."""
    return storage / V2 / "repositories" / repository


def tag_link(storage: Path, repository: str, tag: str) -> Path:
    """The file that says which manifest a tag is."""
    return repository_dir(storage, repository) / "_manifests" / "tags" / tag / "current" / "link"


def layer_link(storage: Path, repository: str, digest: str) -> Path:
    """The file that lets a repository serve a blob (its layers and config)."""
    algorithm, _, hexdigest = digest.partition(":")
    return repository_dir(storage, repository) / "_layers" / algorithm / hexdigest / "link"


def revision_link(storage: Path, repository: str, digest: str) -> Path:
    """The file that lets a repository serve a manifest by digest."""
    algorithm, _, hexdigest = digest.partition(":")
    return (
        repository_dir(storage, repository) / "_manifests" / "revisions" / algorithm / hexdigest
    ) / "link"


def tagged(storage: Path, repository: str, tag: str) -> str | None:
    """The digest of the manifest a tag is (None: no such tag)."""
    try:
        return tag_link(storage, repository, tag).read_text(encoding="ascii").strip()
    except OSError:
        return None


def manifest_blobs(manifest: bytes) -> list[Blob]:
    """The blobs a manifest names: its config and layers, or (an index) its manifests."""
    data: dict[str, Any] = json.loads(manifest)
    if data.get("mediaType") in INDEX_TYPES or "manifests" in data:
        return [Blob("manifest", m["digest"], int(m["size"])) for m in data.get("manifests", [])]
    blobs = []
    if isinstance(data.get("config"), dict):
        blobs.append(Blob("config", data["config"]["digest"], int(data["config"]["size"])))
    blobs += [Blob("layer", b["digest"], int(b["size"])) for b in data.get("layers", [])]
    return blobs


def config_digest(manifest: bytes) -> str:
    """The digest of an image manifest's config: the image ID an engine gives the image."""
    return next((b.digest for b in manifest_blobs(manifest) if b.kind == "config"), "")


def stored_size(storage: Path) -> int:
    """Bytes of every blob in the storage (each once)."""
    blobs = storage / V2 / "blobs"
    return sum(p.stat().st_size for p in blobs.rglob("data") if p.is_file())
