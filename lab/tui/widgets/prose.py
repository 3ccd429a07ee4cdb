"""`ProseBlock`: lesson Markdown between steps, rendered by Rich in one widget (fast)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from markdown_it.token import Token
from rich.markdown import Heading, Markdown
from rich.text import Text
from textual.widgets import Static

from lab.lesson.document import clean_markdown

FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
"""`![alt](src)`: a terminal shows the alt text (Rich would put an emoji before the paragraph)."""


def plain_fences(markdown: str) -> str:
    """Give fences without a language `text` (the highlighter would otherwise guess one with
    Pygments, which imports every lexer plugin it can find: ~0.4 s at the first fence), and
    show images as their description."""
    out = []
    fence = ""
    for line in markdown.split("\n"):
        match = FENCE.match(line)
        if match and not fence:
            fence = match.group(2)
            if not match.group(3).strip():
                line = f"{match.group(1)}{fence}text"
        elif match and fence and match.group(2).startswith(fence) and not match.group(3).strip():
            fence = ""
        elif not fence:
            line = IMAGE.sub(lambda m: f"*[image: {m.group(1) or 'no description'}]*", line)
        out.append(line)
    return "\n".join(out)


class _Heading(Heading):
    """Headings flush left like the text (Rich centres `#`), in the theme's accent colour."""

    accent = "bold"

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> Heading:
        heading = cls(token.tag)
        heading.accent = getattr(markdown, "accent", "bold")
        return heading

    def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
        text: Text = self.text.copy()
        text.justify = "left"
        if self.tag in ("h1", "h2"):
            text.stylize(f"bold {self.accent}")
            marker = "▌ " if self.tag == "h1" else "  "
            yield Text.assemble(Text(marker, style=self.accent), text)
        else:
            text.stylize("bold")
            yield Text.assemble("  ", text)


class _Markdown(Markdown):
    elements: ClassVar = {**Markdown.elements, "heading_open": _Heading}

    def __init__(self, markup: str, accent: str) -> None:
        self.accent = accent
        super().__init__(markup, code_theme="monokai")


class ProseBlock(Static):
    """Markdown shown as written (headings, paragraphs, lists, quotes, display-only code)."""

    DEFAULT_CSS = """
    ProseBlock { margin: 0 2 1 2; height: auto; }
    """

    def __init__(self, markdown: str, source: str = "") -> None:
        super().__init__()
        self.markdown = plain_fences(markdown)
        self.source = source
        """The Markdown as written: app links are pointed again once sandbox nodes are up."""

    def on_mount(self) -> None:
        accent = self.app.theme_variables.get("accent", "yellow")
        self.update(_Markdown(self.markdown, accent))

    def point_app_links(self, hosts: Mapping[int, str]) -> None:
        """Point the block's app links at the sandbox nodes that serve them."""
        if not self.source or "data-port" not in self.source:
            return
        self.markdown = plain_fences(clean_markdown(self.source, hosts).strip("\n"))
        if self.is_mounted:
            self.on_mount()
