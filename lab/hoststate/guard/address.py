"""Which engine addresses the guard can stand in front of: a unix socket or plain tcp://."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from lab.errors import EnvironmentNotReady

DEFAULT_TCP_PORT = 2375
"""The engine's plain-HTTP port when a tcp:// address names none."""


def unix_or_tcp(address: str) -> tuple[str | None, tuple[str, int] | None]:
    """(socket path, None) or (None, (host, port)) of an engine address; (None, None) for an
    address the guard cannot relay to (ssh://, npipe://, ...)."""
    parts = urlsplit(address)
    if parts.scheme == "unix" and parts.path:
        return parts.path, None
    if parts.scheme in ("tcp", "http") and parts.hostname:
        return None, (parts.hostname, parts.port or DEFAULT_TCP_PORT)
    return None, None


def check_relayable(address: str, env: Mapping[str, str] | None = None) -> None:
    """EnvironmentNotReady, saying what to do, when the guard cannot relay to address."""
    env = os.environ if env is None else env
    path, tcp = unix_or_tcp(address)
    if env.get("DOCKER_TLS_VERIFY"):
        what = "TLS"
    elif path is None and tcp is None:
        what = "only unix sockets and plain tcp:// are relayed"
    else:
        return
    raise EnvironmentNotReady(
        f"lab's engine guard cannot stand in front of the engine at {address} ({what}): on "
        "this host a lesson reaches the engine through it, so that nothing you had is removed",
        "run the lesson in sandbox nodes (`--sandbox`), or point DOCKER_HOST at the engine's "
        "unix socket or a plain tcp:// address",
    )
