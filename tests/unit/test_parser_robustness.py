"""Property: no input makes the parser raise anything but LessonError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.errors import LessonError
from lab.lesson.lint import analyse
from lab.lesson.parser import decode, parse_text

FENCE_INFOS = [".term1", ".term9", ".term", "check", "check .term2", "", "text", "json"]
OPTIONS = [
    "",
    " name=a",
    " timeout=3",
    " timeout=x",
    " exit=any",
    " exit=-1",
    ' answer="a b',
    " capture=X:(",
    " capture=1X:a",
    " background",
    " secret=",
    " infer=maybe",
    " term=0",
    " foo",
]
YAML_BODIES = [
    "title: x",
    "terms: 2",
    "terms: [1",
    "terms: 99",
    "terms: true",
    "lab: 3",
    "lab: {estimate: soon, order: x, infer: 2, timeout: -1}",
    "tags: 5",
    "date: 2017-02-28",
    ": : :",
    "- a\n- b",
    "&a [*a]",
    "title: !!python/object:os.system x",
    "\t- tab",
    "lab:\n  estimmate: 3",
]
LINE_PIECES = [
    "# Heading",
    "## Sub",
    "```",
    "~~~",
    "````",
    "{:.quiz}",
    "- ( ) no",
    "- (x) yes",
    "- [x] many",
    "> **Hint:** try",
    "> quote",
    '[app](/){:data-term=".term2"}{:data-port="80"}',
    '[app](/){:data-term=".termx"}{:data-port="99999"}',
    "---",
    "\t\tindented",
    "    code",
    "text \x00 nul",
    "\ufeff",
    "\r",
]


@st.composite
def lessons(draw: st.DrawFn) -> str:
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append("---")
        parts.extend(draw(st.lists(st.sampled_from(YAML_BODIES), max_size=4)))
        if draw(st.booleans()):
            parts.append("---")
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            info = draw(st.sampled_from(FENCE_INFOS)) + draw(st.sampled_from(OPTIONS))
            parts.append("```" + info)
            parts.append(draw(st.text(max_size=40)))
            if draw(st.booleans()):
                parts.append("```")
        elif kind == 1:
            parts.append(draw(st.sampled_from(LINE_PIECES)))
        else:
            parts.append(draw(st.text(max_size=60)))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return sep.join(parts)


def _parse_all(text: str) -> None:
    lesson = parse_text(text, "prop.md")
    analyse(lesson)
    for diag in lesson.diagnostics:
        assert diag.line >= 1
        assert diag.path == "prop.md"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lessons())
def test_structured_junk_never_raises(text: str) -> None:
    _parse_all(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_never_raises(text: str) -> None:
    _parse_all(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_any_bytes_raise_only_lesson_error(data: bytes) -> None:
    try:
        text = decode(data, Path("junk.md"))
    except LessonError as exc:
        assert exc.line is not None and exc.line >= 1
        return
    _parse_all(text)


def test_huge_file() -> None:
    block = "## Section\n\n```.term1\necho hi\n```\n\n```\nhi\n```\n\n"
    lesson = parse_text("---\ntitle: big\n---\n" + block * 5000, "big.md")
    assert len(lesson.steps) == 5000
    assert lesson.steps[-1].line == 3 + 4999 * 10 + 3  # front matter + 4999 blocks + offset


def test_deep_nesting() -> None:
    parse_text(">" * 5000 + " x\n" + "[" * 5000 + "\n" + "- " * 2000 + "x", "deep.md")
    parse_text("---\nx: " + "[" * 3000 + "\n---\n", "deepyaml.md")
