"""What goes into a bundle: the lessons, where each goes in it, and every image they need (the
sandbox node image and the ones given with --image included), with what needs each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.bundle.layout import LESSONS, storage_name
from lab.errors import LabError
from lab.lesson.commands import with_tag
from lab.lesson.images import lesson_images
from lab.lesson.load import lesson_files
from lab.lesson.model import Lesson
from lab.lesson.reference import parse_reference

NODES = "sandbox nodes"
GIVEN = "--image"


@dataclass(frozen=True)
class PlannedImage:
    """An image to put into the bundle."""

    ref: str
    """As the lessons name it, tag spelled out."""
    used_by: tuple[str, ...]
    """What needs it (`lessons/x.md line 39 (docker run)`, `sandbox nodes`, `--image`)."""


@dataclass(frozen=True)
class BundlePlan:
    """Everything `lab bundle` will write."""

    lessons: tuple[tuple[Lesson, str], ...]
    """Each lesson and its path in the bundle (`lessons/…`)."""
    images: tuple[PlannedImage, ...]
    unknown: tuple[str, ...]
    """Commands whose image the lessons do not tell, and images a bundle cannot keep."""
    node_image: str | None


def destinations(paths: list[str]) -> dict[Path, str]:
    """Where each lesson file under paths goes in the bundle: the layout under a named
    directory is kept (under the directory's name when several paths are named), a named file
    goes to the top of `lessons/`. Two lessons never land on one path (a second gets `-2`)."""
    found: dict[Path, str] = {}
    taken: set[str] = set()
    alone = len(paths) == 1
    for raw in paths:
        top = Path(raw)
        for path in lesson_files([raw]):
            if path in found:
                continue
            if top.is_dir():
                inside = path.relative_to(top)
                if not alone:
                    inside = Path(top.resolve().name or "lessons") / inside
            else:
                inside = Path(path.name)
            target = f"{LESSONS}/{inside.as_posix()}"
            stem, suffix, n = target[: -len(path.suffix)], path.suffix, 2
            while target in taken:
                target = f"{stem}-{n}{suffix}"
                n += 1
            taken.add(target)
            found[path] = target
    return found


def plan_bundle(
    lessons: list[tuple[Lesson, str]], *, given: list[str], node_image: str | None
) -> BundlePlan:
    """The images of the lessons (in the order they first need them), then the node image and
    the ones given with --image; each image once, with everything that needs it."""
    uses: dict[str, list[str]] = {}
    unknown: list[str] = []
    for lesson, inside in lessons:
        found = lesson_images(lesson)
        for use in found.images:
            where = f"{use.origin}:{use.line}" if use.origin else f"{inside} line {use.line}"
            uses.setdefault(use.ref, []).append(f"{where} ({use.how})")
        unknown += [f"{inside} {u}" if not u.origin else str(u) for u in found.unknown]
    if node_image:
        uses.setdefault(with_tag(node_image), []).append(NODES)
    for ref in given:
        parse_reference(ref)  # a UsageError naming what is wrong
        storage_name(ref)  # refused when pinned by digest
        uses.setdefault(with_tag(ref), []).append(GIVEN)
    images = []
    for ref, users in uses.items():
        try:
            storage_name(ref)
        except LabError as exc:
            unknown.append(f"{users[0]}: {ref}: {exc.message}")
            continue
        images.append(PlannedImage(ref, tuple(users)))
    return BundlePlan(tuple(lessons), tuple(images), tuple(unknown), node_image)
