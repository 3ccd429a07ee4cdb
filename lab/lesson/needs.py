"""What a lesson needs from a machine: its terminals, sandbox nodes or this host, and (read from
its steps alone) images, host ports, names."""

from __future__ import annotations

from dataclasses import dataclass

from lab.lesson.actions import DockerRmi, DockerRun
from lab.lesson.commands import read_commands, with_tag
from lab.lesson.images import lesson_images
from lab.lesson.model import Lesson


@dataclass(frozen=True)
class LessonNeeds:
    """What a lesson will ask of the engine, read from its steps."""

    uses_docker: bool = False
    images: tuple[str, ...] = ()
    """Images it needs from a registry (lab.lesson.images): runs, pulls, builds on, … (not
    ones it builds, tags or pushes itself)."""
    host_ports: tuple[int, ...] = ()
    """Host ports it publishes."""
    names: tuple[str, ...] = ()
    """Container names it creates."""
    removes_images: tuple[str, ...] = ()
    """Images its steps remove (`docker rmi`): saved first when the host has them."""


def terminal_count(lesson: Lesson) -> int:
    """How many terminals the lesson has: `terms:`, or more if a step or check uses a higher one."""
    used = [s.terminal for s in lesson.steps]
    used += [c.terminal for s in lesson.steps for c in s.checks if c.terminal]
    return max([lesson.front_matter.terms, *used])


def sandboxed(lesson: Lesson, option: bool | None = None) -> bool:
    """Whether the lesson's terminals run in sandbox nodes: the option (`--sandbox`), else the
    lesson's `lab: {sandbox: ...}`."""
    return option if option is not None else lesson.front_matter.lab.sandbox


def lesson_needs(lesson: Lesson) -> LessonNeeds:
    """Images, host ports and container names the lesson's steps use."""
    uses_docker = False
    ports: list[int] = []
    names: list[str] = []
    removes: list[str] = []
    for step in lesson.steps:
        texts = [step.command, *(c.code for c in step.checks)]
        if any("docker" in t for t in texts):
            uses_docker = True
        for action in read_commands(step.command).actions:
            if isinstance(action, DockerRmi):
                removes += [with_tag(r) for r in action.refs if "$" not in r]
            if isinstance(action, DockerRun):
                if action.name and action.name not in names:
                    names.append(action.name)
                for port in action.ports:
                    if port.host_port and port.host_port not in ports:
                        ports.append(port.host_port)
    return LessonNeeds(
        uses_docker,
        lesson_images(lesson).refs,
        tuple(ports),
        tuple(names),
        tuple(dict.fromkeys(removes)),
    )
