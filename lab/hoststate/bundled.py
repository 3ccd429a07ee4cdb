"""Which of the engine's images came from a bundle (`lab bundle load`): recorded on disk so that
`lab doctor` can say so."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lab.statefiles import state_root, write_atomic


def record_path() -> Path:
    """Where the record is kept (one per user, like session records)."""
    return state_root() / "bundle-images.json"


@dataclass(frozen=True)
class LoadedImage:
    """An image `lab bundle load` put into the engine."""

    ref: str
    """The reference as the lessons name it (`registry:2`)."""
    image_id: str
    """The engine's image ID it got (`sha256:…`, the digest of the image's config)."""
    bundle: str
    """The bundle directory it came from (absolute)."""


def _read() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_loaded(images: list[LoadedImage]) -> None:
    """Remember images loaded from a bundle (a later load of the same reference replaces it)."""
    data = _read()
    for image in images:
        data[image.ref] = {"id": image.image_id, "bundle": image.bundle}
    write_atomic(record_path(), json.dumps(data, indent=2, sort_keys=True) + "\n")


def loaded_from(ref: str, image_id: str) -> str | None:
    """The bundle the engine's image `ref` (with ID image_id) was loaded from; None when it was
    not loaded from one, or the tag has pointed elsewhere since."""
    entry = _read().get(ref)
    if not isinstance(entry, dict) or entry.get("id") != image_id:
        return None
    return entry.get("bundle")
