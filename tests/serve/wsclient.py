"""A scripted attendee of a `lab serve` room: joins through the join page, drives the app
through the websocket as textual.js does, and reads the screen it is sent (through pyte, as
xterm.js would draw it). Used by the room's tests and by bench/serve.py."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import pyte

T = TypeVar("T")
RAW_KEEP = 1 << 16
F6 = "\x1b[17~"
"""The F6 key: moves the keyboard between the lesson and the terminal."""
WIDTH, HEIGHT = 160, 45
"""The browser's terminal size in cells (a laptop window at 16 px)."""


class Refused(Exception):
    """The room said no (status and page)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text[:200]}")
        self.status = status
        self.text = html.unescape(text)


@dataclass
class Attendee:
    """One attendee: their cookie jar, their websocket, their screen."""

    base: str
    """`http://127.0.0.1:PORT`."""
    name: str
    session: aiohttp.ClientSession = field(init=False)
    ws: Any = None
    screen: pyte.Screen = field(init=False)
    _stream: pyte.ByteStream = field(init=False)
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    received: int = 0
    """Bytes of screen updates received."""
    draw: bool = True
    """Draw the screen (pyte); False keeps only the latest bytes (`raw`), which costs next to
    no CPU: a bench's many attendees then do not slow down the one whose echo it times."""
    raw: bytearray = field(default_factory=bytearray)
    """With draw off: the latest RAW_KEEP bytes received."""

    def __post_init__(self) -> None:
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self._fresh_screen()

    def _fresh_screen(self) -> None:
        self.screen = pyte.Screen(WIDTH, HEIGHT)
        self._stream = pyte.ByteStream(self.screen)

    async def join(self, code: str) -> None:
        """POST the join form; raises Refused unless the room seats us."""
        async with self.session.post(
            f"{self.base}/join",
            data={"name": self.name, "code": code},
            headers={"Origin": self.base},
            allow_redirects=False,
        ) as response:
            if response.status != 303:
                raise Refused(response.status, await response.text())

    async def connect(self, *, origin: str | None = None) -> None:
        """Open the websocket (a page load); raises Refused when the room refuses it."""
        self._fresh_screen()
        self.closed = False
        url = self.base.replace("http", "ws", 1) + f"/ws?width={WIDTH}&height={HEIGHT}"
        try:
            self.ws = await self.session.ws_connect(
                url, headers={"Origin": origin or self.base}, heartbeat=None
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise Refused(exc.status, exc.message) from exc
        await self.ws.send_json(["resize", {"width": WIDTH, "height": HEIGHT}])
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                if self.draw:
                    self._stream.feed(message.data)
                else:
                    self.raw += message.data
                    del self.raw[:-RAW_KEEP]
                self.received += len(message.data)
                self._changed.set()
        self.closed = True
        self._changed.set()

    def text(self) -> str:
        """The screen as text."""
        return "\n".join(line.rstrip() for line in self.screen.display)

    async def until(self, test: Callable[[str], T | None], timeout: float, what: str) -> T:
        """Wait until test(screen text) gives something; AssertionError after timeout s.
        The screen is looked at once when asked and again after each update received."""
        return await self._until(lambda: test(self.text()), timeout, what)

    async def wait_bytes(self, pattern: bytes, timeout: float = 30.0) -> re.Match[bytes]:
        """With draw off: wait until the latest bytes received match."""
        return await self._until(lambda: re.search(pattern, self.raw), timeout, repr(pattern))

    async def _until(self, test: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()  # before looking: an update after the look wakes us
            found = test()
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                state = "closed" if self.closed else f"not within {timeout:g} s"
                raise AssertionError(f"{what} {state}; the screen:\n{self.text()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    async def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Wait until the screen matches a regular expression."""
        return await self.until(lambda text: re.search(pattern, text), timeout, repr(pattern))

    async def press(self, keys: str) -> None:
        """Send keys as the browser's terminal would (`\\r` Enter, `\\x1b[17~` F6)."""
        assert self.ws is not None
        await self.ws.send_json(["stdin", keys])

    async def focus_terminal(self) -> None:
        """F6, then wait until the terminal has the keyboard (the footer then lists only F6:
        keys sent before Textual moves the focus would still go to the lesson)."""
        await self.press(F6)
        await self.wait_for(r"\n\s*f6 Lesson ⇄ terminal\s*$")

    async def focus_lesson(self) -> None:
        """F6 back to the lesson (its keys are in the footer again)."""
        await self.press(F6)
        await self.wait_for(r"\n\s*f6 Lesson ⇄ terminal .*n Next")

    async def disconnect(self) -> None:
        """Close the page's connection (a refresh begins like this)."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader
        self.ws = None

    async def close(self) -> None:
        await self.disconnect()
        await self.session.close()


def terminal_lines(text: str) -> list[str]:
    """The inside of the terminal pane (the box titled `term1`, right half of the screen)."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if "─ term1 " in line), None)
    if start is None:
        return []
    column = lines[start].index("╭", lines[start].index("─ term1 ") - 3)
    inside = []
    for line in lines[start + 1 :]:
        cell = line[column + 1 :]
        if cell.startswith("─") or line[column : column + 1] == "╰":
            break
        inside.append(cell.rstrip("│ ").rstrip())
    return inside
