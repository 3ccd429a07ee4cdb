"""Verifying again what passed steps made: which checks still mean something after the steps
run since (a later `docker rm -f registry` removes step 1's container on purpose), and what a
failed one says to the learner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.learner.progress import StepRecord
from lab.lesson.model import Lesson, Step

if TYPE_CHECKING:
    from lab.runner import CheckResult


@dataclass(frozen=True)
class Finding:
    """Something a step made that is gone: found by verifying its checks again."""

    step: Step
    """The step that made it."""
    message: str
    """What is wrong now, e.g. `container 'registry' is not running (exited)`."""

    def __str__(self) -> str:
        n = self.step.index + 1
        return f"{self.message}: it comes from step {n} — run step {n} again"


def short(message: str) -> str:
    """A check's message without its long tail (`(containers: a, b, c)`)."""
    return message.split(" (containers:", 1)[0].strip()


def touched_by_step(lesson: Lesson, variables: Mapping[str, str]) -> dict[int, set[str]]:
    """Step index -> what its commands change (`touched_subjects`), a container's published
    ports with it (removing `registry` frees port 5000, and what a push there left)."""
    from lab.runner.inferred import container_ports, touched_subjects  # with the runner

    ports: dict[str, set[str]] = {}
    for step in lesson.steps:
        for name, published in container_ports(step.command).items():
            ports.setdefault(name, set()).update(published)

    def widened(subjects: set[str]) -> set[str]:
        names = [s.removeprefix("container:") for s in subjects if s.startswith("container:")]
        return subjects.union(*(ports.get(name, set()) for name in names))

    return {s.index: widened(touched_subjects(s.command, variables)) for s in lesson.steps}


def touched_since(
    step: Step, records: Mapping[int, StepRecord], touched: Mapping[int, set[str]]
) -> set[str]:
    """What the steps run after `step` changed (a step that failed too: it may have done
    part of its work)."""
    record = records[step.index]
    after = [i for i, r in records.items() if r.seq > record.seq and i != step.index]
    return set().union(*(touched[i] for i in after))


def first_gone(
    results: Iterable[tuple[frozenset[str], CheckResult]], since: set[str]
) -> str | None:
    """What the first check that failed, and that nothing run since explains, found."""
    for subjects, result in results:
        if not result.passed and not (subjects & since):
            return short(result.message or result.label)
    return None
