"""The terminal emulator's pure parts: colours, keys, the screen model, the fast path."""

from __future__ import annotations

import pyte
import pytest
from rich.text import Text

from lab.tui.emulator.colors import rich_color, style_of
from lab.tui.emulator.feeder import OutputFeeder
from lab.tui.emulator.keys import key_to_text
from lab.tui.emulator.screen import TerminalScreen


def feed(screen: TerminalScreen, data: bytes) -> None:
    pyte.ByteStream(screen).feed(data)


@pytest.mark.parametrize(
    ("pyte_name", "rich_name"),
    [
        ("default", None),
        ("red", "red"),
        ("brown", "yellow"),
        ("brightbrown", "bright_yellow"),
        ("brightblue", "bright_blue"),
        ("bfightmagenta", "bright_magenta"),  # pyte's typo for SGR 105
        ("0087ff", "#0087ff"),  # 256-colour table entry 33
        ("010203", "#010203"),  # truecolour
    ],
)
def test_pyte_colours_map_to_rich(pyte_name: str, rich_name: str | None) -> None:
    assert rich_color(pyte_name) == rich_name


def test_sgr_attributes_become_a_style() -> None:
    screen = TerminalScreen(10, 2)
    feed(screen, b"\x1b[1;3;4;7;33;44mX")
    style = style_of(screen.buffer[0][0])
    assert (style.bold, style.italic, style.underline, style.reverse) == (True,) * 4
    assert style.color is not None and style.color.name == "yellow"
    assert style.bgcolor is not None and style.bgcolor.name == "blue"


@pytest.mark.parametrize(
    ("key", "character", "app_cursor", "sent"),
    [
        ("a", "a", False, "a"),
        ("enter", None, False, "\r"),
        ("enter", "\r", False, "\r"),
        ("backspace", "\x08", False, "\x7f"),
        ("tab", "\t", False, "\t"),
        ("shift+tab", None, False, "\x1b[Z"),
        ("escape", "\x1b", False, "\x1b"),
        ("up", None, False, "\x1b[A"),
        ("up", None, True, "\x1bOA"),
        ("left", None, True, "\x1bOD"),
        ("ctrl+left", None, True, "\x1b[1;5D"),
        ("home", None, False, "\x1b[H"),
        ("end", None, True, "\x1bOF"),
        ("pageup", None, False, "\x1b[5~"),
        ("pagedown", None, False, "\x1b[6~"),
        ("insert", None, False, "\x1b[2~"),
        ("delete", "\x7f", False, "\x1b[3~"),
        ("f1", None, False, "\x1bOP"),
        ("f5", None, False, "\x1b[15~"),
        ("f12", None, False, "\x1b[24~"),
        ("ctrl+c", None, False, "\x03"),
        ("ctrl+d", None, False, "\x04"),
        ("ctrl+r", None, False, "\x12"),
        ("ctrl+z", None, False, "\x1a"),
        ("alt+b", None, False, "\x1bb"),
        ("question_mark", "?", False, "?"),
        ("ctrl+backslash", None, False, "\x1c"),
    ],
)
def test_keys_send_what_xterm_sends(
    key: str, character: str | None, app_cursor: bool, sent: str
) -> None:
    assert key_to_text(key, character, app_cursor=app_cursor) == sent


def test_cursor_key_mode_follows_decckm() -> None:
    screen = TerminalScreen(10, 2)
    feed(screen, b"\x1b[?1h")
    assert screen.app_cursor_keys
    feed(screen, b"\x1b[?1l")
    assert not screen.app_cursor_keys


@pytest.mark.parametrize("mode", [b"1049", b"47", b"1047"])
def test_alternate_screen_keeps_the_normal_one(mode: bytes) -> None:
    screen = TerminalScreen(20, 4)
    feed(screen, b"one\r\ntwo\r\n$ ")
    feed(screen, b"\x1b[?" + mode + b"h\x1b[2J\x1b[Hfull screen\r\n\r\n\r\n\r\n\r\n")
    assert screen.alternate and screen.text()[0] == ""
    assert not screen.history  # the alternate screen has no scrollback
    feed(screen, b"\x1b[?" + mode + b"l")
    assert not screen.alternate
    assert screen.text() == ["one", "two", "$", ""]
    if mode == b"1049":
        assert (screen.cursor.x, screen.cursor.y) == (2, 2)


def test_resize_scrolls_rows_above_the_cursor_into_history() -> None:
    screen = TerminalScreen(20, 6)
    feed(screen, b"1\r\n2\r\n3\r\n4\r\n5\r\n$ ")
    screen.resize(3, 20)
    assert screen.text() == ["4", "5", "$"]
    assert (screen.cursor.x, screen.cursor.y) == (2, 2)
    assert [dict(row)[0].data for row in screen.history if isinstance(row, dict)] == ["1", "2", "3"]


def test_resize_drops_blank_rows_below_the_cursor_first() -> None:
    screen = TerminalScreen(20, 6)
    feed(screen, b"1\r\n$ ")
    screen.resize(3, 10)
    assert screen.text() == ["1", "$", ""]
    assert not screen.history


def test_queries_are_answered() -> None:
    answers: list[str] = []
    screen = TerminalScreen(20, 4, respond=answers.append)
    feed(screen, b"ab\x1b[6n\x1b[c")
    assert answers == ["\x1b[1;3R", "\x1b[?6c"]


def test_clear_forgets_the_scrollback() -> None:
    screen = TerminalScreen(10, 2)
    feed(screen, b"1\r\n2\r\n3\r\n")
    assert screen.history
    feed(screen, b"\x1b[H\x1b[2J\x1b[3J")
    assert not screen.history


def history_text(row: object) -> str:
    if isinstance(row, bytes):
        return row.decode()
    if isinstance(row, Text):
        return row.plain
    assert isinstance(row, dict)
    return "".join(row[x].data if x in row else " " for x in range(max(row) + 1)).rstrip()


def test_fast_path_gives_the_screen_pyte_gives() -> None:
    data = b"\x1b[?2004l\r\r\n" + b"".join(
        b"\x1b[3%dmline %d\x1b[0m\tend\x1b[K\r\n" % (i % 8, i) for i in range(3000)
    )
    data += b"\x1b[1;32m$ \x1b[?2004h"
    screen = TerminalScreen(40, 10, scrollback=50)
    feeder = OutputFeeder(screen)
    feeder.append(data)
    while feeder.pending:
        feeder.process(1.0)
    reference = pyte.Screen(40, 10)
    pyte.ByteStream(reference).feed(data)
    assert feeder.skipped > len(data) // 2
    assert screen.text() == [line.rstrip() for line in reference.display]
    assert screen.cursor.attrs == reference.cursor.attrs
    assert (screen.cursor.x, screen.cursor.y) == (reference.cursor.x, reference.cursor.y)
    history = [history_text(row) for row in screen.history]
    assert history[-1] == "line 2990\tend".expandtabs()  # the row just above the screen
    assert history[0] == "line 2941\tend".expandtabs()
    assert len(history) == 50


def test_fast_path_leaves_control_sequences_to_pyte() -> None:
    lines = b"".join(b"%d\r\n" % i for i in range(100))
    data = lines + b"\x1b[5;1Hmoved" + lines  # a cursor move in the middle
    screen = TerminalScreen(20, 8)
    feeder = OutputFeeder(screen)
    feeder.append(data)
    while feeder.pending:
        feeder.process(1.0)
    reference = pyte.Screen(20, 8)
    pyte.ByteStream(reference).feed(data)
    assert screen.text() == [line.rstrip() for line in reference.display]
    assert 0 < feeder.skipped < len(lines)  # only the plain lines after the move
