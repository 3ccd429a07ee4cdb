"""Running a room from start to end: check the host, serve until Ctrl-C (or SIGTERM), then
end every attendee's app and remove every node, volume and network the room made."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from lab.engine.cleanup import CleanupReport
from lab.errors import EnvironmentNotReady
from lab.serve.room import Room
from lab.serve.server import RoomServer, Say
from lab.serve.warm import Warmer


@dataclass(frozen=True)
class Urls:
    """Where the room answers, once it listens."""

    attendee: str
    """The join page with the room code filled in (give it to attendees)."""
    instructor: str
    """The instructor's page with its key (keep it to yourself)."""
    host: str
    port: int


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shown_host(host: str) -> str:
    """The address to put in URLs: the machine's own for a wildcard bind."""
    if host not in ("0.0.0.0", "::", ""):
        return f"[{host}]" if ":" in host else host
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: it picks the outgoing address
        return str(probe.getsockname()[0])
    return socket.gethostname()


def prepare_host(room: Room, engine: Callable[[], Any]) -> Any:
    """What the room needs before anyone joins: root and nsenter, the engine, the node image;
    leftovers of rooms and runs that died are removed. Returns the engine's client."""
    from lab.sandbox import check_host, node_image, sweep
    from lab.sandbox.nodes import ensure_image

    check_host()
    client = engine()
    sweep(client)
    ensure_image(client, node_image(room.config.node_image))  # pulled through the mirrors
    return client


async def serve(
    room: Room,
    *,
    host: str,
    port: int,
    title: str,
    say: Say,
    ready: Callable[[Urls], None],
    engine: Callable[[], Any],
) -> CleanupReport:
    """Serve the room until SIGINT/SIGTERM; returns what was removed at the end."""
    server = RoomServer(room, title=title, say=say, engine=engine)
    await server.start()
    runner = web.AppRunner(server.app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise EnvironmentNotReady(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            "pick another port with --port (0: any free port)",
        ) from exc
    bound = port
    server_obj = getattr(site, "_server", None)
    if server_obj is not None and server_obj.sockets:
        bound = int(server_obj.sockets[0].getsockname()[1])
    base = f"http://{shown_host(host)}:{bound}"
    ready(Urls(f"{base}/join?code={room.code}", f"{base}/instructor?key={room.key}", host, bound))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    idle = asyncio.create_task(server.watch_idle())
    warmer = Warmer(room, engine, say)
    warmer.start()
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C does not cut cleanup short
            loop.add_signal_handler(sig, say, "still cleaning up: a few seconds more")
        idle.cancel()
        await warmer.stop()
        say("stopping: closing every attendee's app, then removing the room's nodes")
        await server.close()
        await runner.cleanup()
    try:
        return await asyncio.to_thread(remove_all, engine, room)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def remove_all(engine: Callable[[], Any], room: Room) -> CleanupReport:
    """Remove the room's nodes, volumes and networks; a second pass takes what an app that
    had to be killed was still making."""
    from lab.sandbox import remove_room

    client = engine()
    report = remove_room(client, room.id)
    again = remove_room(client, room.id)
    report.removed += again.removed
    report.failed = again.failed  # what the first pass could not remove is tried again
    return report
