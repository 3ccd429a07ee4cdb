"""Reading the `key=value` options that follow `.termN` or `check` in a fence's info string."""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from lab.lesson.model import Answer, Capture

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)?$")
_UNITS = {None: 1.0, "s": 1.0, "ms": 0.001, "m": 60.0}

STEP_OPTIONS = ("name", "timeout", "exit", "answer", "secret", "background", "capture", "infer")
"""Options a `.termN` fence accepts."""
CHECK_OPTIONS = ("name", "timeout", "term")
"""Options a `check` fence accepts."""


class OptionError(ValueError):
    """An option whose value cannot be used; the message says why and what to write."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class StepOptions:
    """Options of one runnable fence, as read from its info string."""

    name: str | None = None
    timeout: float | None = None
    expect_exit: int | None = 0
    answers: list[Answer] = field(default_factory=list)
    background: bool = False
    captures: list[Capture] = field(default_factory=list)
    infer: bool = True


@dataclass
class CheckOptions:
    """Options of one `check` fence."""

    name: str | None = None
    timeout: float | None = None
    terminal: int | None = None


@dataclass(frozen=True)
class Problem:
    """An issue found in an info string: errors stop the lesson, warnings advise."""

    severity: str
    message: str
    hint: str | None = None


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """`did you mean 'x'?` for the closest known word, or None."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def split_words(info: str) -> list[str]:
    """Split an info string like a shell would (quotes group words)."""
    try:
        return shlex.split(info)
    except ValueError as exc:
        raise OptionError(
            f"cannot read the fence options: {exc}",
            'close every quote in the info string, e.g. answer="San Francisco"',
        ) from exc


def parse_duration(value: str) -> float:
    """`30`, `30s`, `1.5m`, `500ms` -> seconds."""
    match = _DURATION.match(value.strip())
    if not match or float(match.group(1)) <= 0:
        raise OptionError(
            f"timeout must be a positive duration, not '{value}'",
            "write seconds (timeout=30), or with a unit: 30s, 2m, 500ms",
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def _parse_bool(key: str, value: str | None) -> bool:
    if value is None:
        return True
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise OptionError(f"{key} must be on or off, not '{value}'", f"write {key}=on or {key}=off")


def _parse_exit(value: str | None) -> int | None:
    if value is None or value == "":
        raise OptionError("exit needs a value", "write exit=N (0-255) or exit=any")
    if value == "any":
        return None
    if value.isdigit() and 0 <= int(value) <= 255:
        return int(value)
    raise OptionError(f"exit must be 0-255 or 'any', not '{value}'", "write exit=1 or exit=any")


def _parse_capture(value: str | None) -> Capture:
    if not value or ":" not in value:
        raise OptionError(
            f"capture must be NAME:REGEX, not '{value or ''}'",
            "e.g. capture='DIGEST:digest: (sha256:[0-9a-f]+)'",
        )
    name, pattern = value.split(":", 1)
    if not IDENTIFIER.match(name):
        raise OptionError(
            f"capture name '{name}' is not a valid variable name",
            "use letters, digits and _ (not starting with a digit), e.g. DIGEST",
        )
    try:
        re.compile(pattern)
    except re.error as exc:
        raise OptionError(
            f"capture {name}: invalid regular expression: {exc}",
            "quote the option if the pattern has spaces: capture='NAME:a (b+)'",
        ) from exc
    return Capture(name=name, pattern=pattern)


def _key_value(word: str) -> tuple[str, str | None]:
    if "=" in word:
        key, value = word.split("=", 1)
        return key, value
    return word, None


def _apply_options(
    words: list[str],
    known: tuple[str, ...],
    apply: Callable[[str, str | None], None],
) -> list[Problem]:
    """Call apply(key, value) for each known word; return problems for the rest. Words with
    no `=` that are not options are text Play with Docker ignored (`.term1 click to run`): a
    warning, not an error; an unknown `key=value` is a mistyped option: an error."""
    problems: list[Problem] = []
    ignored: list[str] = []
    for word in words:
        key, value = _key_value(word)
        if key not in known and value is None:
            ignored.append(word)
            continue
        if key not in known:
            suggestion = did_you_mean(key, known)
            problems.append(
                Problem(
                    "error",
                    f"unknown option '{key}'" + (f"; {suggestion}" if suggestion else ""),
                    "known options: " + ", ".join(known),
                )
            )
            continue
        try:
            apply(key, value)
        except OptionError as exc:
            problems.append(Problem("error", exc.message, exc.hint))
    if ignored:
        close = [hint for word in ignored if (hint := did_you_mean(word, known))]
        problems.append(
            Problem(
                "warning",
                f"'{' '.join(ignored)}' is not an option: ignored"
                + (f" ({close[0]})" if close else ""),
                "lab's options are key=value words (" + ", ".join(known) + "); other words "
                "after the fence's first word are ignored, as Play with Docker ignored them",
            )
        )
    return problems


def _required(key: str, value: str | None) -> str:
    if value is None or value == "":
        raise OptionError(f"{key} needs a value", f"write {key}=VALUE")
    return value


def parse_step_options(words: list[str]) -> tuple[StepOptions, list[Problem]]:
    """Read the words after `.termN`."""
    opts = StepOptions()

    def apply(key: str, value: str | None) -> None:
        if key == "name":
            opts.name = _required(key, value)
        elif key == "timeout":
            opts.timeout = parse_duration(_required(key, value))
        elif key == "exit":
            opts.expect_exit = _parse_exit(value)
        elif key in ("answer", "secret"):
            if value is None:
                raise OptionError(f"{key} needs a value", f'write {key}="text to type"')
            opts.answers.append(Answer(text=value, secret=key == "secret"))
        elif key == "background":
            opts.background = _parse_bool(key, value)
        elif key == "capture":
            opts.captures.append(_parse_capture(value))
        elif key == "infer":
            opts.infer = _parse_bool(key, value)

    return opts, _apply_options(words, STEP_OPTIONS, apply)


def parse_check_options(words: list[str]) -> tuple[CheckOptions, list[Problem]]:
    """Read the words after `check`."""
    opts = CheckOptions()

    def apply(key: str, value: str | None) -> None:
        if key == "name":
            opts.name = _required(key, value)
        elif key == "timeout":
            opts.timeout = parse_duration(_required(key, value))
        elif key == "term":
            text = _required(key, value).removeprefix(".term")
            if not text.isdigit() or not 1 <= int(text) <= 6:
                raise OptionError(f"term must be 1-6, not '{value}'", "write term=1")
            opts.terminal = int(text)

    terms = [w for w in words if re.fullmatch(r"\.term\d+", w)]
    rest = [w for w in words if w not in terms]
    for word in terms:
        rest.append("term=" + word)
    return opts, _apply_options(rest, CHECK_OPTIONS, apply)
