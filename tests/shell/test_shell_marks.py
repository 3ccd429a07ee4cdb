"""The mark scanner and output capture, on hand-made bytes (no shell)."""

from __future__ import annotations

from lab.shell.capture import Capture, TextStream, last_line
from lab.shell.marks import Mark, MarkKind, MarkScanner

STREAM = (
    b"\x1b]133;D;0\x07\x1b[?2004h\x1b]133;A\x07$ \x1b]133;B\x07echo hi\r\n"
    b"\x1b[?2004l\r\x1b]133;C\x07hi\r\n\x1b]133;D;42\x07\x1b]0;title\x1b\\"
    b"\x1b]6973;more\x07> "
)


def _scan(chunks: list[bytes]) -> tuple[bytes, list[Mark]]:
    scanner = MarkScanner()
    pieces = [p for chunk in chunks for p in scanner.feed(chunk)]
    screen = b"".join(p for p in pieces if isinstance(p, bytes)) + scanner.flush()
    return screen, [p for p in pieces if isinstance(p, Mark)]


def test_marks_are_split_from_screen_bytes() -> None:
    screen, marks = _scan([STREAM])
    assert screen == (b"\x1b[?2004h$ echo hi\r\n\x1b[?2004l\rhi\r\n\x1b]0;title\x1b\\> ")
    assert marks == [
        Mark(MarkKind.COMMAND_END, 0),
        Mark(MarkKind.PROMPT_START),
        Mark(MarkKind.PROMPT_END),
        Mark(MarkKind.PASTE_OFF),
        Mark(MarkKind.COMMAND_START),
        Mark(MarkKind.COMMAND_END, 42),
        Mark(MarkKind.MORE_INPUT),
    ]


def test_same_result_at_every_chunk_boundary() -> None:
    expected = _scan([STREAM])
    for cut in range(1, len(STREAM)):
        assert _scan([STREAM[:cut], STREAM[cut:]]) == expected, cut
    assert _scan([bytes([b]) for b in STREAM]) == expected


def test_bracketed_paste_mode_is_tracked() -> None:
    scanner = MarkScanner()
    scanner.feed(b"x\x1b[?2004")
    assert not scanner.bracketed_paste
    scanner.feed(b"h")
    assert scanner.bracketed_paste
    scanner.feed(b"\x1b[?1;2004l")
    assert not scanner.bracketed_paste


def test_unterminated_osc_is_not_held_forever() -> None:
    scanner = MarkScanner()
    data = b"\x1b]133;" + b"x" * 5000
    assert b"".join(p for p in scanner.feed(data) if isinstance(p, bytes)) == data


def test_capture_keeps_the_tail() -> None:
    capture = Capture(limit=10)
    for _ in range(10):
        capture.append(b"0123456789")
    assert capture.text() == "[… 90 bytes cut]\n0123456789"


def test_text_stream_redacts_across_chunks_and_joins_crlf() -> None:
    stream = TextStream(["secret"])
    chunks = [b"a sec", b"ret b\r", b"\n\xc3", b"\xa9"]
    parts = [stream.feed(chunk) for chunk in chunks]
    assert "".join(parts) + stream.flush() == "a ****** b\n\u00e9"


def test_last_line_is_what_a_person_sees() -> None:
    assert last_line("header\n\x1b[1mName:\x1b[0m ") == "Name: "
    assert last_line("50%\r100%\r\n") == ""
    assert last_line("done\nfetching 10%\rfetching 20%") == "fetching 20%"
