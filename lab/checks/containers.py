"""Assertions on containers: running, existing, absent (and the lookups ports.py shares)."""

from __future__ import annotations

from typing import Any

from docker import DockerClient
from docker.errors import APIError, NotFound

from lab.checks.verdict import Verdict, listed, short_digest
from lab.engine.sdk import connect, explain
from lab.errors import LabError


def container_running(name: str, *, engine: DockerClient | None = None) -> Verdict:
    """The container exists and its status is `running`."""
    client = engine or connect()
    container = find_container(client, name)
    if container is None:
        return no_container(client, name)
    if container.status == "running":
        return Verdict(True, f"container '{name}' is running (image {_image_name(container)})")
    return Verdict(False, f"container '{name}' is not running ({state(container)})")


def container_exists(name: str, *, engine: DockerClient | None = None) -> Verdict:
    """The container exists, whatever its status."""
    client = engine or connect()
    container = find_container(client, name)
    if container is None:
        return no_container(client, name)
    return Verdict(True, f"container '{name}' exists ({state(container)})")


def container_absent(name: str, *, engine: DockerClient | None = None) -> Verdict:
    """No container has that name."""
    container = find_container(engine or connect(), name)
    if container is None:
        return Verdict(True, f"container '{name}' does not exist")
    return Verdict(False, f"container '{name}' exists ({state(container)}), expected none")


def find_container(client: DockerClient, name: str) -> Any:
    """The container of that name (or id prefix), None when there is none."""
    name = name.lstrip("/")
    try:
        container = client.containers.get(name)
    except NotFound:
        return None
    except APIError as exc:
        raise LabError(
            f"the Docker engine cannot look up container '{name}': {explain(exc)}"
        ) from exc
    if container.name != name and not str(container.id).startswith(name):
        return None
    return container


def no_container(client: DockerClient, name: str) -> Verdict:
    """The failure for a missing container, naming the containers there are."""
    names = sorted(str(c.name) for c in client.containers.list(all=True, ignore_removed=True))
    return Verdict(False, f"container '{name}' does not exist (containers: {listed(names)})")


def state(container: Any) -> str:
    """`status: exited, exit code 2` (the exit code only where it means something)."""
    info = container.attrs.get("State") or {}
    status = str(info.get("Status") or container.status)
    if status in ("exited", "dead", "restarting"):
        return f"status: {status}, exit code {info.get('ExitCode')}"
    return f"status: {status}"


def _image_name(container: Any) -> str:
    return str(container.attrs.get("Config", {}).get("Image") or short_digest(container.image.id))
