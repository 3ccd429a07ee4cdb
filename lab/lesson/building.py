"""What the parser builds while it walks markdown-it's tokens, and helpers to walk them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from markdown_it.token import Token

from lab.lesson.model import (
    AppLink,
    Diagnostic,
    DisplayBlock,
    FrontMatter,
    Heading,
    Quiz,
    Severity,
    Step,
)


@dataclass
class Builder:
    """Mutable state while walking the token stream."""

    path: str
    lines: list[str]
    front_matter: FrontMatter = field(default_factory=FrontMatter)
    steps: list[Step] = field(default_factory=list)
    display: list[DisplayBlock] = field(default_factory=list)
    quizzes: list[Quiz] = field(default_factory=list)
    links: list[AppLink] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    section: list[Heading] = field(default_factory=list)
    awaiting_output: bool = False
    """True right after a step, until a heading or another fence."""
    pending_hints: list[str] = field(default_factory=list)
    """Hints seen before the first step: they go to the first step."""
    stray_closers: set[int] = field(default_factory=set)
    """Lines of closing fences indented out of their list item, reported with the fence they
    were meant to close."""
    verified: list[tuple[int, int]] = field(default_factory=list)
    """First and last file line of each fence lab runs or compares (steps, checks, expected
    output): Liquid left in them is reported."""
    exit_given: bool = False
    """The last step's info string says `exit=`."""

    def report(self, line: int, severity: Severity, message: str, hint: str | None) -> None:
        self.diagnostics.append(Diagnostic(self.path, line, severity, message, hint))

    def section_path(self) -> tuple[str, ...]:
        return tuple(h.title for h in self.section)

    def update_last_step(self, **changes: object) -> None:
        self.steps[-1] = replace(self.steps[-1], **changes)  # type: ignore[arg-type]


def line_of(token: Token) -> int:
    return (token.map[0] + 1) if token.map else 1


def inline_text(token: Token) -> str:
    """Plain text of an inline token (code spans and emphasis flattened)."""
    if not token.children:
        return token.content
    parts = []
    for child in token.children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def next_block(tokens: list[Token], i: int, level: int = 0) -> int:
    """Index of the next block opening at nesting `level` from position i (len(tokens) when
    the container of that level ends first)."""
    j = i
    while j < len(tokens):
        tok = tokens[j]
        if tok.level == level and tok.nesting >= 0:
            return j
        if tok.level < level:
            return len(tokens)
        j += 1
    return j


def skip_block(tokens: list[Token], i: int) -> int:
    """Index just after the block that opens at tokens[i]."""
    if tokens[i].nesting == 0:
        return i + 1
    depth = 0
    j = i
    while j < len(tokens):
        depth += tokens[j].nesting
        j += 1
        if depth == 0:
            break
    return j
