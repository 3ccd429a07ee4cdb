"""Moving images through the engine, with progress: a pull from its usual sources (its registry
mirrors, Docker Hub, the image's registry), a push into a bundle's registry, a pull out of it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from lab.errors import LabError

Phase = Literal["pull", "push", "load", "done", "local", "failed"]
PROGRESS_EVERY = 0.1
"""Seconds between two progress reports of one image (the engine reports far more often)."""
_FINISHED = ("Download complete", "Pull complete", "Already exists", "Pushed")
_FINISHED_PREFIX = ("Layer already exists", "Mounted from")


@dataclass(frozen=True)
class ImageProgress:
    """Where one image is: its phase and, while it moves, the bytes moved so far."""

    ref: str
    """The image, as the lessons name it."""
    phase: Phase
    """pull, push, load (out of a bundle), done, local (this machine's copy is used: the
    pull failed), failed."""
    done: int = 0
    """Bytes moved so far in this phase (or, when done, the image's size in the bundle)."""
    total: int = 0
    """Bytes to move in this phase, as far as the engine has said (0: not known yet)."""
    message: str = ""
    """For done: the digest; for local and failed: why."""


Progress = Callable[[ImageProgress], None]


class EngineTransferError(LabError):
    """The engine could not pull or push an image."""


def stream(
    items: Iterable[dict[str, Any]], ref: str, phase: Phase, progress: Progress
) -> dict[str, Any]:
    """Follow the engine's JSON progress messages of a pull or a push, reporting the bytes
    (layers summed) every PROGRESS_EVERY seconds; returns the last `aux` message (a push's
    digest and size). An `error` message raises EngineTransferError."""
    layers: dict[str, tuple[int, int]] = {}
    aux: dict[str, Any] = {}
    last = 0.0
    for item in items:
        if "error" in item:
            detail = item.get("errorDetail") or {}
            raise EngineTransferError(str(detail.get("message") or item["error"]).strip())
        if isinstance(item.get("aux"), dict):
            aux = item["aux"]
        layer, status = str(item.get("id") or ""), str(item.get("status") or "")
        detail = item.get("progressDetail") or {}
        if layer and detail.get("total"):
            layers[layer] = (int(detail.get("current") or 0), int(detail["total"]))
        elif layer and (status in _FINISHED or status.startswith(_FINISHED_PREFIX)):
            size = layers.get(layer, (0, 0))[1]
            layers[layer] = (size, size)
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            done = sum(c for c, _ in layers.values())
            progress(ImageProgress(ref, phase, done, sum(t for _, t in layers.values())))
    total = sum(t for _, t in layers.values())
    progress(ImageProgress(ref, phase, total, total))
    return aux


def local_image_id(engine: Any, ref: str) -> str | None:
    """The ID of the engine's image ref (None: it has no such image)."""
    from docker.errors import ImageNotFound

    try:
        return str(engine.api.inspect_image(ref)["Id"])
    except ImageNotFound:
        return None


def split_ref(ref: str) -> tuple[str, str | None]:
    """`registry:2` → ("registry", "2"); a digest reference keeps its digest as the "tag" the
    engine's API takes."""
    if "@" in ref:
        repository, digest = ref.split("@", 1)
        return repository, digest
    name, colon, tag = ref.rpartition(":")
    if colon and "/" not in tag:
        return name, tag
    return ref, None


def pull(
    engine: Any, ref: str, progress: Progress, phase: Phase = "pull", name: str | None = None
) -> None:
    """`docker pull ref` through the engine's usual sources (its mirrors, its credentials);
    progress is reported under name (default: ref)."""
    repository, tag = split_ref(ref)
    items = engine.api.pull(repository, tag=tag, stream=True, decode=True)
    stream(items, name or ref, phase, progress)


def push(engine: Any, target: str, ref: str, progress: Progress) -> str:
    """`docker push target` (a tag of ref); returns the manifest digest the engine printed."""
    repository, tag = split_ref(target)
    aux = stream(
        engine.api.push(repository, tag=tag, stream=True, decode=True), ref, "push", progress
    )
    return str(aux.get("Digest") or "")
