"""pyte character attributes -> Rich styles (colour names, 256-colour and truecolour hex)."""

from __future__ import annotations

from functools import lru_cache

from pyte.screens import Char
from rich.style import Style

_NAMES = {
    "brown": "yellow",  # pyte's name for SGR 33/43
    "brightbrown": "bright_yellow",
    "bfightmagenta": "bright_magenta",  # pyte 0.8.2's typo for SGR 105
}
"""pyte colour names that Rich spells differently."""

_BASIC = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_HEX = frozenset("0123456789abcdefABCDEF")


def rich_color(name: str) -> str | None:
    """The Rich colour for a pyte colour: a name, `#rrggbb`, or None for the default."""
    if name == "default" or not name:
        return None
    name = _NAMES.get(name, name)
    if name in _BASIC or name.startswith("bright_"):
        return name
    if name.startswith("bright") and name[6:] in _BASIC:
        return f"bright_{name[6:]}"
    if len(name) == 6 and _HEX.issuperset(name):  # 256-colour table entries and truecolour
        return f"#{name.lower()}"
    return None


@lru_cache(maxsize=4096)
def char_style(
    fg: str,
    bg: str,
    bold: bool,
    italics: bool,
    underscore: bool,
    strikethrough: bool,
    reverse: bool,
    blink: bool,
) -> Style:
    """The Rich style of a cell with these pyte attributes (default colours: None)."""
    return Style(
        color=rich_color(fg),
        bgcolor=rich_color(bg),
        bold=bold or None,
        italic=italics or None,
        underline=underscore or None,
        strike=strikethrough or None,
        reverse=reverse or None,
        blink=blink or None,
    )


def style_of(char: Char) -> Style:
    """The Rich style of one pyte cell."""
    return char_style(*char[1:])
