"""A learner's progress in one lesson (verified steps, quiz answers, place), kept on disk."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lab.lesson.model import Lesson, Quiz, Step
from lab.statefiles import state_root, write_atomic

VERSION = 1
"""Format of the progress files; a file of another version is ignored (a fresh start)."""


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
    """Where a learner is in a lesson. Every change is written at once (crash-safe)."""

    lesson: Path
    """The lesson file."""
    verified: set[str] = field(default_factory=set)
    """Keys of the steps `lab` ran and verified (typed commands are not verified)."""
    answers: dict[str, QuizAnswer] = field(default_factory=dict)
    """Quiz key -> the learner's answer."""
    position: str | None = None
    """Key of the step or quiz the learner was at."""
    completed: bool = False
    """Everything was done once (the summary was shown)."""

    @property
    def path(self) -> Path:
        """The progress file."""
        return progress_dir() / f"{lesson_key(self.lesson)}.json"

    def mark_verified(self, key: str) -> None:
        """A step ran and all its checks passed."""
        if key not in self.verified:
            self.verified.add(key)
            self.save()

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
            "verified": sorted(self.verified),
            "answers": {
                k: {"choices": list(a.choices), "text": a.text, "correct": a.correct}
                for k, a in sorted(self.answers.items())
            },
            "position": self.position,
            "completed": self.completed,
        }

    def save(self) -> None:
        """Write the file atomically (a `kill -9` leaves the old or the new one)."""
        write_atomic(self.path, json.dumps(self.to_json(), indent=1) + "\n")


def load(lesson_path: Path) -> Progress:
    """The saved progress of a lesson, or a fresh one (also when the file is unreadable)."""
    fresh = Progress(lesson_path)
    try:
        data = json.loads(fresh.path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
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
            {str(k) for k in data.get("verified", ())},
            answers,
            str(position) if position is not None else None,
            bool(data.get("completed", False)),
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return fresh


def forget(lesson_path: Path) -> None:
    """Delete a lesson's progress."""
    Progress(lesson_path).path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Tally:
    """How far a learner got, counted against the lesson as it is now."""

    steps_done: int
    steps: int
    quizzes_done: int
    quizzes_right: int
    quizzes: int

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
    def complete(self) -> bool:
        """Every step verified and every quiz answered."""
        return self.done == self.total


def tally(lesson: Lesson, progress: Progress) -> Tally:
    """Count the progress against the lesson's current steps and quizzes."""
    steps_done = sum(k in progress.verified for k in step_keys(lesson))
    answers = [progress.answers[k] for k in quiz_keys(lesson) if k in progress.answers]
    return Tally(
        steps_done,
        len(lesson.steps),
        len(answers),
        sum(a.correct is True for a in answers),
        len(lesson.quizzes),
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
    for n, (key, _) in enumerate(pairs):
        if key not in progress.verified and key not in progress.answers:
            return n
    keys = [k for k, _ in pairs]
    return keys.index(progress.position) if progress.position in keys else 0
