"""Writing a bundle: the lessons with their overlays, every image pulled through the engine and
pushed into a registry whose storage is in the bundle, then bundle.json."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab import __version__
from lab.bundle.layout import (
    MANIFEST,
    REGISTRY,
    BundledFile,
    BundledImage,
    BundleManifest,
    storage_name,
)
from lab.bundle.plan import BundlePlan, PlannedImage
from lab.bundle.registry import RegistryServer
from lab.bundle.storage import (
    Blob,
    blob_path,
    config_digest,
    manifest_blobs,
    stored_size,
    tagged,
)
from lab.bundle.transfer import (
    EngineTransferError,
    ImageProgress,
    Progress,
    local_image_id,
    pull,
    push,
)
from lab.errors import EnvironmentNotReady, LabError, UsageError
from lab.lesson.overlay import overlay_path

LICENCES = ("LICENSE", "LICENCE", "COPYING", "NOTICE")
"""Files beside lessons that go with them (lessons published under a licence say so there)."""


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, bundle: Path, inside: str, files: dict[str, BundledFile]) -> None:
    if inside in files:
        return
    target = bundle / inside
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    files[inside] = BundledFile(inside, file_digest(target), target.stat().st_size)


def copy_lessons(plan: BundlePlan, bundle: Path) -> list[BundledFile]:
    """Each lesson, its overlay (named after the lesson's new name) and the licence files of
    its directory, into the bundle."""
    files: dict[str, BundledFile] = {}
    for lesson, inside in plan.lessons:
        _copy(lesson.path, bundle, inside, files)
        overlay = overlay_path(lesson.path)
        if overlay is not None:
            suffix = overlay.name[overlay.name.rindex(".lab.") :]
            _copy(overlay, bundle, inside.rsplit(".", 1)[0] + suffix, files)
        for licence in sorted(lesson.path.parent.iterdir()):
            if licence.is_file() and licence.name.upper().startswith(LICENCES):
                _copy(licence, bundle, f"{inside.rsplit('/', 1)[0]}/{licence.name}", files)
    return list(files.values())


def bundle_image(
    engine: Any, server: RegistryServer, image: PlannedImage, progress: Progress
) -> BundledImage:
    """Pull the image (this machine's copy is used when the pull fails), push it into the
    bundle's registry under its storage name (through a tag of ours, removed after), and
    read back what the registry stored. An image the engine did not have before is removed
    from it again (unless a container uses it meanwhile): the engine is left as it was."""
    from docker.errors import APIError, DockerException

    had = local_image_id(engine, image.ref)
    try:
        return _bundle_image(engine, server, image, progress)
    finally:
        if had is None:
            with contextlib.suppress(APIError, DockerException):
                engine.api.remove_image(image.ref)


def _bundle_image(
    engine: Any, server: RegistryServer, image: PlannedImage, progress: Progress
) -> BundledImage:
    from docker.errors import APIError, DockerException

    ref = image.ref
    try:
        pull(engine, ref, progress)
    except (EngineTransferError, APIError, DockerException) as exc:
        reason = getattr(exc, "explanation", None) or getattr(exc, "message", None) or str(exc)
        if local_image_id(engine, ref) is None:
            progress(ImageProgress(ref, "failed", message=str(reason)))
            raise EnvironmentNotReady(
                f"image {ref} cannot be pulled and is not on this machine: {reason}",
                f"make the bundle where {ref} can be pulled (or `docker pull {ref}` first)",
            ) from exc
        progress(ImageProgress(ref, "local", message=f"the pull failed ({reason})"))
    repository, tag = storage_name(ref)
    target = f"{server.address}/{repository}:{tag}"
    try:
        engine.api.tag(ref, f"{server.address}/{repository}", tag)
        try:
            printed = push(engine, target, ref, progress)
        finally:
            with contextlib.suppress(APIError, DockerException):
                engine.api.remove_image(target, noprune=True)
    except (EngineTransferError, APIError, DockerException) as exc:
        reason = getattr(exc, "explanation", None) or getattr(exc, "message", None) or str(exc)
        progress(ImageProgress(ref, "failed", message=str(reason)))
        raise EnvironmentNotReady(
            f"image {ref} could not be pushed into the bundle's registry at {server.address}: "
            f"{reason}",
            "the engine must run on this machine (it pushes to its loopback address)",
        ) from exc
    storage = server.storage
    digest = tagged(storage, repository, tag)
    if not digest or (printed and printed != digest):
        raise LabError(
            f"image {ref}: the bundle's registry holds {digest or 'nothing'} under "
            f"{repository}:{tag}, the engine pushed {printed}",
            "make the bundle again",
        )
    manifest = blob_path(storage, digest).read_bytes()
    blobs = (Blob("manifest", digest, len(manifest)), *manifest_blobs(manifest))
    size = sum(b.size for b in blobs)
    progress(ImageProgress(ref, "done", size, size, digest))
    return BundledImage(
        ref=ref,
        repository=repository,
        tag=tag,
        digest=digest,
        image_id=config_digest(manifest),
        size=size,
        blobs=blobs,
        used_by=image.used_by,
    )


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)


def make_bundle(plan: BundlePlan, bundle: Path, engine: Any, progress: Progress) -> BundleManifest:
    """Write the bundle into a new (or empty) directory; on failure nothing of it is left."""
    if bundle.exists() and (not bundle.is_dir() or any(bundle.iterdir())):
        raise UsageError(
            f"{bundle} already exists and is not empty",
            "name a new directory for the bundle (or remove the old one first)",
        )
    made = not bundle.exists()
    bundle.mkdir(parents=True, exist_ok=True)
    try:
        files = copy_lessons(plan, bundle)
        storage = bundle / REGISTRY
        storage.mkdir()
        images = []
        with RegistryServer(storage, "127.0.0.1:0", read_only=False) as server:
            for image in plan.images:
                images.append(bundle_image(engine, server, image, progress))
        manifest = BundleManifest(
            lab=__version__,
            created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            images=tuple(images),
            files=tuple(files),
            images_size=stored_size(storage),
            total_size=_tree_size(bundle),
            unknown=plan.unknown,
            node_image=plan.node_image,
        )
        (bundle / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        return manifest
    except BaseException:
        if made:
            shutil.rmtree(bundle, ignore_errors=True)
        else:
            for child in bundle.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
