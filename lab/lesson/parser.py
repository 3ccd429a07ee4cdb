"""Turning lesson Markdown into the lesson model, with file:line diagnostics."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from lab.errors import LessonError
from lab.lesson import liquid
from lab.lesson.building import Builder, inline_text, line_of
from lab.lesson.frontmatter import parse_front_matter
from lab.lesson.liquid import LiquidMark
from lab.lesson.model import (
    AppLink,
    Check,
    DisplayBlock,
    ExpectedOutput,
    Heading,
    Lesson,
    Step,
)
from lab.lesson.options import (
    OptionError,
    parse_check_options,
    parse_step_options,
    split_words,
)
from lab.lesson.quizparse import QUIZ_MARK, read_hint, read_quiz

TERM_INFO = re.compile(r"^\.term(\S*)$")
OUTPUT_INFOS = frozenset({"", "text", "console", "output", "plaintext", "shell-session"})
"""Info strings of a fence that, right after a step, is that step's expected output."""
ERROR_LINE = re.compile(r"^(?:docker: )?Error(?: response from daemon)?: ", re.MULTILINE)
"""A line of an expected output that shows the step failing, as Docker words it
(`Error response from daemon: ...`, `Error: No such container: web`): a step with such a
transcript and no `exit=` accepts any exit status."""
APP_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<href>[^)]*)\)(?P<attrs>(?:\{:[^}]*\})+)")
ATTR = re.compile(r'data-(term|port)\s*=\s*"([^"]*)"')


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").use(front_matter_plugin)


CONTAINER_PREFIX = re.compile(r"^(?:[ \t]*>)*")
"""Blockquote markers before a line's own text (`> > ```` closes a fence in a quote)."""


def _is_closed(token: Token, lines: list[str]) -> bool:
    """markdown-it runs an unclosed fence to the end of its container (the file, a quote, a
    list item); spot that."""
    if not token.map:
        return True
    start, end = token.map
    if end - 1 <= start or end - 1 >= len(lines):
        return False
    closing = CONTAINER_PREFIX.sub("", lines[end - 1]).strip()
    char = token.markup[0]
    return closing.startswith(token.markup) and set(closing) == {char}


def _unclosed(token: Token, lines: list[str]) -> tuple[str, str, int | None]:
    """Message and hint for a fence that is not closed: when the line after its container
    is the closing fence indented too little (outside the list item), say so."""
    end = token.map[1] if token.map else len(lines)
    after = CONTAINER_PREFIX.sub("", lines[end]) if end < len(lines) else ""
    if after.strip() == token.markup and len(after) - len(after.lstrip()) < len(
        lines[line_of(token) - 1]
    ) - len(lines[line_of(token) - 1].lstrip()):
        return (
            f"code fence opened here with {token.markup} is never closed: the "
            f"{token.markup} on line {end + 1} is indented less than the opening fence, so it "
            "ends the list item instead of the block",
            f"indent line {end + 1} like the opening fence",
            end + 1,
        )
    return (
        f"code fence opened here with {token.markup} is never closed",
        f"add a line with {token.markup} after the block's last line",
        None,
    )


def _step(b: Builder, token: Token, term_text: str, words: list[str]) -> None:
    line = line_of(token)
    if not term_text.isdigit() or not 1 <= int(term_text) <= 6:
        b.report(
            line,
            "error",
            f"'.term{term_text}' is not a terminal: use .term1 to .term6",
            "runnable fences start with .term1 ... .term6",
        )
        return
    opts, problems = parse_step_options(words)
    for p in problems:
        b.report(line, "error" if p.severity == "error" else "warning", p.message, p.hint)
    b.steps.append(
        Step(
            index=len(b.steps),
            terminal=int(term_text),
            command=token.content,
            line=line,
            section=b.section_path(),
            name=opts.name,
            timeout=opts.timeout,
            expect_exit=opts.expect_exit,
            answers=tuple(opts.answers),
            background=opts.background,
            captures=tuple(opts.captures),
            infer=opts.infer,
        )
    )
    b.exit_given = any(w.split("=", 1)[0] == "exit" for w in words)
    b.awaiting_output = True


def _check(b: Builder, token: Token, words: list[str]) -> None:
    line = line_of(token)
    opts, problems = parse_check_options(words)
    for p in problems:
        b.report(line, "error" if p.severity == "error" else "warning", p.message, p.hint)
    if not b.steps:
        b.report(
            line,
            "error",
            "check block before any step",
            "put a check after the .termN step whose outcome it verifies",
        )
        return
    check = Check(
        code=token.content,
        line=line,
        terminal=opts.terminal,
        name=opts.name,
        timeout=opts.timeout,
    )
    b.update_last_step(checks=(*b.steps[-1].checks, check))


def _mark_verified(b: Builder, token: Token) -> None:
    if token.map:
        b.verified.append((token.map[0] + 1, token.map[1]))


def _fence(b: Builder, token: Token) -> None:
    line = line_of(token)
    if not _is_closed(token, b.lines) and line not in b.stray_closers:
        message, hint, stray = _unclosed(token, b.lines)
        b.report(line, "error", message, hint)
        if stray:
            b.stray_closers.add(stray)  # it opens a fence of its own: said once is enough
    info = token.info.strip()
    first = info.split(None, 1)[0] if info else ""
    rest = info[len(first) :].strip()
    term = TERM_INFO.match(first)
    if term or first == "check":
        _mark_verified(b, token)
        try:
            words = split_words(rest)
        except OptionError as exc:
            b.report(line, "error", exc.message, exc.hint)
            words = []
        if term:
            _step(b, token, term.group(1), words)
        else:
            b.awaiting_output = False
            _check(b, token, words)
        return
    if b.awaiting_output and first in OUTPUT_INFOS:
        _mark_verified(b, token)
        output = ExpectedOutput(text=token.content, line=line)
        if not b.exit_given and ERROR_LINE.search(token.content):
            # the author shows the command failing: any exit status is what they saw
            b.update_last_step(expected_output=output, expect_exit=None)
        else:
            b.update_last_step(expected_output=output)
    else:
        b.display.append(DisplayBlock(info=info, code=token.content, line=line))
    b.awaiting_output = False


def _heading(b: Builder, token: Token, inline: Token) -> None:
    level = int(token.tag[1:])
    heading = Heading(level=level, title=inline_text(inline), line=line_of(token))
    b.headings.append(heading)
    while b.section and b.section[-1].level >= level:
        b.section.pop()
    b.section.append(heading)
    b.awaiting_output = False


def _app_links(b: Builder, inline: Token) -> None:
    base = line_of(inline)
    for match in APP_LINK.finditer(inline.content):
        attrs = dict(ATTR.findall(match.group("attrs")))
        if not attrs:
            continue
        line = base + inline.content.count("\n", 0, match.start())
        term = attrs.get("term", "").removeprefix(".term")
        port = attrs.get("port", "")
        if not term.isdigit() or not port.isdigit() or not 0 < int(port) < 65536:
            b.report(
                line,
                "error",
                f"app link '{match.group('text')}' needs data-term and data-port",
                'write [text](/){:data-term=".term1"}{:data-port="8080"}',
            )
            continue
        href = match.group("href").strip() or "/"
        b.links.append(
            AppLink(
                text=match.group("text"),
                terminal=int(term),
                port=int(port),
                line=line,
                href=href if href.startswith("/") else "/",
            )
        )


def _walk(b: Builder, tokens: list[Token]) -> None:
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "front_matter":
            b.front_matter = parse_front_matter(tok.content, line_of(tok) + 1, b.report)
        elif tok.type == "fence":
            before = len(b.steps)
            _fence(b, tok)
            if len(b.steps) > before and b.pending_hints:
                b.update_last_step(hints=tuple(b.pending_hints))
                b.pending_hints.clear()
        elif tok.type == "heading_open":
            _heading(b, tok, tokens[i + 1])
        elif tok.type == "paragraph_open":
            content = tokens[i + 1].content
            if content.startswith(QUIZ_MARK):
                i = read_quiz(b, tokens, i, content[len(QUIZ_MARK) :], line_of(tok))
                continue
        elif tok.type == "blockquote_open" and tok.level == 0:
            i = read_hint(b, tokens, i)
            continue
        elif tok.type == "inline":
            _app_links(b, tok)
        i += 1


def _unclosed_front_matter(b: Builder, tokens: list[Token]) -> None:
    if (
        b.lines
        and b.lines[0].rstrip() == "---"
        and not any(t.type == "front_matter" for t in tokens)
    ):
        b.report(
            1,
            "error",
            "front matter opened with '---' is never closed",
            "add a '---' line after the last front matter key",
        )


def normalise(text: str) -> str:
    """Drop a BOM and turn CRLF / CR line ends into LF."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _front_matter_end(source: str) -> int:
    """Offset just after the closing `---` of the front matter (0 without one)."""
    if not source.startswith("---\n"):
        return 0
    end = re.search(r"^---[ \t]*$\n?", source[4:], re.MULTILINE)
    return 4 + end.end() if end else 0


def _with_liquid(source: str) -> tuple[str, tuple[LiquidMark, ...]]:
    """The text as Jekyll shows it (its body's Liquid resolved where that is predictable)."""
    start = _front_matter_end(source)
    body = liquid.render(source[start:])
    lines_before = source.count("\n", 0, start)
    left = tuple(replace(m, line=m.line + lines_before) for m in body.left)
    return source[:start] + body.text, left


def _liquid_left(b: Builder, left: tuple[LiquidMark, ...]) -> None:
    """Warn about Liquid that Jekyll would have replaced, where lab runs or compares it."""
    for mark in left:
        if mark.unclosed_raw:
            b.report(
                mark.line,
                "warning",
                "{% raw %} is never closed: Jekyll stops with an error here; "
                "lab keeps the text as written",
                "add {% endraw %} where the text to show as written ends",
            )
        elif any(first <= mark.line <= last for first, last in b.verified):
            b.report(
                mark.line,
                "warning",
                f"Liquid {mark.text!r} is kept as written here, but Jekyll (Play with Docker) "
                "would replace it",
                'wrap the block in {% raw %} ... {% endraw %} (or write {{ "{{" }} for {{) '
                "so that Jekyll shows it as written too",
            )


def parse_text(text: str, path: str | Path = "<lesson>") -> Lesson:
    """Parse lesson Markdown; problems are returned as diagnostics, never raised. Liquid is
    resolved first, as Jekyll does (see lab.lesson.liquid)."""
    source, liquid_left = _with_liquid(normalise(text))
    builder = Builder(path=str(path), lines=source.split("\n"))
    try:
        tokens = _markdown().parse(source)
    except RecursionError:
        builder.report(1, "error", "the file nests too deeply to read", None)
        tokens = []
    _unclosed_front_matter(builder, tokens)
    _walk(builder, tokens)
    _liquid_left(builder, liquid_left)
    return Lesson(
        path=Path(path),
        source=source,
        front_matter=builder.front_matter,
        steps=tuple(builder.steps),
        display_blocks=tuple(builder.display),
        quizzes=tuple(builder.quizzes),
        app_links=tuple(builder.links),
        headings=tuple(builder.headings),
        diagnostics=tuple(builder.diagnostics),
    )


def decode(data: bytes, path: str | Path) -> str:
    """UTF-8 text of a lesson file, or a LessonError naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LessonError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "save the lesson as UTF-8 Markdown",
            path=path,
            line=line,
        ) from None


def read_lesson(path: str | Path) -> Lesson:
    """Read and parse a lesson file; unreadable files raise LessonError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise LessonError(
            "no such file", "check the path, or run `lab list` for the bundled course", path=path
        ) from None
    except IsADirectoryError:
        raise LessonError("is a directory, not a lesson file", None, path=path) from None
    except OSError as exc:
        raise LessonError(f"cannot read: {exc.strerror}", None, path=path) from None
    return parse_text(decode(data, path), path)
