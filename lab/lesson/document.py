"""A lesson as a reader sees it: prose between its steps and quizzes, in document order."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from markdown_it.token import Token

from lab.lesson.model import Lesson, Quiz, Step
from lab.lesson.parser import APP_LINK, ATTR, _markdown
from lab.lesson.quizparse import HINT, QUIZ_MARK

QUIZ_BODIES = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open"})
"""Blocks that hold a quiz's choices (lists) or model answer (a quote)."""
IAL = re.compile(r"\{:[^}]*\}")
"""A kramdown attribute list (`{:.quiz}`, `{: .note}`): Jekyll markup, not text."""


@dataclass(frozen=True)
class Prose:
    """Markdown shown as written (headings, text, display-only and expected-output fences)."""

    text: str
    """The Markdown, kramdown attribute lists removed, app links pointed at localhost."""
    line: int
    """Line of its first block."""
    heading: int | None = None
    """Index into `lesson.headings` when the chunk starts with that heading."""
    source: str = ""
    """The Markdown as written (for pointing app links at sandbox nodes later)."""


@dataclass(frozen=True)
class StepBlock:
    """A runnable step (its checks and hints are shown with it, not as prose)."""

    step: Step


@dataclass(frozen=True)
class QuizBlock:
    """A quiz (its marker, question and choices)."""

    quiz: Quiz


Block = Prose | StepBlock | QuizBlock


def _block_end(tokens: list[Token], i: int) -> int:
    """Index just after the top-level block that opens at tokens[i]."""
    depth = 0
    j = i
    while j < len(tokens):
        depth += tokens[j].nesting
        j += 1
        if depth <= 0:
            break
    return j


def clean_markdown(text: str, hosts: Mapping[int, str] | None = None) -> str:
    """Markdown for a terminal: app links point at their terminal's host (hosts: terminal ->
    address of its sandbox node; localhost otherwise), attribute lists dropped (a line
    that held only an attribute list goes)."""

    def app_link(match: re.Match[str]) -> str:
        attrs = dict(ATTR.findall(match.group("attrs")))
        port, term = attrs.get("port", ""), attrs.get("term", "").removeprefix(".term")
        if not port.isdigit():
            return match.group("text")
        host = (hosts or {}).get(int(term), "localhost") if term.isdigit() else "localhost"
        return f"[{match.group('text')}](http://{host}:{port})"

    kept = []
    for raw in APP_LINK.sub(app_link, text).split("\n"):
        line = IAL.sub("", raw)
        if line.strip() or not raw.strip():
            kept.append(line)
    return "\n".join(kept)


def _quiz_end(tokens: list[Token], i: int) -> int:
    """Index after a quiz whose marker paragraph opens at tokens[i] (as the parser reads it:
    the marker, the question if it is not on the marker's lines, then choices or a quote)."""
    j = _block_end(tokens, i)
    inline = tokens[i + 1] if i + 1 < len(tokens) else None
    asks = inline is not None and inline.content[len(QUIZ_MARK) :].strip()
    if not asks and j < len(tokens) and tokens[j].type == "paragraph_open":
        j = _block_end(tokens, j)
    if j < len(tokens) and tokens[j].type in QUIZ_BODIES:
        j = _block_end(tokens, j)
    return j


def lesson_blocks(lesson: Lesson) -> list[Block]:
    """The lesson's top-level blocks grouped for display: every step and quiz exactly once."""
    lines = lesson.source.split("\n")
    steps = {s.line: s for s in lesson.steps}
    quizzes = {q.line: q for q in lesson.quizzes}
    headings = {h.line: n for n, h in enumerate(lesson.headings)}
    tokens = _markdown().parse(lesson.source)
    blocks: list[Block] = []
    chunk: list[tuple[int, int]] = []  # (start, end) line ranges, 0-based, end exclusive
    placed: set[int] = set()

    def flush() -> None:
        if chunk:
            start, end = chunk[0][0], chunk[-1][1]
            source = "\n".join(lines[start:end])
            text = clean_markdown(source).strip("\n")
            if text.strip():
                blocks.append(Prose(text, start + 1, headings.get(start + 1), source))
            chunk.clear()

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        end = _block_end(tokens, i)
        if tok.level != 0 or tok.nesting < 0 or tok.map is None:
            i += 1
            continue
        start, stop = tok.map
        line = start + 1
        first_inline = next((t for t in tokens[i:end] if t.type == "inline"), None)
        if tok.type == "front_matter":
            pass
        elif tok.type == "fence" and line in steps:
            flush()
            blocks.append(StepBlock(steps[line]))
            placed.add(line)
        elif tok.type == "fence" and tok.info.split()[:1] == ["check"]:
            flush()
        elif tok.type == "paragraph_open" and line in quizzes:
            flush()
            blocks.append(QuizBlock(quizzes[line]))
            placed.add(line)
            end = _quiz_end(tokens, i)
        elif (
            tok.type == "blockquote_open"
            and first_inline is not None
            and HINT.match(first_inline.content)
        ):
            flush()
        else:
            if tok.type == "heading_open":
                flush()
            chunk.append((start, stop))
        i = end
    flush()
    return _place_nested(lesson, blocks, placed)


def _place_nested(lesson: Lesson, blocks: list[Block], placed: set[int]) -> list[Block]:
    """Steps or quizzes inside lists or quotes: after the prose that shows them."""
    missing: list[Block] = [StepBlock(s) for s in lesson.steps if s.line not in placed]
    missing += [QuizBlock(q) for q in lesson.quizzes if q.line not in placed]
    if not missing:
        return blocks
    result = list(blocks)
    for block in sorted(missing, key=_line, reverse=True):
        at = sum(1 for b in result if _line(b) <= _line(block))
        result.insert(at, block)
    return result


def _line(block: Block) -> int:
    if isinstance(block, StepBlock):
        return block.step.line
    if isinstance(block, QuizBlock):
        return block.quiz.line
    return block.line
