"""Jekyll's Liquid in a lesson: `{{ "…" }}` string outputs and `{% raw %}` blocks become the
text Play with Docker showed (and sent); any other Liquid stays as written and is noted."""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(r"\{\{.*?\}\}?|\{%.*?%\}", re.DOTALL)
"""A Liquid output (`{{ … }}`) or tag (`{% … %}`), cut the way Liquid cuts them: an output ends
at the first `}` (with the next one, if any), so `{{ "{{ x "}}}}` is the output
`{{ "{{ x "}}` and then the text `}}`."""
STRING_OUTPUT = re.compile(r"""\{\{-?\s*(?:"([^"]*)"|'([^']*)')\s*-?\}\}""")
"""An output whose whole markup is one quoted string: it prints the string."""
TAG_NAME = re.compile(r"\{%-?\s*(\w+)")
END_RAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


@dataclass(frozen=True)
class LiquidMark:
    """Liquid left as written (Jekyll would have replaced it), or a `{% raw %}` never closed."""

    line: int
    """1-based line of the file where it starts."""
    text: str
    """The Liquid as written."""
    unclosed_raw: bool = False
    """A `{% raw %}` with no `{% endraw %}` after it (Jekyll stops with an error)."""


@dataclass(frozen=True)
class Rendered:
    """A lesson's text with the Liquid Jekyll resolves predictably resolved."""

    text: str
    """The text; it has the same lines as the file (a line's Liquid changes, not its place)."""
    left: tuple[LiquidMark, ...]
    """Liquid kept as written, in file order."""


def _same_lines(original: str, replacement: str) -> str:
    """`replacement`, padded with the line breaks `original` had, so later lines keep their
    numbers."""
    missing = original.count("\n") - replacement.count("\n")
    return replacement + "\n" * missing if missing > 0 else replacement


def render(text: str) -> Rendered:
    """Resolve `{{ "…" }}` / `{{ '…' }}` outputs and `{% raw %}…{% endraw %}` blocks as Jekyll
    does; keep every other output or tag as written and list it."""
    if "{{" not in text and "{%" not in text:
        return Rendered(text, ())
    out: list[str] = []
    left: list[LiquidMark] = []
    pos = 0
    while (match := TOKEN.search(text, pos)) is not None:
        out.append(text[pos : match.start()])
        token = match.group(0)
        line = text.count("\n", 0, match.start()) + 1
        pos = match.end()
        if token.startswith("{{"):
            string = STRING_OUTPUT.fullmatch(token)
            if string and "\n" not in token:
                out.append(string.group(1) if string.group(1) is not None else string.group(2))
            else:
                out.append(token)
                left.append(LiquidMark(line, token))
            continue
        name = TAG_NAME.match(token)
        if name is None or name.group(1) != "raw":
            out.append(token)
            left.append(LiquidMark(line, token))
            continue
        end = END_RAW.search(text, pos)
        if end is None:
            out.append(token)
            left.append(LiquidMark(line, token, unclosed_raw=True))
            continue
        out.append(_same_lines(token, ""))
        out.append(text[pos : end.start()])  # verbatim: nothing inside raw is Liquid
        out.append(_same_lines(end.group(0), ""))
        pos = end.end()
    out.append(text[pos:])
    return Rendered("".join(out), tuple(left))
