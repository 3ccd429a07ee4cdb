"""Checking a bundle before a room depends on it: every blob's bytes against its digest and its
size, every link the registry needs to serve an image, every lesson file against bundle.json."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab.bundle.layout import REGISTRY, BundledImage, BundleManifest, read_manifest
from lab.bundle.storage import (
    V2,
    Blob,
    blob_path,
    layer_link,
    manifest_blobs,
    revision_link,
    tagged,
)
from lab.errors import LabError


class BundleDamaged(LabError):
    """A bundle whose bytes are not the ones it was made with (exit status 1: a check failed)."""


@dataclass
class ImageCheck:
    """What verify found for one image."""

    image: BundledImage
    blobs: int = 0
    """Blobs checked (manifest included)."""
    problems: list[str] = field(default_factory=list)


@dataclass
class VerifyReport:
    """Everything verify found."""

    manifest: BundleManifest
    images: list[ImageCheck] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Problems with lesson files."""
    strays: list[str] = field(default_factory=list)
    """Problems with blobs that belong to no image of bundle.json."""
    blobs: int = 0
    """Distinct blobs hashed."""
    bytes: int = 0
    """Bytes hashed."""

    @property
    def ok(self) -> bool:
        """Nothing is wrong."""
        return not (self.files or self.strays or any(i.problems for i in self.images))

    def problems(self) -> list[str]:
        """Every problem, each naming its image or file."""
        lines = [f"image {i.image.ref}: {p}" for i in self.images for p in i.problems]
        return lines + self.files + self.strays


def _hash(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return "sha256:" + digest.hexdigest(), size


class _Verifier:
    def __init__(self, bundle: Path, report: VerifyReport) -> None:
        self.storage = bundle / REGISTRY
        self.report = report
        self.hashed: dict[str, tuple[str, int] | None] = {}

    def content(self, digest: str) -> tuple[str, int] | None:
        """(actual digest, size) of a blob's bytes, hashed once; None when it is missing."""
        if digest not in self.hashed:
            try:
                actual, size = _hash(blob_path(self.storage, digest))
            except OSError:
                self.hashed[digest] = None
                return None
            self.report.blobs += 1
            self.report.bytes += size
            self.hashed[digest] = (actual, size)
        return self.hashed[digest]

    def blob(self, check: ImageCheck, blob: Blob) -> bool:
        """Check one blob's bytes; True when they are right."""
        check.blobs += 1
        name = f"its {blob.kind} blob {blob.digest}"
        found = self.content(blob.digest)
        if found is None:
            check.problems.append(f"{name} is missing")
            return False
        actual, size = found
        if blob.size >= 0 and size != blob.size:
            state = "truncated" if size < blob.size else "longer than it should be"
            check.problems.append(f"{name} is {state}: {size} bytes, not {blob.size}")
            return False
        if actual != blob.digest:
            check.problems.append(f"{name} has been changed: its bytes hash to {actual}")
            return False
        return True

    def link(self, check: ImageCheck, path: Path, digest: str, what: str) -> None:
        """A link file of the registry's: present, and naming digest."""
        try:
            text = path.read_text(encoding="ascii").strip()
        except OSError:
            check.problems.append(f"{what} {digest} is missing (the registry would not serve it)")
            return
        if text != digest:
            check.problems.append(f"{what} {digest} names {text} instead")

    def image(self, image: BundledImage) -> ImageCheck:
        """The image's tag, its recorded blobs (manifest first), then what its manifest names,
        with the links that let its repository serve them."""
        check = ImageCheck(image)
        repository = image.repository
        digest = tagged(self.storage, repository, image.tag)
        if digest is None:
            check.problems.append(f"its tag {repository}:{image.tag} is missing from the registry")
        elif digest != image.digest:
            check.problems.append(
                f"its tag {repository}:{image.tag} is {digest}, bundle.json says {image.digest}"
            )
        recorded = image.blobs or (Blob("manifest", image.digest, -1),)
        intact = {b.digest for b in recorded if self.blob(check, b)}
        named = self.named(check, image.digest) if image.digest in intact else []
        for blob in named:
            if blob.digest not in {b.digest for b in recorded}:
                self.blob(check, blob)
        every = {b.digest: b for b in (*recorded, *named)}
        for blob in every.values():
            kind = "manifest" if blob.kind == "manifest" else "blob"
            path = (revision_link if kind == "manifest" else layer_link)(
                self.storage, repository, blob.digest
            )
            self.link(check, path, blob.digest, f"the link to its {blob.kind}")
        return check

    def named(self, check: ImageCheck, digest: str) -> list[Blob]:
        """The blobs a manifest names (for an index, its manifests' blobs too)."""
        data = blob_path(self.storage, digest).read_bytes()
        try:
            blobs = manifest_blobs(data)
        except (ValueError, KeyError, TypeError) as exc:
            check.problems.append(f"its manifest {digest} cannot be read: {exc}")
            return []
        found = list(blobs)
        for child in blobs:
            if child.kind == "manifest" and self.blob(check, child):
                found += self.named(check, child.digest)
        return found

    def strays(self) -> None:
        """Blobs no image names: their bytes are checked against their names too."""
        root = self.storage / V2 / "blobs"
        for data in sorted(root.glob("*/*/*/data")):
            digest = f"{data.parent.parent.parent.name}:{data.parent.name}"
            if digest in self.hashed:
                continue
            found = self.content(digest)
            if found is not None and found[0] != digest:
                self.report.strays.append(
                    f"blob {digest} (of no image in bundle.json) has been changed: its bytes "
                    f"hash to {found[0]}"
                )

    def files(self, bundle: Path) -> None:
        for entry in self.report.manifest.files:
            path = bundle / entry.path
            try:
                actual, size = _hash(path)
            except OSError:
                self.report.files.append(f"file {entry.path} is missing")
                continue
            if actual != f"sha256:{entry.sha256}" or size != entry.size:
                self.report.files.append(f"file {entry.path} has been changed")


def verify_bundle(
    bundle: Path, on_image: Callable[[ImageCheck], None] | None = None
) -> VerifyReport:
    """Check every blob of the bundle (each hashed once), the registry's links and the lesson
    files; on_image is called as each image is done. Raises UsageError when bundle is no
    bundle; the report says what is damaged (BundleDamaged is the CLI's to raise)."""
    report = VerifyReport(read_manifest(bundle))
    verifier = _Verifier(bundle, report)
    for image in report.manifest.images:
        check = verifier.image(image)
        report.images.append(check)
        if on_image is not None:
            on_image(check)
    verifier.strays()
    verifier.files(bundle)
    return report
