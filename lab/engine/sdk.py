"""Connecting to the Docker engine with the docker SDK (honours DOCKER_HOST and friends)."""

from __future__ import annotations

import os
import threading

import docker
from docker import DockerClient
from docker.errors import APIError, DockerException
from requests.exceptions import RequestException

from lab.engine.api import engine_address, unreachable

_clients: dict[tuple[str, str, str, float], DockerClient] = {}
_clients_lock = threading.Lock()


def connect(timeout: float = 30.0) -> DockerClient:
    """A client of a reachable engine; raises EnvironmentNotReady when there is none.

    timeout bounds each API call, in seconds. One client per engine address is kept for the
    process (making one asks the engine its API version); each call pings it, so an engine
    that stopped or restarted since is noticed (and reconnected to) here.
    """
    env = os.environ
    key = (
        engine_address(),
        env.get("DOCKER_TLS_VERIFY", ""),
        env.get("DOCKER_CERT_PATH", ""),
        timeout,
    )
    with _clients_lock:
        client = _clients.get(key)
    try:
        if client is not None:
            try:
                client.ping()
                return client
            except (DockerException, RequestException, OSError):
                pass  # a new client finds the engine again, or says why it cannot
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, RequestException, OSError) as exc:
        raise unreachable(engine_address(), exc) from exc
    with _clients_lock:
        _clients[key] = client
    return client


def explain(exc: APIError) -> str:
    """What the engine said when it refused a request."""
    return str(getattr(exc, "explanation", None) or exc)
