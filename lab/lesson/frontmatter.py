"""Reading a lesson's YAML front matter into `FrontMatter`, with diagnostics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import yaml

from lab.lesson.model import FrontMatter, LabSettings, Severity
from lab.lesson.options import OptionError, did_you_mean, parse_duration

MAX_TERMS = 6
"""Play with Docker lessons use at most six terminals."""
MIN_TERMS = 0
"""`terms: 0` is a reading-only lesson (PWD shows it with no terminal panel)."""

LAB_KEYS = tuple(f.name for f in fields(LabSettings))

Report = Callable[[int, Severity, str, str | None], None]
"""report(line, severity, message, hint)."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _words(value: Any) -> tuple[str, ...]:
    """Jekyll accepts a list or a space-separated string for tags and categories."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v is not None)
    return tuple(str(value).replace(",", " ").split())


def _key_lines(text: str, first_line: int) -> dict[str, int]:
    """File line of each top-level and `lab:` key, for messages."""
    lines: dict[str, int] = {}
    for offset, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        if ":" in stripped and not stripped.startswith("#"):
            key = stripped.split(":", 1)[0].strip()
            nested = raw[:1] in (" ", "\t")
            lines.setdefault(("lab." if nested else "") + key, first_line + offset)
    return lines


def _lab_settings(raw: Any, lines: dict[str, int], line: int, report: Report) -> LabSettings:
    if raw is None:
        return LabSettings()
    if not isinstance(raw, dict):
        report(line, "error", "'lab' must be a mapping of settings", "e.g. lab: {estimate: 15}")
        return LabSettings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        key_line = lines.get(f"lab.{key}", line)
        name = str(key)
        if name not in LAB_KEYS:
            suggestion = did_you_mean(name, LAB_KEYS)
            report(
                key_line,
                "warning",
                f"unknown lab setting '{name}' (ignored)"
                + (f"; {suggestion}" if suggestion else ""),
                "known settings: " + ", ".join(LAB_KEYS),
            )
            continue
        try:
            values[name] = _lab_value(name, value)
        except OptionError as exc:
            report(key_line, "error", exc.message, exc.hint)
    return LabSettings(**values)


def _lab_value(name: str, value: Any) -> Any:
    if name in ("infer", "sandbox", "strict_output"):
        if not isinstance(value, bool):
            raise OptionError(f"lab.{name} must be true or false, not '{value}'")
        return value
    if name == "timeout":
        return parse_duration(str(value))
    if name == "estimate":
        text = str(value).strip().lower().removesuffix("min").removesuffix("minutes").strip()
        if not text.isdigit():
            raise OptionError(
                f"lab.estimate must be a number of minutes, not '{value}'", "e.g. estimate: 20"
            )
        return int(text)
    # order
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"lab.order must be a whole number, not '{value}'", "e.g. order: 1")
    return value


def parse_front_matter(text: str, first_line: int, report: Report) -> FrontMatter:
    """Parse the YAML between the `---` lines; `first_line` is the file line of its first line."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or "invalid YAML"
        report(
            line,
            "error",
            f"front matter is not valid YAML: {problem}",
            "check indentation and quote values that contain ':' or '#'",
        )
        return FrontMatter()
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        report(first_line, "error", f"front matter is not valid YAML: {exc}", None)
        return FrontMatter()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        report(
            first_line,
            "error",
            "front matter must be a mapping of keys (title: ..., terms: ...)",
            "write one 'key: value' per line between the '---' lines",
        )
        return FrontMatter()
    lines = _key_lines(text, first_line)
    terms_raw = data.get("terms", 1)
    terms = 1
    if (
        isinstance(terms_raw, bool)
        or not isinstance(terms_raw, int)
        or not MIN_TERMS <= terms_raw <= MAX_TERMS
    ):
        report(
            lines.get("terms", first_line),
            "error",
            f"terms must be a whole number from {MIN_TERMS} to {MAX_TERMS}, not '{terms_raw}'",
            "write the number of terminals the lesson uses, e.g. terms: 2 "
            "(terms: 0 for a reading-only lesson)",
        )
    else:
        terms = terms_raw
    return FrontMatter(
        title=_text(data.get("title")),
        layout=_text(data.get("layout")),
        date=_text(data.get("date")),
        author=_text(data.get("author")),
        tags=_words(data.get("tags")),
        categories=_words(data.get("categories")),
        img=_text(data.get("img")),
        image=_text(data.get("image")),
        terms=terms,
        lab=_lab_settings(data.get("lab"), lines, lines.get("lab", first_line), report),
    )
