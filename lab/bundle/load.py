"""Loading a bundle into this machine's engine: each image pulled out of the bundle's registry
(served for the while on the loopback) and tagged as the lessons name it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.bundle.layout import BundledImage, read_manifest
from lab.bundle.serve import serve_bundle
from lab.bundle.transfer import (
    EngineTransferError,
    ImageProgress,
    Progress,
    local_image_id,
    pull,
)
from lab.errors import EnvironmentNotReady, UsageError
from lab.hoststate.bundled import LoadedImage, record_loaded
from lab.lesson.commands import with_tag


@dataclass(frozen=True)
class Loaded:
    """One image loaded."""

    image: BundledImage
    replaced: str | None
    """The image ID the lessons' tag named before, when it named another image (which stays,
    untagged unless other tags name it)."""


def load_bundle(
    bundle: Path, engine: Any, progress: Progress, only: list[str] | None = None
) -> list[Loaded]:
    """Load the bundle's images (every one, or the ones named in only) into the engine (which
    must run on this machine: it pulls from this machine's loopback) and record that they came
    from it (`lab doctor`)."""
    from docker.errors import APIError, DockerException

    manifest = read_manifest(bundle)
    images = list(manifest.images)
    if only:
        wanted = {with_tag(ref) for ref in only}
        missing = sorted(wanted - {i.ref for i in images})
        if missing:
            raise UsageError(
                f"{bundle} has no image {', '.join(missing)}",
                "it has: " + ", ".join(i.ref for i in images),
            )
        images = [i for i in images if i.ref in wanted]
    loaded: list[Loaded] = []
    with serve_bundle(bundle) as server:
        for image in images:
            source = f"{server.address}/{image.repository}:{image.tag}"
            before = local_image_id(engine, image.ref)
            try:
                pull(engine, source, progress, "load", name=image.ref)
                repository, _, tag = image.ref.rpartition(":")
                engine.api.tag(source, repository, tag)
            except (EngineTransferError, APIError, DockerException) as exc:
                reason = getattr(exc, "explanation", None) or getattr(exc, "message", None) or exc
                progress(ImageProgress(image.ref, "failed", message=str(reason)))
                raise EnvironmentNotReady(
                    f"image {image.ref} could not be loaded from the bundle: {reason}",
                    "`lab bundle verify` checks the bundle; the engine must run on this machine",
                ) from exc
            finally:  # our tag, and the digest reference the pull gave the image
                for ours in (source, f"{server.address}/{image.repository}@{image.digest}"):
                    with contextlib.suppress(APIError, DockerException):
                        engine.api.remove_image(ours, noprune=True)
            progress(ImageProgress(image.ref, "done", image.size, image.size, image.digest))
            replaced = before if before not in (None, image.image_id) else None
            loaded.append(Loaded(image, replaced))
    record_loaded(
        [LoadedImage(i.image.ref, i.image.image_id, str(bundle.resolve())) for i in loaded]
    )
    return loaded
