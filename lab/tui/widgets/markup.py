"""Small Markdown and command text for cards: inline Markdown as styled text, long commands
wrapped with a visible continuation mark."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from textual.content import Content, Span

CONTINUED = "↩"
"""Ends a command line that goes on below (the command itself has no line break there)."""
CONTINUATION = "  "
"""Starts the rest of a wrapped command line (indented under it)."""

_INLINE_STYLES = {
    "strong": "bold",
    "em": "italic",
    "s": "strike",
}


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def _inline(tokens: list[Token]) -> Content:
    """Inline tokens (text, code, strong, em, links) as styled text."""
    text: list[str] = []
    spans: list[Span] = []
    opened: list[tuple[str, int]] = []
    for token in tokens:
        start = sum(map(len, text))
        if token.type == "text":
            text.append(token.content)
        elif token.type == "code_inline":
            text.append(token.content)
            spans.append(Span(start, start + len(token.content), "bold $accent"))
        elif token.type in ("softbreak", "hardbreak"):
            text.append("\n" if token.type == "hardbreak" else " ")
        elif token.type.endswith("_open"):
            tag = token.type.removesuffix("_open")
            style = "underline" if tag == "link" else _INLINE_STYLES.get(tag, "")
            opened.append((style, start))
        elif token.type.endswith("_close") and opened:
            style, begin = opened.pop()
            if style and start > begin:
                spans.append(Span(begin, start, style))
        elif token.content:
            text.append(token.content)
    return Content("".join(text), spans)


def markdown_text(source: str) -> Content:
    """Markdown (a hint, a short note) as styled text: paragraphs, list items, `code`,
    **bold**, *italic*, links (their text)."""
    blocks: list[Content] = []
    prefix = ""
    for token in _parser().parse(source):
        if token.type == "list_item_open":
            prefix = "• "
        elif token.type == "inline":
            blocks.append(Content(prefix) + _inline(token.children or []))
            prefix = ""
        elif token.type in ("fence", "code_block"):
            code = token.content.rstrip("\n")
            blocks.append(Content.from_markup("[bold $accent]$c[/]", c=code))
    return Content("\n").join(blocks)


def wrap_command(command: str, width: int) -> list[tuple[str, bool]]:
    """A command's lines cut to `width` columns: (text, continued). A line that goes on
    below is marked; the rest is indented. Cuts fall after a space when there is one."""
    width = max(width, 12)
    out: list[tuple[str, bool]] = []
    for line in command.rstrip("\n").split("\n"):
        first = True
        while True:
            room = width - (0 if first else len(CONTINUATION)) - 2  # " ↩"
            if len(line) <= room + 2:
                out.append(((CONTINUATION if not first else "") + line, False))
                break
            cut = line.rfind(" ", 1, room + 1)
            cut = cut + 1 if cut > 0 else room
            out.append(((CONTINUATION if not first else "") + line[:cut].rstrip(" "), True))
            line = line[cut:]
            first = False
    return out


def command_text(command: str, width: int) -> Content:
    """A command in bold, wrapped by `wrap_command` with a dim continuation mark."""
    parts = []
    for text, continued in wrap_command(command, width):
        piece = Content.from_markup("[b]$t[/]", t=text)
        if continued:
            piece += Content.from_markup(" [dim $accent]$m[/]", m=CONTINUED)
        parts.append(piece)
    return Content("\n").join(parts)
