"""Preflight (`lab doctor`): can this machine run a lesson, and if not, what to do."""

from __future__ import annotations

import contextlib
import errno
import shutil
import socket
from dataclasses import dataclass, field
from typing import Any, Literal

from lab.checks.reference import is_registry_host
from lab.dockercmd import (
    DockerPull,
    DockerPush,
    DockerRmi,
    DockerRun,
    DockerTag,
    read_commands,
    with_tag,
)
from lab.model import Lesson

MIN_FREE_BYTES = 2 * 1024**3
"""Below this much free space in Docker's data directory, pulls and pushes start failing."""
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


@dataclass(frozen=True)
class LessonNeeds:
    """What a lesson will ask of the engine, read from its steps."""

    uses_docker: bool = False
    images: tuple[str, ...] = ()
    """Images it runs or pulls from elsewhere (not ones it builds, tags or pushes itself)."""
    host_ports: tuple[int, ...] = ()
    """Host ports it publishes."""
    names: tuple[str, ...] = ()
    """Container names it creates."""
    removes_images: tuple[str, ...] = ()
    """Images its steps remove (`docker rmi`): saved first when the host has them."""


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


def _registry_host(ref: str) -> str | None:
    first, slash, _ = ref.partition("/")
    return first if slash and is_registry_host(first) else None


def lesson_needs(lesson: Lesson) -> LessonNeeds:
    """Images, host ports and container names the lesson's steps use."""
    uses_docker = False
    made: set[str] = set()
    images: list[str] = []
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
            if isinstance(action, DockerTag):
                made.add(with_tag(action.target))
            elif isinstance(action, DockerPush):
                made.add(with_tag(action.ref))
            elif isinstance(action, DockerPull | DockerRun):
                ref = with_tag(action.image if isinstance(action, DockerRun) else action.ref)
                host = _registry_host(ref)
                local = host is not None and host.split(":")[0] in ("localhost", "127.0.0.1")
                if ref not in made and ref not in images and not local and "$" not in ref:
                    images.append(ref)
            if isinstance(action, DockerRun):
                if action.name and action.name not in names:
                    names.append(action.name)
                for port in action.ports:
                    if port.host_port and port.host_port not in ports:
                        ports.append(port.host_port)
    return LessonNeeds(
        uses_docker, tuple(images), tuple(ports), tuple(names), tuple(dict.fromkeys(removes))
    )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as exc:
            return exc.errno != errno.EADDRINUSE
    return True


def check_engine(client: Any, diagnosis: Diagnosis) -> None:
    """Versions and free disk of a reachable engine."""
    version = client.version()
    info = client.info()
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


def check_lesson(
    client: Any, needs: LessonNeeds, diagnosis: Diagnosis, *, sandboxed: bool = False
) -> None:
    """Images available, ports free, names not taken. A sandboxed lesson's containers and
    ports live in its own nodes: only its images matter (their engines use the same mirror)."""
    for ref in needs.images:
        try:
            client.images.get(ref)
        except Exception:
            try:
                client.api.inspect_distribution(ref)
            except Exception as exc:
                reason = getattr(exc, "explanation", None) or str(exc)
                diagnosis.add(
                    "fail",
                    f"image {ref} is not here and cannot be pulled: {reason}",
                    f"make {ref} available (`docker pull {ref}` on a connected machine, "
                    "or a registry mirror that has it)",
                )
            else:
                diagnosis.add("ok", f"image {ref} can be pulled")
        else:
            diagnosis.add("ok", f"image {ref} is present")
    if sandboxed:
        return
    containers = client.containers.list(all=True, ignore_removed=True)
    by_name = {c.name: c for c in containers}
    publishers: dict[int, str] = {}
    for c in containers:
        for bindings in (c.attrs.get("HostConfig", {}).get("PortBindings") or {}).values():
            for binding in bindings or []:
                if str(binding.get("HostPort", "")).isdigit():
                    publishers[int(binding["HostPort"])] = c.name
    for name in needs.names:
        if name in by_name:
            c = by_name[name]
            image = c.attrs.get("Config", {}).get("Image", "?")
            diagnosis.add(
                "fail",
                f"a container named '{name}' already exists ({image}, {c.status}); "
                "the lesson creates one with that name",
                f"if you no longer need it: `docker rm -f {name}`; lab never removes "
                "containers it did not create",
            )
    for port in needs.host_ports:
        if port in publishers:
            diagnosis.add(
                "fail",
                f"port {port} is published by container '{publishers[port]}'",
                f"stop it (`docker stop {publishers[port]}`) and run again",
            )
        elif not _port_free(port):
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


def check_sandbox(client: Any, diagnosis: Diagnosis, *, needed: bool, image: str | None) -> None:
    """Sandbox nodes: root and nsenter, the node image, and the mode nodes start in (one
    line). needed: a lesson to run is sandboxed (problems fail, else they only warn)."""
    from lab.errors import EnvironmentNotReady, LabError
    from lab.sandbox import check_host, detect_mode, node_image

    level: Level = "fail" if needed else "warn"
    ref = node_image(image)
    try:
        check_host()
    except EnvironmentNotReady as exc:
        diagnosis.add(level, exc.message, exc.hint)
        return
    try:
        client.images.get(ref)
        where = "present"
    except Exception:
        try:
            client.api.inspect_distribution(ref)
            where = "can be pulled"
        except Exception as exc:
            reason = getattr(exc, "explanation", None) or str(exc)
            diagnosis.add(
                level,
                f"sandbox node image {ref} is not here and cannot be pulled: {reason}",
                "`sudo scripts/test-env up` provides a docker:dind stand-in through the local "
                "mirror; or name another image with --node-image (or LAB_NODE_IMAGE)",
            )
            return
    try:
        mode = detect_mode().describe()
    except LabError as exc:
        diagnosis.add(level, exc.message, exc.hint)
        return
    diagnosis.add("ok", f"sandbox nodes: {ref} ({where}), {mode}")


def diagnose(
    lessons: list[Lesson],
    *,
    engine: Any = None,
    sandboxed: list[bool] | None = None,
    node_image: str | None = None,
) -> Diagnosis:
    """Everything `lab doctor` checks; engine: a docker client (connected here if None);
    sandboxed: which of the lessons run in sandbox nodes (default: none)."""
    from lab.checks.engine import connect
    from lab.errors import EnvironmentNotReady

    diagnosis = Diagnosis()
    if shutil.which("bash") is None:
        diagnosis.add("fail", "bash is not installed", "install bash")
    needs = [lesson_needs(lesson) for lesson in lessons]
    boxed = sandboxed or [False] * len(lessons)
    try:
        client = engine or connect()
    except EnvironmentNotReady as exc:
        needed = any(n.uses_docker for n in needs) or any(boxed)
        level: Level = "fail" if (not lessons or needed) else "warn"
        diagnosis.add(level, exc.message, exc.hint or ENGINE_HINT)
        return diagnosis
    check_engine(client, diagnosis)
    if any(boxed) or not lessons:
        check_sandbox(client, diagnosis, needed=any(boxed), image=node_image)
    for need, in_sandbox in zip(needs, boxed, strict=True):
        if need.uses_docker:
            check_lesson(client, need, diagnosis, sandboxed=in_sandbox)
    return diagnosis
