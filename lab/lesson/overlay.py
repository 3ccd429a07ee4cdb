"""Lesson overlays: a side file (`LESSON.lab.yml`) that adds answers, captures, steps and checks
to a lesson, or replaces a step's command, while the lesson stays as it was published."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from lab.lesson.frontmatter import LAB_KEYS, MAX_TERMS, MIN_TERMS, _lab_value
from lab.lesson.model import Check, Diagnostic, Lesson, Step
from lab.lesson.options import OptionError, did_you_mean, parse_check_options, parse_step_options

SUFFIXES = (".lab.yml", ".lab.yaml")
"""`LESSON.md` has its overlay in `LESSON.lab.yml` (or `.lab.yaml`) next to it."""
TOP_KEYS = ("steps", "terms", "lab")
SELECTORS = ("step", "line", "name", "match")
"""How an entry picks the lesson step it changes: number (as `lab steps` shows), line of its
fence, its `name=`, or a piece of its command."""
STEP_KEYS = ("name", "timeout", "exit", "answer", "secret", "capture", "infer", "background")
"""Step options an entry (or a new step) may give, as in a fence's info string."""
CHANGE_KEYS = (*SELECTORS, "command", "checks", "before", "after", *STEP_KEYS)
NEW_STEP_KEYS = ("term", "run", "checks", *STEP_KEYS)
CHECK_KEYS = ("run", "term", "name", "timeout")
FORMAT_HINT = "see 'Lesson overlays' in docs/lesson-format.md"


OVERLAYS_ENV = "LAB_OVERLAYS"
"""Directories (separated by `:`) searched for a lesson's overlay before the lesson's own
directory (`--overlays DIR`): overlays for lessons that are read where they are published."""


def overlay_path(lesson: Path) -> Path | None:
    """The overlay of a lesson file, if it has one: `NAME.lab.yml` in a directory of
    $LAB_OVERLAYS, else next to the lesson."""
    places = [Path(d) for d in os.environ.get(OVERLAYS_ENV, "").split(os.pathsep) if d]
    for directory in [*places, lesson.parent]:
        for suffix in SUFFIXES:
            candidate = directory / lesson.with_suffix(suffix).name
            if candidate.is_file():
                return candidate
    return None


def overlaid_lesson(overlay: Path) -> Path | None:
    """The lesson an overlay file belongs to (`LESSON.md` or `LESSON.markdown` beside
    `LESSON.lab.yml`), if it exists; None when overlay is no overlay file or has no lesson."""
    suffix = next((s for s in SUFFIXES if overlay.name.endswith(s)), None)
    if suffix is None:
        return None
    stem = overlay.name[: -len(suffix)]
    for lesson_suffix in (".md", ".markdown"):
        candidate = overlay.with_name(stem + lesson_suffix)
        if candidate.is_file():
            return candidate
    return None


class _Stop(Exception):
    """An error was reported; the entry (or the file) is skipped."""


@dataclass
class _Reader:
    """Walks the YAML node tree, reporting problems as `file:line` diagnostics."""

    path: str
    loader: yaml.SafeLoader
    diagnostics: list[Diagnostic]

    def error(self, node: yaml.Node, message: str, hint: str | None = FORMAT_HINT) -> _Stop:
        self.diagnostics.append(Diagnostic(self.path, _line(node), "error", message, hint))
        return _Stop()

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def mapping(
        self, node: yaml.Node, known: tuple[str, ...], what: str
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """key -> (key node, value node); unknown keys are reported (and left out)."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping (key: value lines)")
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(self.value(key_node))
            if key not in known:
                suggestion = did_you_mean(key, known)
                self.error(
                    key_node,
                    f"unknown key '{key}' in {what}" + (f"; {suggestion}" if suggestion else ""),
                    "known keys: " + ", ".join(known),
                )
                continue
            if key in found:
                self.error(key_node, f"'{key}' is given twice in {what}", "give it once")
                continue
            found[key] = (key_node, value_node)
        return found

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{what} must be a list ('- ...' lines)")
        return list(node.value)

    def text(self, node: yaml.Node, what: str) -> str:
        value = self.value(node)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value == "":
            raise self.error(node, f"{what} must be text, not {_show(value)}")
        return str(value)

    def terminal(self, node: yaml.Node) -> int:
        value = self.value(node)
        text = str(value).removeprefix(".term")
        if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= MAX_TERMS:
            raise self.error(
                node, f"term must be 1-{MAX_TERMS}, not {_show(value)}", "e.g. term: 2"
            )
        return int(text)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)


def _option_words(r: _Reader, fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> list[str]:
    """`key=value` words for parse_step_options from an entry's step options."""
    words = []
    for key in STEP_KEYS:
        if key not in fields:
            continue
        node = fields[key][1]
        value = r.value(node)
        values = value if isinstance(value, list) else [value]
        if key not in ("answer", "secret", "capture") and isinstance(value, list):
            raise r.error(node, f"{key} takes one value, not a list")
        for item in values:
            if isinstance(item, bool):
                item = "on" if item else "off"
            elif item is None:
                item = ""
            words.append(f"{key}={item}")
    return words


def _step_options(
    r: _Reader, fields: dict[str, tuple[yaml.Node, yaml.Node]], line_of: yaml.Node
) -> dict[str, Any]:
    """The step options an entry gives, validated like a fence's: name -> Step field value."""
    words = _option_words(r, fields)
    opts, problems = parse_step_options(words)
    for p in problems:
        r.error(line_of, p.message, p.hint)
    if problems:
        raise _Stop()
    given: dict[str, Any] = {}
    if "name" in fields:
        given["name"] = opts.name
    if "timeout" in fields:
        given["timeout"] = opts.timeout
    if "exit" in fields:
        given["expect_exit"] = opts.expect_exit
    if "infer" in fields:
        given["infer"] = opts.infer
    if "background" in fields:
        given["background"] = opts.background
    if opts.answers:
        given["answers"] = tuple(opts.answers)
    if opts.captures:
        given["captures"] = tuple(opts.captures)
    return given


def _checks(r: _Reader, node: yaml.Node, origin: str) -> tuple[Check, ...]:
    checks = []
    for item in r.sequence(node, "checks"):
        fields = r.mapping(item, CHECK_KEYS, "a check")
        if "run" not in fields:
            raise r.error(item, "a check needs 'run:' (the shell code that must exit 0)")
        words = []
        for key in ("term", "name", "timeout"):
            if key in fields:
                words.append(f"{key}={r.value(fields[key][1])}")
        opts, problems = parse_check_options(words)
        for p in problems:
            r.error(item, p.message, p.hint)
        if problems:
            raise _Stop()
        code = r.text(fields["run"][1], "a check's run")
        checks.append(
            Check(
                code=code if code.endswith("\n") else code + "\n",
                line=_line(item),
                terminal=opts.terminal,
                name=opts.name,
                timeout=opts.timeout,
                origin=origin,
            )
        )
    return tuple(checks)


def _new_steps(r: _Reader, node: yaml.Node, near: Step, origin: str) -> list[Step]:
    steps = []
    for item in r.sequence(node, "before/after"):
        fields = r.mapping(item, NEW_STEP_KEYS, "a new step")
        for required, hint in (("term", "term: 2"), ("run", "run: docker node ls")):
            if required not in fields:
                raise r.error(item, f"a new step needs '{required}:'", f"e.g. {hint}")
        code = r.text(fields["run"][1], "run")
        step = Step(
            index=0,
            terminal=r.terminal(fields["term"][1]),
            command=code if code.endswith("\n") else code + "\n",
            line=_line(item),
            section=near.section,
            origin=origin,
        )
        step = replace(step, **_step_options(r, fields, item))
        if "checks" in fields:
            step = replace(step, checks=_checks(r, fields["checks"][1], origin))
        steps.append(step)
    return steps


def _select(
    r: _Reader, entry: yaml.Node, fields: dict[str, tuple[yaml.Node, yaml.Node]], steps: list[Step]
) -> int:
    """The index of the lesson step an entry changes."""
    given = [k for k in SELECTORS if k in fields]
    if len(given) != 1:
        message = (
            "the entry names its step more than once (" + ", ".join(given) + ")"
            if given
            else "the entry does not say which step it changes"
        )
        raise r.error(
            entry,
            message,
            "give one of: step: N (as `lab steps` numbers them), line: N, name: NAME, match: TEXT",
        )
    key = given[0]
    value_node = fields[key][1]
    value = r.value(value_node)
    found: list[int]
    if key in ("step", "line"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise r.error(value_node, f"{key} must be a number, not {_show(value)}")
        if key == "step":
            found = [value - 1] if 1 <= value <= len(steps) else []
        else:
            found = [i for i, s in enumerate(steps) if s.line == value]
    else:
        text = r.text(value_node, key)
        if key == "name":
            found = [i for i, s in enumerate(steps) if s.name == text]
        else:
            found = [i for i, s in enumerate(steps) if text in s.command]
    if len(found) == 1:
        return found[0]
    where = ", ".join(f"{i + 1} (line {steps[i].line})" for i in found)
    if found:
        raise r.error(
            value_node,
            f"{key}: {value!r} matches {len(found)} steps: {where}",
            "make it match one step (or select it with step: N)",
        )
    known = ", ".join(f"{i + 1}: {s.label[:30]} (line {s.line})" for i, s in enumerate(steps))
    raise r.error(
        value_node,
        f"{key}: {value!r} matches no step of the lesson",
        f"the lesson's steps are {known or 'none'}",
    )


def _change(
    r: _Reader, node: yaml.Node, steps: list[Step], origin: str, changed: dict[int, int]
) -> tuple[int, Step, list[Step], list[Step]]:
    fields = r.mapping(node, CHANGE_KEYS, "a step entry")
    index = _select(r, node, fields, steps)
    if index in changed:
        raise r.error(
            node,
            f"step {index + 1} is already changed by the entry at line {changed[index]}",
            "put everything for one step in one entry",
        )
    changed[index] = _line(node)
    step = steps[index]
    options = _step_options(r, fields, node)
    options.pop("name", None)  # `name:` selects the step here
    for key in ("answers", "captures"):
        if key in options:
            options[key] = (*getattr(step, key), *options[key])
    step = replace(step, **options, changed_by=origin)
    if "command" in fields:
        code = r.text(fields["command"][1], "command")
        step = replace(step, command=code if code.endswith("\n") else code + "\n")
    if "checks" in fields:
        step = replace(step, checks=(*step.checks, *_checks(r, fields["checks"][1], origin)))
    before = _new_steps(r, fields["before"][1], step, origin) if "before" in fields else []
    after = _new_steps(r, fields["after"][1], step, origin) if "after" in fields else []
    return index, step, before, after


def _guarded(action: Callable[[], None]) -> None:
    with contextlib.suppress(_Stop):  # reported already
        action()


def read_overlay(lesson: Lesson, path: Path) -> tuple[Lesson, list[Diagnostic]]:
    """The lesson with the overlay at path applied, and the overlay's diagnostics. An entry
    with an error is left out; every problem is reported, none raised."""
    shown = str(path)
    diagnostics: list[Diagnostic] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        diagnostics.append(Diagnostic(shown, 1, "error", f"cannot read the overlay: {reason}"))
        return lesson, diagnostics
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 1
        message = f"the overlay is not valid YAML: {exc.problem or exc}"
        hint = "check indentation, and quote values that hold ': ' or start with { [ * & ! |"
        diagnostics.append(Diagnostic(shown, line, "error", message, hint))
        return lesson, diagnostics
    except yaml.YAMLError as exc:
        diagnostics.append(Diagnostic(shown, 1, "error", f"the overlay is not valid YAML: {exc}"))
        return lesson, diagnostics
    finally:
        loader.dispose()
    if root is None:
        return lesson, diagnostics
    r = _Reader(shown, loader, diagnostics)
    try:
        top = r.mapping(root, TOP_KEYS, "the overlay")
    except _Stop:
        return lesson, diagnostics
    front = lesson.front_matter

    def terms() -> None:
        nonlocal front
        node = top["terms"][1]
        value = r.value(node)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not MIN_TERMS <= value <= MAX_TERMS
        ):
            raise r.error(node, f"terms must be a whole number from {MIN_TERMS} to {MAX_TERMS}")
        front = replace(front, terms=value)

    def lab() -> None:
        nonlocal front
        settings = front.lab
        for key, (_, node) in r.mapping(top["lab"][1], LAB_KEYS, "lab").items():
            try:
                settings = replace(settings, **{key: _lab_value(key, r.value(node))})
            except OptionError as exc:
                r.error(node, exc.message, exc.hint or "as under `lab:` in the front matter")
        front = replace(front, lab=settings)

    if "terms" in top:
        _guarded(terms)
    if "lab" in top:
        _guarded(lab)
    steps = list(lesson.steps)
    befores: dict[int, list[Step]] = {}
    afters: dict[int, list[Step]] = {}
    if "steps" in top:
        changed: dict[int, int] = {}
        try:
            entries = r.sequence(top["steps"][1], "steps")
        except _Stop:
            entries = []
        for entry in entries:
            try:
                index, step, before, after = _change(r, entry, list(lesson.steps), shown, changed)
            except _Stop:
                continue
            steps[index] = step
            befores[index], afters[index] = before, after
    merged: list[Step] = []
    for i, step in enumerate(steps):
        merged += [*befores.get(i, []), step, *afters.get(i, [])]
    merged = [replace(s, index=i) for i, s in enumerate(merged)]
    return replace(lesson, front_matter=front, steps=tuple(merged)), diagnostics


def apply_overlay(lesson: Lesson) -> tuple[Lesson, list[Diagnostic]]:
    """The lesson with its overlay (`LESSON.lab.yml` next to it) applied, if there is one."""
    path = overlay_path(lesson.path)
    if path is None:
        return lesson, []
    return read_overlay(lesson, path)
