"""Assertions on the local image store: an image is present (with a digest), or absent."""

from __future__ import annotations

from typing import Any

from docker import DockerClient
from docker.errors import APIError, NotFound

from lab.checks.verdict import (
    Verdict,
    digest_matches,
    listed,
    normalize_digest,
    short_digest,
)
from lab.engine.sdk import connect, explain
from lab.errors import UsageError


def image_present(
    ref: str, digest: str | None = None, *, engine: DockerClient | None = None
) -> Verdict:
    """The image is in the local store; with digest, one of its RepoDigests (or its id) is it."""
    client = engine or connect()
    image = _image(client, ref)
    if image is None:
        tags = _local_tags(client, ref)
        return Verdict(False, f"image {ref} is not present (local tags of {_repo(ref)}: {tags})")
    image_id = str(image.id)
    if digest is None:
        return Verdict(True, f"image {ref} is present ({short_digest(image_id)})")
    wanted = normalize_digest(digest)
    repo_digests = [str(d) for d in image.attrs.get("RepoDigests") or []]
    found = [d.partition("@")[2] for d in repo_digests]
    if any(digest_matches(wanted, d) for d in [*found, image_id]):
        return Verdict(True, f"image {ref} is present with digest {short_digest(wanted)}")
    served = ", ".join(short_digest(d) for d in found) or "none"
    return Verdict(
        False,
        f"image {ref} is present but not as {short_digest(wanted)} "
        f"(repo digests: {served}; id {short_digest(image_id)})",
        "expected: " + wanted + "".join(f"\nfound:    {d}" for d in [*repo_digests, image_id]),
    )


def image_absent(ref: str, *, engine: DockerClient | None = None) -> Verdict:
    """No image by that reference in the local store."""
    image = _image(engine or connect(), ref)
    if image is None:
        return Verdict(True, f"image {ref} is absent")
    return Verdict(False, f"image {ref} is present ({short_digest(str(image.id))}), expected none")


def _image(client: DockerClient, ref: str) -> Any:
    try:
        return client.images.get(ref)
    except NotFound:
        return None
    except APIError as exc:
        raise UsageError(f"the Docker engine cannot look up image '{ref}': {explain(exc)}") from exc


def _local_tags(client: DockerClient, ref: str) -> str:
    try:
        images = client.images.list(name=_repo(ref))
    except APIError:
        return "none"
    tags = sorted({t.rpartition(":")[2] for image in images for t in image.tags})
    return listed(tags)


def _repo(ref: str) -> str:
    name = ref.partition("@")[0]
    return name[: name.rfind(":")] if name.rfind(":") > name.rfind("/") else name
