"""A learner's session of one lesson as data on disk: step states, captured values, each
terminal's variables and directory, quiz answers, place (the engine objects it made are in its
host record, `lab.hoststate.store`)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lab.lesson.model import Lesson, Quiz, Step
from lab.statefiles import state_root, write_atomic

VERSION = 2
"""Format of the session files. Version 1 (verified steps, answers, place) is read and
upgraded; a file of any other version is ignored (a fresh start)."""
OUTPUT_KEPT = 16_000
"""Characters of a step's output kept with its state (head and tail): what re-verifying its
inferred checks needs (the digest a push printed, the ID a `docker run -d` printed)."""

StepState = Literal["not run", "running", "passed", "failed", "invalidated"]
"""Where a step stands: invalidated means it passed, but what it made is gone since."""


@dataclass(frozen=True)
class StepRecord:
    """How a step ended the last time lab ran it (what re-verifying it needs, too)."""

    state: StepState
    """passed, failed or invalidated (a step never run has no record)."""
    message: str = ""
    """Why it failed, or what of it is gone (one line)."""
    output: str = ""
    """Its output (head and tail when long), for re-verifying its inferred checks."""
    cwd: str = ""
    """The shell's directory when it started (relative paths in it are read from there)."""
    seq: int = 0
    """Its place in the order steps were run (a later step may undo an earlier one's work)."""


def kept_output(text: str) -> str:
    """A step's output as kept with its state: head and tail of a long one."""
    if len(text) <= OUTPUT_KEPT:
        return text
    half = OUTPUT_KEPT // 2
    return text[:half] + "\n…\n" + text[-half:]


def progress_dir() -> Path:
    """Where progress files live."""
    return state_root() / "progress"


def lesson_key(lesson_path: Path) -> str:
    """A file name for a lesson's state: its stem and a hash of its absolute path."""
    digest = hashlib.sha256(str(lesson_path.resolve()).encode()).hexdigest()[:16]
    return f"{lesson_path.stem[:40]}-{digest}"


def _keys(prefix: str, texts: Iterable[str]) -> list[str]:
    """Stable keys for items: a hash of their text, numbered when a text repeats. Editing a
    lesson elsewhere (adding a step, fixing prose) keeps the progress of the others."""
    seen: Counter[str] = Counter()
    keys = []
    for text in texts:
        digest = hashlib.sha256(text.strip().encode()).hexdigest()[:12]
        seen[digest] += 1
        suffix = f"#{seen[digest]}" if seen[digest] > 1 else ""
        keys.append(f"{prefix}:{digest}{suffix}")
    return keys


def step_keys(lesson: Lesson) -> list[str]:
    """One key per step, in order (its name, else its commands)."""
    return _keys("step", (s.name or s.command for s in lesson.steps))


def quiz_keys(lesson: Lesson) -> list[str]:
    """One key per quiz, in order (its question)."""
    return _keys("quiz", (q.question for q in lesson.quizzes))


def grade(quiz: Quiz, choices: Iterable[int]) -> bool:
    """True when exactly the correct choices were picked."""
    right = {n for n, c in enumerate(quiz.choices) if c.correct}
    return set(choices) == right


@dataclass(frozen=True)
class QuizAnswer:
    """What a learner answered to a quiz."""

    choices: tuple[int, ...] = ()
    """Indices of the picked choices (single and multiple choice)."""
    text: str = ""
    """The learner's own words (open questions)."""
    correct: bool | None = None
    """Graded result; None for an open question, which has a model answer instead."""


@dataclass
class Progress:
    """A learner's session of a lesson. Every change is written at once, atomically."""

    lesson: Path
    """The lesson file."""
    steps: dict[str, StepRecord] = field(default_factory=dict)
    """Step key -> how it ended the last time lab ran it."""
    answers: dict[str, QuizAnswer] = field(default_factory=dict)
    """Quiz key -> the learner's answer."""
    position: str | None = None
    """Key of the step or quiz the learner was at."""
    completed: bool = False
    """Everything was verified once (the summary was shown)."""
    workspace: str = ""
    """The directory the shells started in."""
    captures: dict[str, str] = field(default_factory=dict)
    """Values captured from steps' output (`capture=`), by variable name."""
    terminals: dict[int, str] = field(default_factory=dict)
    """Terminal -> its shell's saved state (variables set since it started, its directory),
    as bash code the next shell of that terminal sources before its first prompt."""

    @property
    def path(self) -> Path:
        """The session file."""
        return progress_dir() / f"{lesson_key(self.lesson)}.json"

    @property
    def verified(self) -> set[str]:
        """Keys of the steps whose last run passed and whose outcome still holds."""
        return {k for k, r in self.steps.items() if r.state == "passed"}

    def state(self, key: str) -> StepState:
        """Where a step stands."""
        record = self.steps.get(key)
        return record.state if record is not None else "not run"

    def record_step(self, key: str, record: StepRecord) -> None:
        """A step ended (or its outcome was found gone)."""
        if self.steps.get(key) != record:
            self.steps[key] = record
            self.save()

    def mark_verified(self, key: str) -> None:
        """A step ran and all its checks passed."""
        self.record_step(key, replace(self.steps.get(key, StepRecord("passed")), state="passed"))

    def invalidate(self, key: str, why: str) -> None:
        """A step passed, but what it made is gone."""
        record = self.steps.get(key)
        if record is not None and record.state == "passed":
            self.record_step(key, replace(record, state="invalidated", message=why))

    def record_answer(self, key: str, answer: QuizAnswer) -> None:
        """A quiz was answered."""
        self.answers[key] = answer
        self.save()

    def clear_answer(self, key: str) -> None:
        """The learner wants to answer a quiz again."""
        if self.answers.pop(key, None) is not None:
            self.save()

    def move_to(self, key: str | None) -> None:
        """The learner is now at this step or quiz."""
        if key != self.position:
            self.position = key
            self.save()

    def mark_completed(self) -> None:
        """Everything is done."""
        if not self.completed:
            self.completed = True
            self.save()

    def to_json(self) -> dict[str, object]:
        """The file's content."""
        return {
            "version": VERSION,
            "lesson": str(self.lesson.resolve()),
            "workspace": self.workspace,
            "steps": {
                k: {
                    "state": r.state,
                    "message": r.message,
                    "output": r.output,
                    "cwd": r.cwd,
                    "seq": r.seq,
                }
                for k, r in sorted(self.steps.items())
            },
            "answers": {
                k: {"choices": list(a.choices), "text": a.text, "correct": a.correct}
                for k, a in sorted(self.answers.items())
            },
            "position": self.position,
            "completed": self.completed,
            "captures": dict(self.captures),
            "terminals": {str(n): text for n, text in sorted(self.terminals.items())},
        }

    def save(self) -> None:
        """Write the file atomically (a `kill -9` leaves the old or the new one)."""
        write_atomic(self.path, json.dumps(self.to_json(), indent=1) + "\n")


STATES: frozenset[str] = frozenset({"passed", "failed", "invalidated"})
"""States a step record keeps on disk (a step lab was running when it stopped is not run)."""


def _steps(data: dict[str, Any]) -> dict[str, StepRecord]:
    if data.get("version") == 1:  # verified steps: passed
        return {str(k): StepRecord("passed") for k in data.get("verified", ())}
    steps = {}
    for key, value in dict(data.get("steps", {})).items():
        state = value.get("state")
        if state in STATES:
            steps[str(key)] = StepRecord(
                state,
                str(value.get("message", "")),
                str(value.get("output", "")),
                str(value.get("cwd", "")),
                int(value.get("seq", 0)),
            )
    return steps


def load(lesson_path: Path) -> Progress:
    """The saved session of a lesson, or a fresh one (also when the file is unreadable)."""
    fresh = Progress(lesson_path)
    try:
        data = json.loads(fresh.path.read_text(encoding="utf-8"))
        if data.get("version") not in (1, VERSION):
            return fresh
        answers = {
            str(k): QuizAnswer(
                tuple(int(c) for c in v.get("choices", ())),
                str(v.get("text", "")),
                v.get("correct") if isinstance(v.get("correct"), bool) else None,
            )
            for k, v in dict(data.get("answers", {})).items()
        }
        position = data.get("position")
        return Progress(
            lesson_path,
            _steps(data),
            answers,
            str(position) if position is not None else None,
            bool(data.get("completed", False)),
            str(data.get("workspace", "")),
            {str(k): str(v) for k, v in dict(data.get("captures", {})).items()},
            {int(k): str(v) for k, v in dict(data.get("terminals", {})).items()},
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return fresh


def saved_sessions() -> list[Progress]:
    """Every learner session on this machine (any lesson), as saved."""
    found = []
    for path in sorted(progress_dir().glob("*.json")):
        try:
            lesson = Path(json.loads(path.read_text(encoding="utf-8"))["lesson"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        record = load(lesson)
        if record.path == path:
            found.append(record)
    return found


def forget(lesson_path: Path) -> None:
    """Delete a lesson's progress."""
    Progress(lesson_path).path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Tally:
    """How far a learner got, counted against the lesson as it is now."""

    steps_done: int
    """Steps whose last run passed (and whose outcome still holds)."""
    steps: int
    quizzes_done: int
    quizzes_right: int
    quizzes: int
    steps_failed: int = 0
    """Steps whose last run failed."""
    steps_invalidated: int = 0
    """Steps that passed, but what they made is gone since."""

    @property
    def done(self) -> int:
        """Items done: verified steps and answered quizzes."""
        return self.steps_done + self.quizzes_done

    @property
    def total(self) -> int:
        """Items in the lesson."""
        return self.steps + self.quizzes

    @property
    def fraction(self) -> float:
        """0.0 .. 1.0 (1.0 for a lesson with nothing to do)."""
        return self.done / self.total if self.total else 1.0

    @property
    def troubled(self) -> int:
        """Steps that failed or whose outcome is gone."""
        return self.steps_failed + self.steps_invalidated

    @property
    def complete(self) -> bool:
        """Every step verified (none failed, nothing gone) and every quiz answered."""
        return self.done == self.total


def tally(lesson: Lesson, progress: Progress) -> Tally:
    """Count the progress against the lesson's current steps and quizzes."""
    states = [progress.state(k) for k in step_keys(lesson)]
    answers = [progress.answers[k] for k in quiz_keys(lesson) if k in progress.answers]
    return Tally(
        states.count("passed"),
        len(lesson.steps),
        len(answers),
        sum(a.correct is True for a in answers),
        len(lesson.quizzes),
        states.count("failed"),
        states.count("invalidated"),
    )


Item = Step | Quiz
"""Something a learner does: run a step or answer a quiz."""


def items(lesson: Lesson) -> list[tuple[str, Item]]:
    """Steps and quizzes with their keys, in document order."""
    pairs: list[tuple[str, Item]] = [
        *zip(step_keys(lesson), lesson.steps, strict=True),
        *zip(quiz_keys(lesson), lesson.quizzes, strict=True),
    ]
    return sorted(pairs, key=lambda p: p[1].line)


def resume_at(lesson: Lesson, progress: Progress) -> int:
    """Index into items() to resume at: the first step not verified or quiz not answered,
    else where the learner was, else the start."""
    pairs = items(lesson)
    verified = progress.verified
    for n, (key, _) in enumerate(pairs):
        if key not in verified and key not in progress.answers:
            return n
    keys = [k for k, _ in pairs]
    return keys.index(progress.position) if progress.position in keys else 0
