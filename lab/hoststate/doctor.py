"""Preflight (`lab doctor`): can this machine run a lesson, and if not, what to do."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from lab.engine.api import EngineRequestError, engine_address, path_of
from lab.engine.reader import Engine, SDKEngine, as_api, connect_api
from lab.errors import LabError
from lab.hoststate import store
from lab.hoststate.bundled import loaded_from
from lab.hoststate.clashes import clashes, containers_of
from lab.lesson.hazards import FIX, lesson_hazards
from lab.lesson.model import Lesson
from lab.lesson.needs import LessonNeeds, lesson_needs
from lab.lesson.reference import parse_reference

MIN_FREE_BYTES = 2 * 1024**3
"""Below this much free space in Docker's data directory, pulls and pushes start failing."""
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
"""What a registry is asked for when the doctor checks an image is there (as an engine asks)."""
ENGINE_HINT = (
    "start the engine: on this project's test machines `sudo scripts/test-env up`; "
    "elsewhere `sudo systemctl start docker` (or start Docker Desktop)"
)

Level = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    """One preflight result."""

    level: Level
    """ok, warn (runs anyway) or fail (the lesson cannot run)."""
    message: str
    """What was found."""
    hint: str | None = None
    """What to do about it."""
    at_risk: bool = False
    """A warning of what the user allowed to act on this engine (said before anything runs)."""


@dataclass
class Diagnosis:
    """Everything `lab doctor` found."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """True when nothing failed."""
        return all(f.level != "fail" for f in self.findings)

    def add(self, level: Level, message: str, hint: str | None = None) -> None:
        """Record a finding."""
        self.findings.append(Finding(level, message, hint))


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as exc:
            return exc.errno != errno.EADDRINUSE
    return True


def check_engine(engine: Engine, diagnosis: Diagnosis) -> None:
    """Versions and free disk of a reachable engine."""
    version = engine.get("/version")
    info = engine.get("/info")
    diagnosis.add(
        "ok",
        f"Docker engine {version.get('Version', '?')} (API {version.get('ApiVersion', '?')}), "
        f"{info.get('Driver', '?')} storage, {info.get('Containers', 0)} containers, "
        f"{info.get('Images', 0)} images",
    )
    mirrors = info.get("RegistryConfig", {}).get("Mirrors") or []
    if mirrors:
        diagnosis.add("ok", "registry mirrors: " + ", ".join(mirrors))
    root = info.get("DockerRootDir") or "/var/lib/docker"
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(root).free
        level: Level = "ok" if free >= MIN_FREE_BYTES else "warn"
        diagnosis.add(
            level,
            f"{free / 1024**3:.1f} GiB free in {root}",
            None if level == "ok" else "free some space: `docker system prune` removes unused data",
        )


def _availability(engine: Engine, ref: str) -> tuple[str | None, str]:
    """("is present" | "is present (from the bundle DIR)" | "can be pulled", "") or (None, why
    it cannot be pulled)."""
    try:
        image = engine.get(path_of("/images/{}/json", ref))
    except EngineRequestError:
        pass
    else:
        bundle = loaded_from(ref, str(image.get("Id", ""))) if isinstance(image, dict) else None
        return ("is present" + (f" (from the bundle {bundle})" if bundle else "")), ""
    try:
        engine.get(path_of("/distribution/{}/json", ref))
    except EngineRequestError as exc:
        refused = exc.explanation
    else:
        return "can be pulled", ""
    if isinstance(engine, SDKEngine):
        return None, refused
    # The docker SDK sends the credentials of `docker login` (the CLI's config) with the
    # question; ask again through it before saying no (only on this rare path: it is slow
    # to load).
    from lab.engine.sdk import connect

    try:
        connect().api.inspect_distribution(ref)
    except Exception as exc:
        return None, str(getattr(exc, "explanation", None) or refused)
    return "can be pulled", ""


def _in_mirrors(engine: Engine, mirrors: Sequence[str], ref: str) -> tuple[str | None, str]:
    """Whether sandbox nodes whose engines use these registry mirrors can pull ref: a Docker Hub
    image is asked of the mirrors (`{gateway}`, the host as nodes reach it, is this machine);
    others come from their own registry, asked through this engine."""
    import urllib.error
    import urllib.request

    try:
        parsed = parse_reference(ref)
    except LabError as exc:
        return None, exc.message
    if not parsed.is_docker_hub:
        return _availability(engine, ref)
    reasons = []
    for mirror in mirrors:
        base = mirror.replace("{gateway}", "127.0.0.1").rstrip("/")
        url = f"{base}/v2/{parsed.repository}/manifests/{parsed.manifest_reference}"
        request = urllib.request.Request(url, method="HEAD", headers={"Accept": MANIFEST_TYPES})
        try:
            with urllib.request.urlopen(request, timeout=10):
                return f"can be pulled from the nodes' mirror {mirror}", ""
        except urllib.error.HTTPError as exc:
            reasons.append(f"{mirror} answers {exc.code}")
        except (urllib.error.URLError, OSError) as exc:
            reasons.append(f"{mirror} cannot be reached ({getattr(exc, 'reason', exc)})")
    return None, "not in the nodes' registry mirror: " + "; ".join(reasons)


def image_availability(
    engine: Engine, refs: Sequence[str], mirrors: Sequence[str] | None = None
) -> list[tuple[str | None, str]]:
    """_availability of each image (or, given the mirrors of sandbox nodes' engines, whether
    the nodes can pull it), asked side by side (asking a registry takes a while)."""
    ask = partial(_in_mirrors, engine, mirrors) if mirrors else partial(_availability, engine)
    if len(refs) < 2:
        return [ask(ref) for ref in refs]
    with ThreadPoolExecutor(max_workers=min(8, len(refs))) as pool:
        return list(pool.map(ask, refs))


def check_lesson(
    engine: Engine,
    needs: LessonNeeds,
    diagnosis: Diagnosis,
    *,
    sandboxed: bool = False,
    node_mirrors: Sequence[str] | None = None,
) -> None:
    """Images available, ports free, names not taken. A sandboxed lesson's containers and
    ports live in its own nodes: only its images matter (their engines use this engine's
    mirrors, or node_mirrors when they are given)."""
    found = image_availability(engine, needs.images, node_mirrors if sandboxed else None)
    for ref, (where, reason) in zip(needs.images, found, strict=True):
        if where is None:
            diagnosis.add(
                "fail",
                f"image {ref} is not here and cannot be pulled: {reason}",
                f"make {ref} available (`docker pull {ref}` on a connected machine, "
                "or a registry mirror that has it)",
            )
        else:
            diagnosis.add("ok", f"image {ref} {where}")
    if sandboxed:
        return
    containers = containers_of(engine, ports=bool(needs.host_ports))
    publishers = {port: c.name for c in containers for port in c.host_ports}
    found_clashes = clashes(containers, needs, store.records())
    for clash in found_clashes:
        owner = clash.owner
        if owner is None:
            fix = (
                f"if you no longer need it: `docker rm -f {clash.container}`; lab never "
                "removes containers it did not create"
            )
        else:
            fix = f"`lab reset {owner.lesson}` removes what that session made (only that)"
            if owner.running and not owner.interactive:
                fix = "wait for that run to finish"
        c = next(x for x in containers if x.id == clash.container_id)
        whose = f"; {clash.describe()}" if owner is not None else ""
        diagnosis.add(
            "fail",
            f"a container {clash.what} already exists ('{c.name}', {c.image}, {c.status}){whose}",
            fix,
        )
    for port in needs.host_ports:
        if port not in publishers and not _port_free(port):
            diagnosis.add(
                "fail",
                f"port {port} is in use on this machine",
                f"find what listens there (`ss -ltnp 'sport = :{port}'`) and stop it",
            )
    if needs.names or needs.host_ports:
        free = [str(p) for p in needs.host_ports if p not in publishers]
        diagnosis.add(
            "ok",
            "checked container names "
            + (", ".join(needs.names) or "-")
            + " and host ports "
            + (", ".join(free) or "-"),
        )


def check_sandbox(engine: Engine, diagnosis: Diagnosis, *, needed: bool, image: str | None) -> None:
    """Sandbox nodes: root and nsenter, the node image, and the mode nodes start in (one
    line). needed: a lesson to run is sandboxed (problems fail, else they only warn)."""
    from lab.errors import EnvironmentNotReady
    from lab.sandbox import check_host, detect_mode, node_image
    from lab.sandbox.nodes import given_mirrors

    level: Level = "fail" if needed else "warn"
    ref = node_image(image)
    try:
        check_host()
    except EnvironmentNotReady as exc:
        diagnosis.add(level, exc.message, exc.hint)
        return
    mirrors = ""
    if mirror_env():
        try:
            given = given_mirrors()
        except LabError as exc:
            diagnosis.add(level, f"LAB_NODE_MIRROR: {exc.message}", exc.hint)
            return
        mirrors = "; nodes' registry mirror: " + ", ".join(given or [])
    where, reason = _availability(engine, ref)
    if where is None:
        diagnosis.add(
            level,
            f"sandbox node image {ref} is not here and cannot be pulled: {reason}",
            "`sudo scripts/test-env up` provides a docker:dind stand-in through the local "
            "mirror; or name another image with --node-image (or LAB_NODE_IMAGE)",
        )
        return
    where = where.removeprefix("is ").replace(" (from", ", from").rstrip(")")
    try:
        mode = detect_mode().describe()
    except LabError as exc:
        diagnosis.add(level, exc.message, exc.hint)
        return
    diagnosis.add("ok", f"sandbox nodes: {ref} ({where}), {mode}{mirrors}")


def mirror_env() -> str:
    """LAB_NODE_MIRROR as set (`--mirror`): registry mirrors for sandbox nodes' engines."""
    return os.environ.get("LAB_NODE_MIRROR", "").strip()


def _node_mirrors() -> list[str] | None:
    """The nodes' mirrors asked for with LAB_NODE_MIRROR (None: none, or not valid: then
    check_sandbox says so)."""
    if not mirror_env():
        return None
    from lab.sandbox.nodes import given_mirrors

    try:
        return given_mirrors()
    except LabError:
        return None


def check_hazards(lesson: Lesson, diagnosis: Diagnosis, *, allowed: bool) -> None:
    """Commands that would act beyond the lesson's own objects on this engine: a failure on
    the host (a warning when the user allowed them, saying what is at risk)."""
    hazards = lesson_hazards(lesson)
    if not hazards:
        return
    lines = "".join(f"\n      {hazard}" for hazard in hazards)
    if allowed:
        message = f"{lesson.path} acts on this whole engine, as allowed:{lines}"
        diagnosis.findings.append(Finding("warn", message, at_risk=True))
        return
    diagnosis.add(
        "fail",
        f"{lesson.path} would act beyond its own objects on this engine:{lines}",
        f"{FIX}; or, if you accept what it does to this engine, --allow-engine-wide-changes",
    )


def check_guard(diagnosis: Diagnosis) -> None:
    """Lessons on this host reach the engine through lab's engine guard: can it stand in
    front of this engine?"""
    from lab.hoststate.guard.address import check_relayable

    address = engine_address()
    try:
        check_relayable(address)
    except LabError as exc:
        diagnosis.add("fail", exc.message, exc.hint)
        return
    diagnosis.add(
        "ok",
        f"engine guard: lessons on this host reach {address} through lab's guard, which keeps "
        "the containers, images, volumes and networks you had",
    )


def diagnose(
    lessons: list[Lesson],
    *,
    engine: Any = None,
    sandboxed: list[bool] | None = None,
    node_image: str | None = None,
    allow_engine_wide: bool = False,
) -> Diagnosis:
    """Everything `lab doctor` checks; engine: a docker SDK client or an engine reader
    (connected here if None); sandboxed: which of the lessons run in sandbox nodes (default:
    none)."""
    from lab.errors import EnvironmentNotReady

    diagnosis = Diagnosis()
    if shutil.which("bash") is None:
        diagnosis.add("fail", "bash is not installed", "install bash")
    needs = [lesson_needs(lesson) for lesson in lessons]
    boxed = sandboxed or [False] * len(lessons)
    for lesson, in_sandbox in zip(lessons, boxed, strict=True):
        if not in_sandbox:
            check_hazards(lesson, diagnosis, allowed=allow_engine_wide)
    if any(n.uses_docker and not b for n, b in zip(needs, boxed, strict=True)):
        check_guard(diagnosis)
    try:
        client = as_api(engine) if engine is not None else connect_api()
    except EnvironmentNotReady as exc:
        needed = any(n.uses_docker for n in needs) or any(boxed)
        level: Level = "fail" if (not lessons or needed) else "warn"
        diagnosis.add(level, exc.message, exc.hint or ENGINE_HINT)
        return diagnosis
    engine_part, lesson_part = Diagnosis(), Diagnosis()
    node_mirrors = _node_mirrors() if any(boxed) else None
    with ThreadPoolExecutor(max_workers=1) as pool:  # the engine's answers, meanwhile the rest
        engine_done = pool.submit(check_engine, client, engine_part)
        if any(boxed) or not lessons:
            check_sandbox(client, lesson_part, needed=any(boxed), image=node_image)
        for need, in_sandbox in zip(needs, boxed, strict=True):
            if need.uses_docker:
                check_lesson(
                    client, need, lesson_part, sandboxed=in_sandbox, node_mirrors=node_mirrors
                )
        engine_done.result()
    diagnosis.findings += engine_part.findings + lesson_part.findings
    return diagnosis
