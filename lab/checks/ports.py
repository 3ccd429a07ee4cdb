"""Assertions on ports: a container publishes one (and a server answers), a TCP port answers."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from docker import DockerClient

from lab.checks.containers import find_container, no_container, state
from lab.checks.net import ANSWER_WAIT, UNREACHABLE, probe_tcp
from lab.checks.verdict import Verdict, listed
from lab.engine.sdk import connect
from lab.errors import UsageError


def port_published(
    container: str,
    container_port: int | str,
    answering: bool = True,
    *,
    wait: float = ANSWER_WAIT,
    engine: DockerClient | None = None,
) -> Verdict:
    """The container publishes that port (`80`, `80/tcp`, `53/udp`) on the host.

    With answering (TCP only), a server must also answer on the host side within a few seconds.
    """
    client = engine or connect()
    port = _port_key(container_port)
    found = find_container(client, container)
    if found is None:
        return no_container(client, container)
    if found.status != "running":
        return Verdict(
            False, f"container '{container}' is not running ({state(found)}): it publishes no ports"
        )
    host = _engine_host()
    if found.attrs.get("HostConfig", {}).get("NetworkMode") == "host":
        number = int(port.partition("/")[0])
        where, target = f"the host network, port {number}", (host, number)
    else:
        ports: dict[str, Any] = found.attrs.get("NetworkSettings", {}).get("Ports") or {}
        bindings = ports.get(port)
        if not bindings:
            return _unpublished(container, port, ports)
        where = ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}" for b in bindings)
        target = _connect_target(bindings, host)
    if not answering or not port.endswith("/tcp"):
        return Verdict(True, f"container '{container}' publishes {port} on {where}")
    probe = None
    address = _container_address(found)
    if address is not None and host == "127.0.0.1":
        # Ask the server itself: quick and exact; docker-proxy on the host side accepts
        # even when nothing listens. Fall back to the host side if the address is unreachable.
        probe = probe_tcp(address, int(port.partition("/")[0]), wait=wait, direct=True)
        if not probe.answered and probe.reason in UNREACHABLE:
            probe = None
    if probe is not None and not probe.answered:
        return Verdict(
            False,
            f"container '{container}' publishes {port} on {where} but nothing listens on "
            f"{port} inside it ({address}: {probe.reason}, after {probe.seconds:.1f} s)",
        )
    if probe is not None:
        probe = probe_tcp(*target, wait=wait, direct=True)  # and the published side accepts
    else:
        probe = probe_tcp(*target, wait=wait)
    if probe.answered:
        return Verdict(True, f"container '{container}' publishes {port} on {where}, and it answers")
    return Verdict(
        False,
        f"container '{container}' publishes {port} on {where} but nothing answers at "
        f"{_host_port(*target)} ({probe.reason}, after {probe.seconds:.1f} s)",
    )


def port_answering(host: str, port: int, *, wait: float = ANSWER_WAIT) -> Verdict:
    """A TCP server answers at host:port (tried for a few seconds)."""
    probe = probe_tcp(host, int(port), wait=wait)
    where = _host_port(host, int(port))
    if probe.answered:
        return Verdict(True, f"something answers on {where}")
    return Verdict(
        False, f"nothing answers on {where} ({probe.reason}, after {probe.seconds:.1f} s)"
    )


def _container_address(container: Any) -> str | None:
    """The container's IPv4 address on one of its networks (None on the host network)."""
    networks = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
    for network in networks.values():
        if network.get("IPAddress"):
            return str(network["IPAddress"])
    return None


def _port_key(port: int | str) -> str:
    number, _, proto = str(port).strip().partition("/")
    proto = proto.lower() or "tcp"
    if not number.isdigit() or not 0 < int(number) < 65536 or proto not in ("tcp", "udp", "sctp"):
        raise UsageError(f"'{port}' is not a container port", "write it as 80, 80/tcp or 53/udp")
    return f"{int(number)}/{proto}"


def _unpublished(container: str, port: str, ports: dict[str, Any]) -> Verdict:
    published = [
        f"{p} → {b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}"
        for p, bindings in sorted(ports.items())
        for b in bindings or []
    ]
    if port in ports:
        number = port.partition("/")[0]
        why = f"it exposes {port} but does not publish it: run it with -p HOST_PORT:{number}"
    else:
        why = f"published: {listed(published)}"
    return Verdict(False, f"container '{container}' does not publish port {port} ({why})")


def _engine_host() -> str:
    """Where published ports are reached: the engine's host for tcp:// engines, else loopback."""
    address = os.environ.get("DOCKER_HOST", "")
    if address.startswith(("tcp://", "ssh://", "http://", "https://")):
        return urlsplit(address).hostname or "127.0.0.1"
    return "127.0.0.1"


def _connect_target(bindings: list[dict[str, str]], engine_host: str) -> tuple[str, int]:
    """The address to probe a binding at: IPv4 first, wildcard addresses via the engine host."""
    ordered = sorted(bindings, key=lambda b: ":" in (b.get("HostIp") or ""))
    binding = ordered[0]
    ip = binding.get("HostIp") or "0.0.0.0"
    if ip == "0.0.0.0":
        ip = engine_host
    elif ip == "::":
        ip = "::1" if engine_host == "127.0.0.1" else engine_host
    return ip, int(binding.get("HostPort") or 0)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
