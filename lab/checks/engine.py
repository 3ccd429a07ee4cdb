"""Connecting to the Docker engine with the docker SDK (honours DOCKER_HOST and friends)."""

from __future__ import annotations

import os

import docker
from docker import DockerClient
from docker.errors import APIError, DockerException
from requests.exceptions import RequestException

from lab.errors import EnvironmentNotReady

DEFAULT_HOST = "unix:///var/run/docker.sock"
"""Where the SDK looks for the engine when DOCKER_HOST is not set."""

HINT = "start it (e.g. `sudo scripts/test-env up`, or `sudo dockerd &`) and run `lab doctor`"


def engine_address() -> str:
    """The engine address the SDK will use."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def connect(timeout: float = 30.0) -> DockerClient:
    """A client of a reachable engine; raises EnvironmentNotReady when there is none.

    timeout bounds each API call, in seconds.
    """
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, RequestException, OSError) as exc:
        raise EnvironmentNotReady(
            f"cannot reach the Docker engine at {engine_address()} ({_reason(exc)})", hint=HINT
        ) from exc
    return client


def _reason(exc: BaseException) -> str:
    """The innermost cause, briefly: `permission denied`, `no such file or directory`."""
    inner: BaseException = exc
    while inner.__cause__ is not None or inner.__context__ is not None:
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror.lower()
    text = str(inner) or type(inner).__name__
    return text.splitlines()[0][:200]


def explain(exc: APIError) -> str:
    """What the engine said when it refused a request."""
    return str(getattr(exc, "explanation", None) or exc)
