"""The room's web server: the join page, the attendee's lesson page and its websocket (one
lab app process a connection, through textual-serve's AppService), the instructor's page.

Closed by default: a middleware serves nothing but the join page to a browser without a
valid attendee cookie (signed with the room's secret), the websocket also checks the Origin
header, and an attendee has at most one live app (a second tab takes over from the first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from lab.serve import pages
from lab.serve.forks import Zygote
from lab.serve.room import Attendee, JoinRefused, Room
from lab.serve.status import RoomStatus

log = logging.getLogger("lab.serve")

STATIC = Path(textual_serve.__file__ or "").parent / "static"
"""textual-serve's static files: textual.js (xterm.js and the protocol), its CSS and font."""
APP_COMMAND = f"exec {shlex.quote(sys.executable)} -m lab.serve.attendee"
"""What runs for each connection. Nothing secret: who it is for comes in its environment."""
STOP_TIMEOUT = 10.0
"""Seconds an attendee's app gets to save and quit before it is killed."""
IDLE_CHECK = 15.0
"""Seconds between looks for idle attendees."""
COOKIE_AGE = 24 * 3600
"""Seconds a join cookie lasts (a workshop day)."""
HEADERS = {
    "Cache-Control": "no-store",
    # the code or key in a URL never leaves in a Referer to another site (no-referrer would
    # also make browsers send `Origin: null` with the join form, which the origin check refuses)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
Say = Callable[[str], None]


class AttendeeService(AppService):
    """textual-serve's app process, started with one attendee's handoff in its environment:
    forked by the room's zygote when it runs, else started as a new process."""

    def __init__(
        self, extra_env: dict[str, str], *, zygote: Zygote | None = None, **kwargs: Any
    ) -> None:
        super().__init__(APP_COMMAND, **kwargs)
        self._extra_env = extra_env
        self._zygote = zygote

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width=width, height=height)
        env.update(self._extra_env)
        return env

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        if self._zygote is None or not self._zygote.alive:
            return await super()._open_app_process(width, height)
        try:
            app = await self._zygote.fork(self._build_environment(width, height))
        except OSError as exc:
            log.warning("the zygote could not fork an app (%s): starting one", exc)
            return await super()._open_app_process(width, height)
        self._process = app  # type: ignore[assignment]  # the shape AppService uses
        self._stdin = app.stdin
        return app

    def kill(self) -> None:
        """End the process now (it did not quit when asked)."""
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()


@dataclass
class Connection:
    """One attendee's open page: its websocket and its app."""

    attendee: Attendee
    websocket: web.WebSocketResponse
    service: AttendeeService | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once its app has quit."""


def same_origin(request: web.Request) -> bool:
    """The request comes from a page of this server: its Origin names the Host it was sent
    to (browsers always send Origin on websockets; a page elsewhere cannot forge it)."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


class RoomServer:
    """Serves one room. `app()` is the aiohttp application; `close()` ends every attendee's
    app; the nodes are the room's to remove afterwards (lab.serve.run)."""

    def __init__(self, room: Room, *, title: str, say: Say, engine: Callable[[], Any]) -> None:
        self.room = room
        self.title = title
        self.say = say
        self.status = RoomStatus(room, engine)
        self._engine = engine
        self._live: dict[str, Connection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._downloads = DownloadManager()
        self._closing = False
        self.zygote: Zygote | None = None

    async def start(self) -> None:
        """Start the zygote that forks attendees' apps (without it, apps start slower)."""
        zygote = Zygote()
        try:
            await zygote.start(self._service({})._build_environment())
        except (OSError, TimeoutError) as exc:
            await zygote.stop()
            self.say(f"apps will start as new processes (no zygote: {exc})")
            return
        self.zygote = zygote

    def _service(self, extra_env: dict[str, str], socket: Any = None) -> AttendeeService:
        async def nothing(*_: Any) -> None:
            return None

        return AttendeeService(
            extra_env,
            zygote=self.zygote,
            write_bytes=socket.send_bytes if socket is not None else nothing,
            write_str=socket.send_str if socket is not None else nothing,
            close=(lambda: _close(socket)) if socket is not None else nothing,
            download_manager=self._downloads,
        )

    # -- the application ---------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application (routes behind the room's gate)."""
        app = web.Application(middlewares=[self._gate])
        app.add_routes(
            [
                web.get("/join", self.join_form),
                web.post("/join", self.join),
                web.get("/", self.lesson),
                web.get("/ws", self.websocket),
                web.get("/instructor", self.instructor),
                web.static("/static", STATIC),
            ]
        )
        app.on_response_prepare.append(self._headers)
        return app

    @web.middleware
    async def _gate(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Nothing but the join page (and the instructor's page, behind its key) without
        an attendee cookie of this room."""
        if request.path in ("/join", "/instructor"):
            return await handler(request)
        if request.path == "/favicon.ico":
            return web.Response(status=204)  # nothing, without a 403 in the browser's console
        if self.attendee(request) is None:
            if request.path == "/" and request.method == "GET":
                raise web.HTTPSeeOther("/join")
            return web.Response(status=403, text="join the room first: /join\n")
        return await handler(request)

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)

    def attendee(self, request: web.Request) -> Attendee | None:
        """Who the request's cookie says it is (None: nobody of this room)."""
        return self.room.attendee_of(request.cookies.get(self.room.attendee_cookie))

    # -- joining -----------------------------------------------------------------------

    async def join_form(self, request: web.Request) -> web.StreamResponse:
        """GET /join: the form, the code filled in from the URL the instructor gave out."""
        if self.attendee(request) is not None:
            raise web.HTTPSeeOther("/")
        code = request.query.get("code", "")
        return _html(pages.join_page(title=self.title, code=code))

    async def join(self, request: web.Request) -> web.StreamResponse:
        """POST /join: a seat for a right code, else a refusal; no app starts either way."""
        if request.headers.get("Origin") and not same_origin(request):
            return web.Response(status=403, text="refused: the form came from another site\n")
        form = await request.post()
        code, name = str(form.get("code", "")), str(form.get("name", ""))
        try:
            attendee = self.room.join(code, name)
        except JoinRefused as refused:
            if refused.kind == "full":
                return _html(pages.full_page(title=self.title, message=refused.message), 503)
            status = 403 if refused.kind == "code" else 400
            shown = "" if refused.kind == "code" else code  # a wrong code is not echoed back
            page = pages.join_page(title=self.title, code=shown, name=name, refusal=refused.message)
            if refused.kind == "code":
                self.say(f"refused a join with a wrong room code from {request.remote}")
            return _html(page, status)
        self.say(f"seat {attendee.seat}: {attendee.name} joined")
        response = web.HTTPSeeOther("/")
        response.set_cookie(
            self.room.attendee_cookie,
            self.room.cookie_of(attendee),
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        raise response

    async def lesson(self, request: web.Request) -> web.StreamResponse:
        """GET /: the attendee's lesson page (the gate let only attendees through)."""
        attendee = self.attendee(request)
        assert attendee is not None
        size = request.query.get("fontsize", "16")
        font = int(size) if size.isdigit() and 8 <= int(size) <= 40 else 16
        return _html(pages.lesson_page(title=self.title, name=attendee.name, font_size=font))

    # -- an attendee's app ---------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """GET /ws: the attendee's app, driven through textual-serve's protocol. A second
        connection of the same attendee takes over: the first one's app quits first."""
        attendee = self.attendee(request)
        assert attendee is not None
        if not same_origin(request):
            self.say(f"refused a websocket of seat {attendee.seat} from another origin")
            return web.Response(status=403, text="refused: wrong origin\n")
        if self._closing:
            return web.Response(status=503, text="the room is closing\n")
        socket = web.WebSocketResponse(heartbeat=15)
        await socket.prepare(request)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        connection = Connection(attendee, socket)
        lock = self._locks.setdefault(attendee.id, asyncio.Lock())
        async with lock:
            earlier = self._live.get(attendee.id)
            if earlier is not None:
                await earlier.websocket.close(message=b"opened in another tab")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(earlier.done.wait(), STOP_TIMEOUT + 5)
            self._live[attendee.id] = connection
            attendee.connected, attendee.nodes_stopped = True, False
            attendee.last_seen = time.time()
            service = self._service(self.room.handoff_of(attendee).environment(), socket)
            connection.service = service
            try:
                await service.start(width, height)
            except BaseException:
                await asyncio.shield(asyncio.ensure_future(self._end(connection, service)))
                raise
        try:
            await _pump(socket, service)
        finally:
            # aiohttp cancels the handler when the page goes away: the app's end is a task
            # of its own, which that cancellation does not cut short
            await asyncio.shield(asyncio.ensure_future(self._end(connection, service)))
        return socket

    async def _end(self, connection: Connection, service: AttendeeService) -> None:
        """The page is gone: its app quits (or is killed), the attendee is away."""
        try:
            await asyncio.wait_for(service.stop(), STOP_TIMEOUT)
        except (TimeoutError, ConnectionResetError, RuntimeError):
            service.kill()
        finally:
            attendee = connection.attendee
            if self._live.get(attendee.id) is connection:
                del self._live[attendee.id]
                attendee.connected = False
                attendee.last_seen = time.time()
            connection.done.set()

    # -- the instructor ------------------------------------------------------------------

    async def instructor(self, request: web.Request) -> web.StreamResponse:
        """GET /instructor?key=K sets the instructor's cookie; with it, the room's page."""
        key = request.query.get("key")
        if key is not None:
            if not self.room.check_key(key):
                page = pages.refused_page(
                    title="Not the instructor key",
                    message="This key is not the room's instructor key.",
                )
                return _html(page, 403)
            response = web.HTTPSeeOther("/instructor")
            response.set_cookie(
                self.room.instructor_cookie,
                self.room.instructor_token(),
                max_age=COOKIE_AGE,
                httponly=True,
                samesite="Strict",
                secure=request.secure,
            )
            raise response
        if not self.room.is_instructor(request.cookies.get(self.room.instructor_cookie)):
            page = pages.refused_page(
                title="Instructor only", message="Open the instructor URL `lab serve` printed."
            )
            return _html(page, 403)
        rows = await self.status.rows()
        page = pages.instructor_page(
            title=self.title,
            code=self.room.code,
            join_url=f"{request.scheme}://{request.host}/join",
            seats=self.room.config.seats,
            limits=self.room.config.limits.describe(),
            rows=rows,
        )
        return _html(page)

    # -- idle attendees and the end ------------------------------------------------------

    async def watch_idle(self) -> None:
        """Stop the nodes of attendees away longer than the room's idle time."""
        minutes = self.room.config.idle_minutes
        if minutes <= 0:
            return
        while not self._closing:
            await asyncio.sleep(min(IDLE_CHECK, minutes * 60 / 3))
            now = time.time()
            for attendee in list(self.room.attendees.values()):
                away = now - attendee.last_seen
                if attendee.connected or attendee.nodes_stopped or away < minutes * 60:
                    continue
                async with self._locks.setdefault(attendee.id, asyncio.Lock()):
                    if attendee.connected:
                        continue
                    seat = self.room.seat_of(attendee)
                    try:
                        stopped = await asyncio.to_thread(seat.stop, self._engine())
                    except Exception as exc:  # the engine's words; try again later
                        self.say(f"seat {attendee.seat}: could not stop idle nodes: {exc}")
                        continue
                    attendee.nodes_stopped = True
                    if stopped:
                        self.say(
                            f"seat {attendee.seat}: {attendee.name} away {away / 60:.0f} min, "
                            f"stopped {len(stopped)} node(s) (started again on return)"
                        )

    async def close(self) -> None:
        """Refuse new connections and end every attendee's app."""
        self._closing = True
        live = list(self._live.values())
        for connection in live:
            await connection.websocket.close(message=b"the room is closing")
        for connection in live:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(connection.done.wait(), STOP_TIMEOUT + 5)
        if self.zygote is not None:
            await self.zygote.stop()


async def _pump(socket: web.WebSocketResponse, service: AppService) -> None:
    """Messages of textual.js to the app: keys, size, focus; pings answered here."""
    async for message in socket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            kind, *rest = message.json()
        except (ValueError, TypeError):
            continue
        data = rest[0] if rest else None
        if kind == "stdin" and isinstance(data, str):
            await service.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            await service.set_terminal_size(
                _int(data.get("width"), 80), _int(data.get("height"), 24)
            )
        elif kind == "ping":
            await socket.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()


async def _close(socket: web.WebSocketResponse) -> None:
    """Close the page's socket when its app ends, unless the page closed it already (then
    aiohttp would wait its whole close timeout for an answer that never comes)."""
    if not socket.closed:
        await socket.close()


def _int(value: object, default: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, 10), 1000)


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")
