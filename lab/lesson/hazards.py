"""Commands that act beyond a lesson's own objects: mass removal, prune, daemon restarts, swarm.

On Play with Docker every terminal was a throw-away host, so its lessons may remove every
container (`docker rm -f $(docker ps -aq)`), prune, or kill the daemon. On a learner's own
engine those commands destroy what the learner had, and no cleanup can bring it back. This
module finds them from the lesson text alone, so `lab lint`, `lab doctor` and the preflight of
`lab run` / `lab open` can say so before anything runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lab.lesson.model import Lesson

_KIND = r"(?:(?P<kind>container|image|volume|network)\s+)?"
_LIST = r"docker\s+(?:(?:container|image|volume|network)\s+)?(?:ls|ps|images|list)\b"
_QUIET = r"(?:-\w*q\w*|--quiet)\b"
_REMOVE = r"(?P<verb>rm|rmi|remove|kill|stop)\b"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"\bdocker\s+{_KIND}{_REMOVE}[^\n]*(?:\$\(|`)\s*{_LIST}[^\n]*?{_QUIET}"),
        "{verb}s every {kind} on the engine, not only the lesson's",
    ),
    (
        re.compile(
            rf"\b{_LIST}[^\n|]*?{_QUIET}[^\n|]*\|\s*xargs\s+(?:-\S+\s+)*docker\s+{_KIND}{_REMOVE}"
        ),
        "{verb}s every {kind} on the engine, not only the lesson's",
    ),
    (
        re.compile(
            r"\bdocker\s+(?P<kind>system|container|image|volume|network|builder|buildx)\s+prune\b"
        ),
        "removes every unused {kind} on the engine (prune), not only the lesson's",
    ),
    (
        re.compile(r"\b(?:pkill|killall)\b[^\n;&|]*\bdockerd?\b"),
        "stops the Docker engine: every running container on it stops",
    ),
    (
        re.compile(
            r"\bkill\b(?![^\n;&|]*(?:-HUP|-s\s*HUP|-SIGHUP|-1\s))[^\n;&|]*"
            r"(?:\$\(\s*(?:pidof|pgrep)\b[^)]*\bdockerd\b|/var/run/docker\.pid)"
        ),
        "stops the Docker engine: every running container on it stops",
    ),
    (
        re.compile(r"\bservice\s+docker(?:\.service)?\s+(?P<kind>stop|restart|start|reload)\b"),
        "{kind}s the Docker engine service",
    ),
    (
        re.compile(
            r"\bsystemctl\s+(?P<kind>stop|restart|start|reload|kill)\s+docker(?:\.service|\.socket)?\b"
        ),
        "{kind}s the Docker engine service",
    ),
    (
        re.compile(r"(?:^|[;&|(]\s*|\bsudo\s+|\bnohup\s+)dockerd\b"),
        "starts a second Docker daemon beside the engine that runs",
    ),
    (
        re.compile(r"\bdocker\s+swarm\s+(?P<kind>init|join|leave)\b"),
        "changes the engine's swarm membership (swarm {kind}), which cleanup does not undo",
    ),
    (
        re.compile(r"\brm\b[^\n;&|]*\s/var/lib/docker/?(?:\s|$)"),
        "removes the engine's data: every image, container and volume on it",
    ),
    (
        re.compile(r">\s*/etc/(?:systemd/system/docker|default/docker|sysconfig/docker)"),
        "rewrites how the engine service starts, which cleanup does not restore",
    ),
)
FIX = (
    "run it in sandbox nodes, where it only touches a throw-away engine: `lab run --sandbox "
    "LESSON` (no change to the lesson), or set `lab: {sandbox: true}` in its front matter"
)
"""What to do about a hazard in host mode."""


@dataclass(frozen=True)
class Hazard:
    """One command line that would act beyond the lesson's own objects."""

    path: str
    """The file the line is in (the lesson, or its overlay)."""
    line: int
    """Its line number in that file."""
    text: str
    """The command line, as written."""
    what: str
    """What it would do to the engine, in a few words."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: `{self.text}` {self.what}"


def command_hazards(block: str) -> list[tuple[int, str, str]]:
    """(line index in block, the line, what it would do) for each hazardous line."""
    found = []
    for index, line in enumerate(block.split("\n")):
        code = re.sub(r"'[^']*'", "''", line).split(" #", 1)[0].strip()  # '…' runs nothing
        if not code or code.startswith("#"):
            continue
        for pattern, what in _RULES:
            match = pattern.search(code)
            if match:
                groups = {k: v for k, v in match.groupdict().items() if v}
                kind = groups.get("kind", "container")
                verb = {"rm": "remove", "rmi": "remove"}.get(groups.get("verb", ""), "")
                verb = verb or groups.get("verb", "remove")
                if kind == "system":
                    kind = "container, network, image and build cache"
                elif kind in ("builder", "buildx"):
                    kind = "build cache"
                found.append((index, line.strip(), what.format(kind=kind, verb=verb)))
                break
    return found


def lesson_hazards(lesson: Lesson) -> list[Hazard]:
    """Every hazardous command line of a lesson's steps and checks, in file order."""
    out = []
    for step in lesson.steps:
        path = step.origin or str(lesson.path)
        for index, text, what in command_hazards(step.command):
            # a lesson's fence: its text starts on the line after the fence; an overlay's
            # step: its line is the step's entry in the overlay file
            line = step.line if step.origin else step.line + 1 + index
            out.append(Hazard(path, line, text, what))
    return out
