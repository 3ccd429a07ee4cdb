"""Relaying the Docker Engine API between a client and the engine, one request at a time.

Each request's head is read with h11 (a small, well-kept HTTP/1.1 state machine that does no
I/O of its own) and judged before anything reaches the engine; a forwarded request's body and
its answer are passed on piece by piece as they arrive, so progress streams (pull, push,
build, `logs -f`, events) flow as they would from the engine itself. A connection the engine
upgrades (`101 UPGRADED`: attach, exec, `docker run -it`, BuildKit sessions) becomes a plain
two-way byte pipe, half-closes included (stdin's end reaches the container).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import h11

from lab.engine.api import reason
from lab.hoststate.guard.address import unix_or_tcp
from lab.hoststate.guard.policy import Refusal, needs_body

READ = 65536
"""Bytes read from a socket at a time."""
MAX_HEAD = 1024 * 1024
"""Largest request or response head accepted: a build's X-Registry-Config header carries the
credentials of every registry the client knows, far above h11's 16 KiB default."""
MAX_JUDGED_BODY = 1024 * 1024
"""Largest body read before judging (only a network disconnect's small JSON is read first)."""

SETTLE = 1.0
"""Seconds a request body's relay may take to finish after the engine's answer has ended (it
had all of it, else it would not have answered); longer, and the connection is closed."""

Judge = Callable[[str, str, bytes | None], Awaitable[Refusal | None]]
"""judge(method, target, body): the refusal of a request, None to forward it."""


class GuardSetupError(Exception):
    """The engine's address is one the guard cannot stand in front of."""


class Engine:
    """Where the real engine listens: a unix socket, or a plain TCP address."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.unix_path, self.tcp = unix_or_tcp(address)
        if self.unix_path is None and self.tcp is None:
            raise GuardSetupError(f"lab's engine guard cannot relay to {address}")

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new connection to the engine."""
        if self.unix_path is not None:
            return await asyncio.open_unix_connection(self.unix_path, limit=READ)
        assert self.tcp is not None
        return await asyncio.open_connection(*self.tcp, limit=READ)

    async def get_json(self, path: str) -> Any:
        """The engine's JSON answer to GET path; None when it answers 404."""
        reader, writer = await self.open()
        try:
            conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
            head = h11.Request(method="GET", target=path, headers=[("Host", "docker")])
            writer.write(conn.send(head) + conn.send(h11.EndOfMessage()))
            status, body = 0, bytearray()
            while True:
                event = await _next(conn, reader)
                if isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
        finally:
            writer.close()
        if status == 404:
            return None
        if status >= 400 or status == 0:
            raise GuardSetupError(f"the engine answered GET {path} with {status}: {body[:200]!r}")
        return json.loads(body)


async def _next(conn: h11.Connection, reader: asyncio.StreamReader) -> Any:
    """The next h11 event of a connection, reading from its socket as needed."""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(READ))
            continue
        return event


async def _send(conn: h11.Connection, writer: asyncio.StreamWriter, event: Any) -> None:
    data = conn.send(event)
    if data:
        writer.write(data)
        await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Bytes from reader to writer until reader ends; then half-close writer."""
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(READ):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


@dataclass
class _Upstream:
    """A connection to the engine, reused for the next request while the engine keeps it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    conn: h11.Connection


class Link:
    """One client connection, relayed to the engine request by request."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        engine: Engine,
        judge: Judge,
        refused: Callable[[Refusal], None],
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.engine = engine
        self.judge = judge
        self.refused = refused
        self.down = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.up: _Upstream | None = None
        self._watch: asyncio.Future[None] | None = None

    async def run(self) -> None:
        """Serve the client's requests until it (or the engine) closes the connection."""
        try:
            while True:
                event = await _next(self.down, self.reader)
                if not isinstance(event, h11.Request):
                    return  # the client closed the connection
                method, target = event.method.decode(), event.target.decode()
                body = await self._whole_body() if needs_body(method, target) else None
                refusal = await self.judge(method, target, body)
                if refusal is not None:
                    self.refused(refusal)
                    await self._refuse(refusal, body is None)
                elif await self._forward(event, body):
                    return  # upgraded and relayed to the end, or the client is gone
                if self.down.our_state is not h11.DONE or self.down.their_state is not h11.DONE:
                    return
                self.down.start_next_cycle()
        except (h11.ProtocolError, ConnectionError, OSError, GuardSetupError) as exc:
            await self._fail(exc)
        finally:
            self._close()

    def _close(self) -> None:
        self.writer.close()
        if self.up is not None:
            self.up.writer.close()
            self.up = None

    async def _fail(self, exc: BaseException) -> None:
        """Tell the client what went wrong, if it still waits for an answer."""
        if self.down.our_state is not h11.SEND_RESPONSE:
            return
        if isinstance(exc, GuardSetupError):  # the engine answered, but not as expected
            text = f"lab's engine guard could not judge this request: {exc}"
        else:
            text = (
                f"Cannot connect to the Docker daemon at {self.engine.address} (lab's engine "
                f"guard: {reason(exc)}). Is the docker daemon running?"
            )
        with contextlib.suppress(h11.ProtocolError, ConnectionError, OSError):
            await self._answer(502, text)

    async def _whole_body(self) -> bytes:
        body = bytearray()
        while isinstance(event := await _next(self.down, self.reader), h11.Data):
            body += event.data
            if len(body) > MAX_JUDGED_BODY:
                raise h11.RemoteProtocolError("request body too large to judge")
        return bytes(body)

    async def _refuse(self, refusal: Refusal, body_unread: bool) -> None:
        if body_unread and not self.down.they_are_waiting_for_100_continue:
            while isinstance(await _next(self.down, self.reader), h11.Data):
                pass  # read and drop it, so the connection can go on
        await self._answer(refusal.status, refusal.message)

    async def _answer(self, status: int, message: str) -> None:
        """A Docker-style error: `{"message": ...}`, shown by the CLI as the engine's."""
        data = json.dumps({"message": message}).encode() + b"\n"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        await _send(self.down, self.writer, h11.Response(status_code=status, headers=headers))
        await _send(self.down, self.writer, h11.Data(data=data))
        await _send(self.down, self.writer, h11.EndOfMessage())

    async def _upstream(self) -> _Upstream:
        up = self.up
        idle = up is not None and up.conn.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.DONE}
        if up is not None and idle and not up.reader.at_eof():  # (a restarted engine closed it)
            up.conn.start_next_cycle()
            return up
        if up is not None:
            up.writer.close()
        reader, writer = await self.engine.open()
        self.up = _Upstream(reader, writer, h11.Connection(h11.CLIENT, MAX_HEAD))
        return self.up

    async def _forward(self, request: h11.Request, body: bytes | None) -> bool:
        """Relay one request and its answer; True when the connection is over (upgraded and
        relayed to its end, the client gone, or the engine answered before the body ended)."""
        up = await self._upstream()
        head = h11.Request(
            method=request.method,
            target=request.target,
            headers=list(request.headers.raw_items()),
            http_version=request.http_version,
        )
        await _send(up.conn, up.writer, head)
        if body is not None:
            if body:
                await _send(up.conn, up.writer, h11.Data(data=body))
            await _send(up.conn, up.writer, h11.EndOfMessage())
            sending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            sending.set_result(None)
        else:
            sending = asyncio.ensure_future(self._request_body(up))
        self._watch = asyncio.ensure_future(self._watch_client(sending))
        answer = asyncio.ensure_future(self._response(up, sending))
        try:
            await asyncio.wait([answer, self._watch], return_when=asyncio.FIRST_COMPLETED)
            if not answer.done() and not self._watch.cancelled():
                return True  # the client went away: nobody waits for the answer
            upgraded = await answer  # (an upgrade ends the watch: the relay reads the client)
            if not sending.done():  # the engine answered before the body ended: start afresh
                return True
            return upgraded
        finally:
            for task in (answer, self._watch, sending):
                task.cancel()
            await asyncio.gather(answer, self._watch, sending, return_exceptions=True)

    async def _watch_client(self, sending: asyncio.Future[None]) -> None:
        """Returns when the client goes away while it waits for its answer (a `docker events`
        or `logs -f` that was stopped), so the engine's side is closed too; what the client
        sends meanwhile is kept for the next request (or for the relay, after an upgrade)."""
        await asyncio.wait([sending])
        if sending.cancelled() or sending.exception() is not None:
            return
        while data := await self.reader.read(READ):
            self.down.receive_data(data)

    async def _request_body(self, up: _Upstream) -> None:
        while True:
            event = await _next(self.down, self.reader)
            if isinstance(event, h11.Data):
                await _send(up.conn, up.writer, h11.Data(data=event.data))
            elif isinstance(event, h11.EndOfMessage):
                await _send(up.conn, up.writer, h11.EndOfMessage(headers=event.headers))
                return
            else:  # the client went away mid-body
                raise ConnectionResetError("the client closed the connection mid-request")

    async def _response(self, up: _Upstream, sending: asyncio.Future[None]) -> bool:
        while True:
            event = await _next(up.conn, up.reader)
            if isinstance(event, h11.InformationalResponse):
                if event.status_code == 101:
                    await asyncio.wait([sending])  # the request is whole before the switch
                    sending.result()
                    if self._watch is not None:  # the relay reads the client from now on
                        self._watch.cancel()
                        await asyncio.wait([self._watch])
                await _send(self.down, self.writer, _head(event))
                if event.status_code == 101:
                    await self._relay(up)
                    return True
            elif isinstance(event, h11.Response):
                await _send(self.down, self.writer, _head(event))
            elif isinstance(event, h11.Data):
                await _send(self.down, self.writer, h11.Data(data=event.data))
            elif isinstance(event, h11.EndOfMessage):
                await _send(self.down, self.writer, h11.EndOfMessage(headers=event.headers))
                if not sending.done():  # its last bytes reached the engine: it answered
                    await asyncio.wait([sending], timeout=SETTLE)
                if sending.done():
                    sending.result()
                return False
            else:
                raise ConnectionResetError("the engine closed the connection without an answer")

    async def _relay(self, up: _Upstream) -> None:
        """Both ways as raw bytes, after an upgrade, until both sides have ended."""
        pending_down = self.down.trailing_data[0]
        pending_up = up.conn.trailing_data[0]
        if pending_down:
            up.writer.write(pending_down)
        if pending_up:
            self.writer.write(pending_up)
        await asyncio.gather(_pipe(self.reader, up.writer), _pipe(up.reader, self.writer))


def _head(
    event: h11.InformationalResponse | h11.Response,
) -> h11.InformationalResponse | h11.Response:
    """The same answer head, for the client's side of the relay."""
    kind = type(event)
    return kind(
        status_code=event.status_code,
        headers=list(event.headers.raw_items()),
        reason=event.reason,
        http_version=event.http_version,
    )
