"""Reading quizzes (`{:.quiz}`) and hints from a lesson's Markdown tokens."""

from __future__ import annotations

import re
from typing import Literal

from markdown_it.token import Token

from lab.lesson.building import Builder, inline_text, line_of, next_block, skip_block
from lab.lesson.model import (
    Quiz,
    QuizChoice,
)

QUIZ_MARK = "{:.quiz}"
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
"""A Markdown backslash escape of an ASCII punctuation character."""
IAL_LINE = re.compile(r"^\{:[^}]*\}$")
"""A line that is only a kramdown attribute list, such as a second `{:.quiz}`."""
CHOICE = re.compile(r"^(\[[ xX]\]|\([ xX]\))\s*(.*)$", re.DOTALL)
HINT = re.compile(r"^\s*(?:\*\*|__)?hint(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*", re.IGNORECASE)


def list_choices(tokens: list[Token], start: int, end: int) -> list[tuple[str, int]]:
    """(item text, line) of each top-level item of the list tokens[start:end]."""
    items: list[tuple[str, int]] = []
    list_level = tokens[start].level
    for k in range(start, end):
        tok = tokens[k]
        if tok.type == "list_item_open" and tok.level == list_level + 1:
            inline = next((t for t in tokens[k:end] if t.type == "inline"), None)
            items.append((inline.content if inline else "", line_of(tok)))
    return items


def read_quiz(b: Builder, tokens: list[Token], i: int, rest: str, line: int) -> int:
    """Parse a quiz whose marker paragraph opens at tokens[i]; return where to resume."""
    level = tokens[i].level  # 0, or deeper in a list item or a quote
    j = skip_block(tokens, i)
    question = rest.strip()
    if not question:
        k = next_block(tokens, j, level)
        if k < len(tokens) and tokens[k].type == "paragraph_open":
            question = inline_text(tokens[k + 1])
            j = skip_block(tokens, k)
    question, inline = inline_choices(question)
    k = next_block(tokens, j, level)
    kind_tok = tokens[k].type if k < len(tokens) else ""
    if inline and kind_tok not in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
        _addread_quiz(b, question, line, [(text, line) for text in inline])
        return j
    if kind_tok == "blockquote_open":
        end = skip_block(tokens, k)
        text = "\n".join(t.content for t in tokens[k:end] if t.type == "inline")
        b.quizzes.append(Quiz(question, line, "open", (), text, b.section_path()))
        return end
    if kind_tok not in ("bullet_list_open", "ordered_list_open"):
        b.report(
            line,
            "error",
            "quiz has no choices",
            "follow the question with a list of '- ( ) choice' / '- (x) right choice' items, "
            "or a blockquote for an open question",
        )
        return j
    end = skip_block(tokens, k)
    _addread_quiz(b, question, line, list_choices(tokens, k, end))
    return end


def inline_choices(question: str) -> tuple[str, list[str]]:
    """The question without attribute-list lines (a repeated `{:.quiz}`), and the choice lines
    that end its paragraph when the choices are written without list markers
    (`( ) True` / `(X) False` on the lines under the question)."""
    lines = [ln for ln in question.split("\n") if not IAL_LINE.match(ln.strip())]
    choices: list[str] = []
    while len(lines) > 1 and CHOICE.match(lines[-1].strip()):
        choices.insert(0, lines.pop().strip())
    return "\n".join(lines).strip(), choices


def _addread_quiz(b: Builder, question: str, line: int, items: list[tuple[str, int]]) -> None:
    choices: list[QuizChoice] = []
    kinds: set[str] = set()
    for text, item_line in items:
        match = CHOICE.match(ESCAPED.sub(r"\1", text))  # `- \[x\] …` is `- [x] …` escaped
        if not match:
            b.report(
                item_line,
                "error",
                f"quiz choice '{text[:40]}' has no marker",
                "start each choice with ( ), (x), [ ] or [x]",
            )
            continue
        marker = match.group(1)
        kinds.add(marker[0])
        choices.append(QuizChoice(match.group(2).strip(), marker[1] in "xX"))
    if len(kinds) > 1:
        b.report(
            line,
            "warning",
            "quiz mixes ( ) and [ ] choices",
            "use ( ) when one answer is right, [ ] when several may be",
        )
    kind: Literal["single", "multiple"] = "multiple" if "[" in kinds else "single"
    b.quizzes.append(Quiz(question, line, kind, tuple(choices), "", b.section_path()))


def read_hint(b: Builder, tokens: list[Token], i: int) -> int:
    """A blockquote starting with 'Hint:' attaches to the nearest step; else resume at i+1."""
    end = skip_block(tokens, i)
    inline = next((t for t in tokens[i:end] if t.type == "inline"), None)
    if inline is None or not HINT.match(inline.content):
        return i + 1
    paragraphs = [t.content for t in tokens[i:end] if t.type == "inline"]
    paragraphs[0] = HINT.sub("", paragraphs[0], count=1)
    text = "\n\n".join(p for p in paragraphs if p.strip())
    if b.steps:
        b.update_last_step(hints=(*b.steps[-1].hints, text))
    else:
        b.pending_hints.append(text)
    return end
