"""Every image a lesson needs from a registry, read from its text alone, and the commands whose
image the text does not tell (a variable, a Dockerfile the lesson does not write)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from lab.lesson.actions import (
    ComposeUp,
    DockerBuild,
    DockerCreate,
    DockerPull,
    DockerPush,
    DockerRun,
    DockerTag,
    ImageMade,
    ServiceCreate,
)
from lab.lesson.commands import read_commands, with_tag
from lab.lesson.model import DisplayBlock, Lesson, Step
from lab.lesson.reference import is_registry_host
from lab.lesson.written import Written, written_files

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
"""The files `docker compose` reads when none is named, in its order."""
_OUTPUT_IMAGES = (
    re.compile(r"Unable to find image '(?P<ref>[^'\s]+)' locally"),
    re.compile(r"Status: (?:Downloaded newer image|Image is up to date) for (?P<ref>\S+)"),
    re.compile(r"^Pulling \S+ \((?P<ref>[^)\s]+)\)\.\.\.", re.M),  # docker-compose v1
)
"""Lines of Docker's output that name exactly one image it pulled."""
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$")


@dataclass(frozen=True)
class ImageUse:
    """An image a lesson needs, and the first place that says so."""

    ref: str
    """The reference as the lesson writes it, tag spelled out (`registry:2`, `alpine:latest`)."""
    line: int
    """The line of the step, expected output or shown file that names it."""
    how: str
    """What names it: `docker run`, `FROM in Dockerfile`, `expected output`, …"""
    origin: str | None = None
    """The overlay file whose step names it (None: the lesson)."""


@dataclass(frozen=True)
class UnknownImage:
    """A command that uses an image the lesson's text does not name."""

    line: int
    """The line of its step."""
    command: str
    """The command, as written (first line)."""
    why: str
    """Why its image is not known."""
    origin: str | None = None
    """The overlay file of the step (None: the lesson)."""

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.origin else f"line {self.line}"
        return f"{where}: `{self.command}`: {self.why}"


@dataclass(frozen=True)
class LessonImages:
    """What `lesson_images` found."""

    images: tuple[ImageUse, ...] = ()
    """Each image once, in the order the lesson first needs it."""
    unknown: tuple[UnknownImage, ...] = ()
    """Commands whose image cannot be told from the text."""

    @property
    def refs(self) -> tuple[str, ...]:
        """The references, in order."""
        return tuple(use.ref for use in self.images)


def _registry_host(ref: str) -> str | None:
    first, slash, _ = ref.partition("/")
    return first if slash and is_registry_host(first) else None


def _lessons_own(ref: str) -> bool:
    """An image of a registry the lesson runs itself: on the machine's loopback, at an address
    the lesson keeps in a variable (`$REGISTRY_IP:5443/hello-world`), or on a port of a host
    (`registry.local:5000/…`: public registries answer on the standard port)."""
    first, slash, _ = ref.partition("/")
    if slash and "$" in first:
        return True
    host = _registry_host(ref)
    return host is not None and (
        host.split(":")[0] in ("localhost", "127.0.0.1") or host.rpartition(":")[2].isdigit()
    )


def dockerfile_images(text: str) -> tuple[list[str], list[str]]:
    """The images a Dockerfile builds on (FROM, COPY --from=IMAGE), and what it leaves unknown
    (an image set by a build argument)."""
    joined = re.sub(r"\\\n", " ", text)
    stages: set[str] = set()
    found: list[str] = []
    unknown: list[str] = []
    for line in joined.split("\n"):
        match = _INSTRUCTION.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        instruction, words = match.group(1).upper(), match.group(2).split()
        if instruction == "FROM":
            words = [w for w in words if not w.startswith("--")]
            if not words:
                continue
            image = words[0]
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
            if image.lower() in stages or image == "scratch":
                continue
            if "$" in image:
                unknown.append(f"FROM {image}: the image is set by a build argument")
            else:
                found.append(image)
        elif instruction in ("COPY", "ADD"):
            for word in words:
                source = word.removeprefix("--from=")
                if source != word and source.lower() not in stages and not source.isdigit():
                    found.append(source)
    return found, unknown


def compose_images(text: str) -> list[str]:
    """The `image:` of each service of a compose file (nothing when it is not YAML)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return []
    return [str(s["image"]) for s in services.values() if isinstance(s, dict) and s.get("image")]


def _looks_like_dockerfile(block: DisplayBlock) -> bool:
    for line in block.code.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.split()[0].upper() in ("FROM", "ARG")
    return False


def _looks_like_compose(block: DisplayBlock) -> bool:
    return bool(compose_images(block.code))


class _Reader:
    """Walks a lesson's steps in order, remembering what it wrote and made."""

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.files: dict[str, Written] = {}
        self.made: set[str] = set()
        self.uses: dict[str, ImageUse] = {}
        self.unknown: list[UnknownImage] = []

    def need(self, ref: str, step: Step, how: str, line: int | None = None) -> None:
        ref = with_tag(ref)
        if ref in self.made or ref in self.uses or _lessons_own(ref):
            return
        self.uses[ref] = ImageUse(ref, line or step.line, how, step.origin)

    def cannot_tell(self, step: Step, command: str, why: str) -> None:
        self.unknown.append(UnknownImage(step.line, command, why, step.origin))

    def image(self, ref: str, step: Step, how: str) -> None:
        if _lessons_own(ref):
            return
        if "$" in ref:
            self.cannot_tell(step, f"{how} {ref}", "the image is named by a variable")
        else:
            self.need(ref, step, how)

    def named(self, ref: str, step: Step, command: str, how: str, line: int) -> None:
        """An image a file names (a Dockerfile's FROM, a compose file's image:)."""
        if "$" in ref:
            self.cannot_tell(step, command, f"{how} is {ref}, a variable")
        else:
            self.need(ref, step, how, line)

    def written(self, path: str) -> Written | None:
        """The text the lesson last wrote into path (or into a file of that name)."""
        normal = posixpath.normpath(path)
        if normal in self.files:
            return self.files[normal]
        name = posixpath.basename(normal)
        same_name = [w for p, w in self.files.items() if posixpath.basename(p) == name]
        return same_name[-1] if len(same_name) == 1 else None

    def shown(self, step: Step, looks: Callable[[DisplayBlock], bool]) -> DisplayBlock | None:
        """The last file of that kind the lesson shows before the step (PWD's "create a
        Dockerfile with the following content")."""
        before = [b for b in self.lesson.display_blocks if b.line < step.line and looks(b)]
        return before[-1] if before and step.origin is None else None

    def build(self, action: DockerBuild, step: Step, piped: list[Written]) -> None:
        command = f"docker build {action.context}"
        text: str | None = None
        line = step.line
        how = "FROM in the Dockerfile"
        if "-" in (action.context, action.dockerfile):
            feed = next((w for w in piped if "build" in w.into), None)
            text = feed.text if feed else None
            where = "its standard input"
        else:
            path = action.dockerfile or posixpath.join(action.context, "Dockerfile")
            written = self.written(path)
            text = written.text if written else None
            where = path
        if text is None:
            block = self.shown(step, _looks_like_dockerfile)
            if block is not None:
                text, line, how = block.code, block.line, "FROM in the Dockerfile shown"
        if text is None:
            self.cannot_tell(
                step, command, f"its Dockerfile ({where}) is not written by the lesson's steps"
            )
        else:
            refs, unknown = dockerfile_images(text)
            for ref in refs:
                self.named(ref, step, command, how, line)
            for why in unknown:
                self.cannot_tell(step, command, why)
        self.made.update(with_tag(t) for t in action.tags)

    def compose(self, action: ComposeUp, step: Step) -> None:
        names = action.files or COMPOSE_FILES
        found = [w for w in (self.written(n) for n in names) if w is not None]
        if found:
            texts = [(w.text, step.line, "image in the compose file") for w in found]
        elif (block := self.shown(step, _looks_like_compose)) is not None:
            texts = [(block.code, block.line, "image in the compose file shown")]
        else:
            self.cannot_tell(
                step,
                "docker compose",
                f"its compose file ({', '.join(names)}) is not written by the lesson's steps",
            )
            return
        for text, line, how in texts:
            for ref in compose_images(text):
                self.named(ref, step, "docker compose", how, line)

    def step(self, step: Step) -> None:
        writes = written_files(step.command)
        for w in writes:
            if w.path is None:
                continue
            path = posixpath.normpath(w.path)
            before = self.files.get(path)
            if w.append and before is not None:
                w = Written(before.text + w.text, w.offset, w.path)
            self.files[path] = w
        piped = [w for w in writes if w.path is None]
        for action in read_commands(step.command).actions:
            if isinstance(action, DockerTag):
                self.made.add(with_tag(action.target))
            elif isinstance(action, DockerPush | ImageMade):
                self.made.add(with_tag(action.ref))
            elif isinstance(action, DockerPull):
                self.image(action.ref, step, "docker pull")
            elif isinstance(action, DockerRun):
                self.image(action.image, step, "docker run")
            elif isinstance(action, DockerCreate):
                self.image(action.image, step, "docker create")
            elif isinstance(action, ServiceCreate):
                self.image(action.image, step, "docker service create")
            elif isinstance(action, DockerBuild):
                self.build(action, step, piped)
            elif isinstance(action, ComposeUp):
                self.compose(action, step)
        if step.expected_output is not None:
            for pattern in _OUTPUT_IMAGES:
                for match in pattern.finditer(step.expected_output.text):
                    ref = match.group("ref")
                    if "$" not in ref:
                        self.need(ref, step, "expected output", step.expected_output.line)


def lesson_images(lesson: Lesson) -> LessonImages:
    """The images the lesson's steps need from a registry — run, created, pulled, served, built
    on (FROM lines of the Dockerfiles its steps write or show), named in compose files it
    writes, or named in its expected output where Docker says which image it pulled — but not
    the ones it makes itself (tag, build, commit, push) or serves from its own registries; and
    the commands whose image the text does not tell."""
    reader = _Reader(lesson)
    for step in lesson.steps:
        reader.step(step)
    return LessonImages(tuple(reader.uses.values()), tuple(reader.unknown))
