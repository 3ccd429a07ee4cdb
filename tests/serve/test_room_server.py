"""The room's web server, for real over HTTP and websockets (no Docker): what is served
without the code, refusals that start no process, signed cookies, the origin check, one
live app per attendee, the instructor's page. The app each connection starts is a small
Textual app standing in for lab's (tests/serve/fake_app.py), run by textual-serve."""

from __future__ import annotations

import asyncio
import hmac
import html
import os
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from lab.errors import EnvironmentNotReady
from lab.serve import server as server_module
from lab.serve.room import Room, RoomConfig
from lab.serve.server import RoomServer
from tests.conftest import ROOT
from tests.serve.wsclient import Attendee, Refused

pytestmark = pytest.mark.timeout(60)

FAKE_APP = f"exec {shlex.quote(sys.executable)} {ROOT / 'tests' / 'serve' / 'fake_app.py'}"


def no_engine() -> Any:
    raise EnvironmentNotReady("no engine in this test")


class Room_:
    """A served room and what the test needs of it."""

    def __init__(self, room: Room, server: RoomServer, base: str, said: list[str]) -> None:
        self.room, self.server, self.base, self.said = room, server, base, said

    def attendee(self, name: str) -> Attendee:
        return Attendee(self.base, name)


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Room_]:
    monkeypatch.setenv("LAB_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(server_module, "APP_COMMAND", FAKE_APP)
    room = Room(RoomConfig(lessons=(ROOT / "lessons",), seats=2))
    said: list[str] = []
    server = RoomServer(room, title="Test room", say=said.append, engine=no_engine)
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    try:
        yield Room_(room, server, f"http://127.0.0.1:{test_server.port}", said)
    finally:
        await server.close()
        await test_server.close()


async def get(url: str, cookies: dict[str, str] | None = None) -> tuple[int, str, Any]:
    async with (
        aiohttp.ClientSession(cookies=cookies) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        return response.status, html.unescape(await response.text()), response.headers


def children() -> list[str]:
    """Command lines of this process's children (an app process would be one)."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                found.append(
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
            except OSError:
                continue
    return [c for c in found if "fake_app" in c]


# -- nothing without the code ------------------------------------------------------------


async def test_without_the_code_only_the_join_page_is_served(served: Room_) -> None:
    status, page, _ = await get(f"{served.base}/join?code=ABCD-EFGH")
    assert status == 200 and 'name="code"' in page and "ABCD-EFGH" in page
    status, _, headers = await get(f"{served.base}/")
    assert status == 303 and headers["Location"] == "/join"
    for path in ("/ws", "/static/js/textual.js", "/static/css/xterm.css", "/download/x", "/x"):
        status, text, _ = await get(served.base + path)
        assert status == 403, path
        assert "join the room first" in text
    assert children() == []


async def test_a_wrong_or_missing_code_is_refused_and_starts_nothing(served: Room_) -> None:
    for code in ("WRNG-CODE", "", served.room.code[:-1]):
        someone = served.attendee("Mallory")
        with pytest.raises(Refused) as refused:
            await someone.join(code)
        assert refused.value.status == 403
        assert "That room code is not this room's" in refused.value.text
        assert code not in refused.value.text or not code  # a wrong code is not echoed back
        with pytest.raises(Refused) as no_socket:
            await someone.connect()
        assert no_socket.value.status == 403
        await someone.close()
    assert served.room.attendees == {}
    assert children() == []
    assert "refused a join with a wrong room code from 127.0.0.1" in served.said


async def test_the_code_is_compared_in_constant_time(
    served: Room_, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert served.room.check_code(served.room.code.lower().replace("-", " "))
    assert not served.room.check_code("AAAA-AAAA")
    assert served.room.check_key(served.room.key) and not served.room.check_key("guess")
    assert len(calls) == 4 and calls[0] == (served.room.code.encode(), served.room.code.encode())


async def test_joining_needs_a_name_and_a_free_seat(served: Room_) -> None:
    nameless = served.attendee("   ")
    with pytest.raises(Refused) as refused:
        await nameless.join(served.room.code)
    assert refused.value.status == 400 and "Type your name" in refused.value.text
    for name in ("Ana", "Ben"):
        await served.attendee(name).join(served.room.code)
    late = served.attendee("Cleo")
    with pytest.raises(Refused) as full:
        await late.join(served.room.code)
    assert full.value.status == 503
    assert "All 2 seats of this room are taken" in full.value.text
    assert [a.name for a in served.room.attendees.values()] == ["Ana", "Ben"]
    await nameless.close()
    await late.close()


# -- who is who ----------------------------------------------------------------------------


async def test_the_cookie_is_signed_and_cannot_be_changed_or_carried_to_another_room(
    served: Room_,
) -> None:
    ana, ben = served.attendee("Ana"), served.attendee("Ben")
    await ana.join(served.room.code)
    await ben.join(served.room.code)
    name = served.room.attendee_cookie
    cookie = next(c.value for c in ana.session.cookie_jar if c.key == name)
    ana_id, _, signature = cookie.partition(".")
    ben_id = next(a.id for a in served.room.attendees.values() if a.name == "Ben")
    assert (await get(f"{served.base}/", {name: cookie}))[0] == 200
    other_room = Room(RoomConfig(lessons=()))
    forged = [
        f"{ben_id}.{signature}",  # Ben's id with Ana's signature
        f"{ana_id}.{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",  # one digit changed
        ana_id,  # no signature
        other_room.signer.sign("attendee", ana_id),  # signed by another room's secret
        served.room.signer.sign("instructor", ana_id),  # signed for another purpose
    ]
    for value in forged:
        status, _, headers = await get(f"{served.base}/", {name: value})
        assert status == 303 and headers["Location"] == "/join", value
        status, _, _ = await get(f"{served.base}/static/js/textual.js", {name: value})
        assert status == 403, value
    await ana.close()
    await ben.close()


async def test_the_websocket_checks_its_origin_and_starts_no_process_for_a_stranger(
    served: Room_,
) -> None:
    ana = served.attendee("Ana")
    await ana.join(served.room.code)
    for origin in ("http://evil.example", "http://127.0.0.1:1", "null"):
        with pytest.raises(Refused) as refused:
            await ana.connect(origin=origin)
        assert refused.value.status == 403
    assert children() == []
    assert any("from another origin" in line for line in served.said)
    await ana.close()


# -- the app of each attendee -----------------------------------------------------------------


async def test_each_attendee_gets_their_own_app_with_their_own_state(served: Room_) -> None:
    ana, ben = served.attendee("Ana"), served.attendee("Ben")
    for who in (ana, ben):
        await who.join(served.room.code)
        await who.connect()
    ana_id, ben_id = (a.id for a in served.room.attendees.values())
    await ana.wait_for(rf"hello Ana[\s\S]*state {ana_id}")
    await ben.wait_for(rf"hello Ben[\s\S]*state {ben_id}")
    for who in (ana, ben):
        await who.close()


async def test_a_second_page_of_the_same_attendee_takes_over_from_the_first(
    served: Room_,
) -> None:
    first = served.attendee("Ana")
    await first.join(served.room.code)
    await first.connect()
    pid = (await first.wait_for(r"pid (\d+)")).group(1)
    second = Attendee(served.base, "Ana")
    second.session.cookie_jar.update_cookies(
        {c.key: c.value for c in first.session.cookie_jar}, aiohttp.client.URL(served.base)
    )
    await second.connect()
    new_pid = (await second.wait_for(r"pid (\d+)")).group(1)
    assert new_pid != pid
    assert first.closed  # the first page was told to close
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    assert len(children()) == 1
    await first.close()
    await second.close()


async def test_closing_the_page_ends_its_app(served: Room_) -> None:
    ana = served.attendee("Ana")
    await ana.join(served.room.code)
    await ana.connect()
    await ana.wait_for("hello Ana")
    assert len(children()) == 1
    attendee = next(iter(served.room.attendees.values()))
    assert attendee.connected
    await ana.close()
    for _ in range(50):
        if not children() and not attendee.connected:
            break
        await asyncio.sleep(0.1)
    assert children() == []
    assert not attendee.connected


# -- the instructor --------------------------------------------------------------------------


async def test_the_instructor_page_needs_the_key_and_lists_the_room(served: Room_) -> None:
    status, text, _ = await get(f"{served.base}/instructor")
    assert status == 403 and "Instructor only" in text
    status, text, _ = await get(f"{served.base}/instructor?key=not-the-key")
    assert status == 403 and "not the room's instructor key" in text
    mallory = served.attendee("<script>alert(1)</script>")
    await mallory.join(served.room.code)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{served.base}/instructor?key={served.room.key}") as response:
            page = await response.text()
        assert response.status == 200
        assert served.room.code in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
        assert "not started" in page and "none yet" in page  # progress and nodes columns
        # the instructor's cookie is not an attendee's
        async with session.get(f"{served.base}/static/js/textual.js") as response:
            assert response.status == 403
    await mallory.close()


async def test_every_page_says_not_to_frame_cache_or_refer(served: Room_) -> None:
    _, _, headers = await get(f"{served.base}/join")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
