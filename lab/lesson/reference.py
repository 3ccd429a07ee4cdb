"""Parsing image references the way Docker does: `[registry/]repo[:tag][@digest]`."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from lab.errors import UsageError

DOCKER_HUB = "docker.io"
"""The registry of references that name none (`hello-world` is `docker.io/library/...`)."""
DOCKER_HUB_API = "registry-1.docker.io"
"""Where Docker Hub's registry API actually answers."""
DEFAULT_TAG = "latest"

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}")


@dataclass(frozen=True)
class Reference:
    """An image reference, normalized."""

    registry: str
    """Registry host[:port], `docker.io` for Docker Hub."""
    repository: str
    """Repository path inside the registry (`library/hello-world` on Docker Hub)."""
    tag: str | None
    """The tag; `latest` when the reference names neither tag nor digest."""
    digest: str | None
    """The digest after `@`, if any."""

    @property
    def is_docker_hub(self) -> bool:
        """True for Docker Hub references."""
        return self.registry == DOCKER_HUB

    @property
    def api_host(self) -> str:
        """The host[:port] whose /v2/ API serves this reference."""
        return DOCKER_HUB_API if self.is_docker_hub else self.registry

    @property
    def manifest_reference(self) -> str:
        """What goes after /manifests/: the digest when there is one, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def familiar_repository(self) -> str:
        """The repository as people write it (`hello-world`, not `library/hello-world`)."""
        if self.is_docker_hub and self.repository.startswith("library/"):
            return self.repository.removeprefix("library/")
        return self.repository

    @property
    def short(self) -> str:
        """`repo:tag` or `repo@digest`, without the registry: for messages."""
        name = self.familiar_repository
        if self.tag:
            name += f":{self.tag}"
        if self.digest:
            name += f"@{self.digest}"
        return name

    def __str__(self) -> str:
        return f"{self.registry}/{self.short}"


def is_registry_host(component: str) -> bool:
    """Docker's rule: a first path component with `.` or `:`, or `localhost`, names a registry."""
    return "." in component or ":" in component or component == "localhost"


def is_insecure_host(host: str) -> bool:
    """True for loopback hosts (127.0.0.0/8, ::1, localhost): Docker treats them as insecure."""
    name = split_host_port(host)[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def split_host_port(host: str) -> tuple[str, int | None]:
    """`127.0.0.1:5000` → ("127.0.0.1", 5000); `[::1]:5000` → ("::1", 5000)."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        return name, int(port)
    return host, None


def parse_reference(text: str) -> Reference:
    """Parse and normalize a reference; raises UsageError naming what is wrong."""
    original = text
    text = text.strip()
    name, _, digest = text.partition("@")
    if "@" in text and not _DIGEST.fullmatch(digest):
        raise _bad(original, f"'{digest}' is not a digest (expected sha256:<64 hex digits>)")
    tag: str | None = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise _bad(original, f"'{tag}' is not a valid tag")
    first, sep, rest = name.partition("/")
    if sep and is_registry_host(first):
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, name
    if registry == "index.docker.io":
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    for component in repository.split("/"):
        if not _COMPONENT.fullmatch(component):
            raise _bad(
                original, f"'{component}' is not a valid repository name (lowercase, digits, ._-)"
            )
    if tag is None and not digest:
        tag = DEFAULT_TAG
    return Reference(registry, repository, tag, digest.lower() or None)


def _bad(text: str, why: str) -> UsageError:
    return UsageError(
        f"invalid image reference '{text}': {why}",
        "write it as [REGISTRY/]REPOSITORY[:TAG][@DIGEST], e.g. 127.0.0.1:5000/hello-world:latest",
    )
