"""Serving a bundle: its registry, read-only, as the registry mirror of sandbox nodes, of an
engine, or of a whole room (`lab bundle serve`, `lab serve --bundle`)."""

from __future__ import annotations

from pathlib import Path

from lab.bundle.layout import REGISTRY, read_manifest
from lab.bundle.registry import ALL_INTERFACES, RegistryServer
from lab.errors import UsageError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_bundle(
    bundle: Path, address: str = "127.0.0.1:0", *, log: Path | None = None
) -> RegistryServer:
    """A read-only registry serving the bundle's images at address (HOST:PORT; port 0: a free
    one), not started yet: use it as a context manager, or start() and stop() it. An engine
    that names it as its registry mirror pulls the bundle's Docker Hub images from it
    (`docker pull alpine` asks it for library/alpine). Nothing in the bundle is changed."""
    read_manifest(bundle)  # a UsageError when it is not a bundle
    return RegistryServer(bundle / REGISTRY, address, read_only=True, log=log)


def node_mirror(server: RegistryServer) -> str:
    """The served bundle as sandbox nodes' registry mirror (LAB_NODE_MIRROR, `--mirror`, or
    Sandbox(mirrors=[...])): nodes reach this host through their default gateway
    (`{gateway}`), so the registry must listen on every interface or on an address nodes can
    route to, not only on the host's loopback."""
    if server.host in ALL_INTERFACES:
        return f"http://{{gateway}}:{server.port}"
    if server.host in LOOPBACK:
        raise UsageError(
            f"sandbox nodes cannot reach a registry that listens on {server.host} only",
            f"listen on every interface (0.0.0.0:{server.port}) or on an address of this "
            "machine that the nodes can reach",
        )
    return server.url


def engine_mirror(server: RegistryServer, host: str | None = None) -> str:
    """The served bundle as an engine's `registry-mirrors` entry (daemon.json): this machine's
    engine reaches it at server.url; another machine's at http://HOST:PORT (host: this
    machine's address as the room's machines reach it)."""
    return f"http://{host}:{server.port}" if host else server.url
