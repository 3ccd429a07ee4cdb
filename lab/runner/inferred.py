"""Checks inferred from what a step ran and printed (no annotation needed in the lesson)."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from lab.checks.verdict import Verdict
from lab.errors import LabError
from lab.lesson.actions import (
    Action,
    ChangeDir,
    DockerPull,
    DockerPush,
    DockerRm,
    DockerRmi,
    DockerRun,
    DockerStop,
    DockerTag,
    MakeDirs,
)
from lab.lesson.commands import container_id, pull_digests, push_digests, read_commands, with_tag
from lab.lesson.reference import is_insecure_host, parse_reference

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
CERTS_D = Path("/etc/docker/certs.d")
"""Where Docker finds the CA of a registry (`certs.d/HOST:PORT/ca.crt`)."""

Locate = Callable[[str], Path]
"""An absolute path on the terminal's machine -> where lab opens it (Path on this host; a
sandbox node's files are reached through /proc/PID/root)."""

Engine = Callable[[], Any]
"""Returns a docker SDK client (connecting lazily; raises EnvironmentNotReady)."""


@dataclass(frozen=True)
class InferredCheck:
    """A check `lab` derived from a step: a label and the assertion to run."""

    label: str
    """What is verified, for reports."""
    verify: Callable[[], Verdict]
    """Runs the assertion (blocking: call it in a worker thread)."""
    subjects: frozenset[str] = frozenset()
    """What the outcome is about (`container:NAME`, `port:5000`, `image:REF`,
    `registry:REF`, `dir:PATH`): a later step that touches one may change it on purpose."""


def _image_subject(ref: str) -> str:
    """`image:REF`, Docker Hub's names in one spelling."""
    try:
        parsed = parse_reference(ref)
    except LabError:
        return f"image:{ref}"
    return f"image:{parsed.registry}/{parsed.repository}:{parsed.tag or parsed.digest}"


def _registry_subjects(ref: str) -> frozenset[str]:
    """`registry:REF`, and the port of the registry's host (what serves it on this machine)."""
    found = {"registry:" + _image_subject(ref).removeprefix("image:")}
    try:
        host = parse_reference(ref).registry
    except LabError:
        return frozenset(found)
    port = host.rpartition(":")[2]
    if port.isdigit():
        found.add(f"port:{port}")
    return frozenset(found)


def touched_subjects(command: str, variables: Mapping[str, str] | None = None) -> set[str]:
    """What a step's commands change (the subjects of `InferredCheck`): containers run,
    removed or stopped, host ports published, images pulled, tagged or removed, pushes."""
    found: set[str] = set()
    for written in read_commands(command).actions:
        action = _expanded(written, variables or {}) or written
        if isinstance(action, DockerRun):
            if action.name:
                found.add(f"container:{action.name}")
            found |= {f"port:{p.host_port}" for p in action.ports if p.host_port}
        elif isinstance(action, DockerRm | DockerStop):
            found |= {f"container:{n}" for n in action.names}
        elif isinstance(action, DockerPull):
            found.add(_image_subject(action.ref))
        elif isinstance(action, DockerTag):
            found.add(_image_subject(action.target))
        elif isinstance(action, DockerRmi):
            found |= {_image_subject(r) for r in action.refs}
        elif isinstance(action, DockerPush):  # the registry's content (not its port)
            found |= {x for x in _registry_subjects(action.ref) if x.startswith("registry:")}
        elif isinstance(action, MakeDirs):
            found |= {f"dir:{path}" for path in action.paths}
    return found


def container_ports(command: str) -> dict[str, set[str]]:
    """Container name -> `port:N` subjects it publishes, from a step's `docker run`s."""
    found: dict[str, set[str]] = {}
    for action in read_commands(command).actions:
        if isinstance(action, DockerRun) and action.name:
            ports = {f"port:{p.host_port}" for p in action.ports if p.host_port}
            found.setdefault(action.name, set()).update(ports)
    return found


def _a(name: str) -> Callable[..., Verdict]:
    """An assertion of lab.checks, imported on first use (it brings the docker SDK)."""
    import lab.checks

    assertion: Callable[..., Verdict] = getattr(lab.checks, name)
    return assertion


def _docker_credentials(host: str, config: Path | None = None) -> tuple[str | None, str | None]:
    """User and password `docker login HOST` stored in ~/.docker/config.json (or config)."""
    if config is None:
        config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    try:
        auths = json.loads(config.read_text()).get("auths", {})
    except (OSError, ValueError, AttributeError):
        return None, None
    for key in (host, f"https://{host}", f"http://{host}"):
        encoded = (auths.get(key) or {}).get("auth")
        if encoded:
            try:
                user, _, password = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, None
            return user, password
    return None, None


def _find_container(client: Any, name: str) -> Any:
    from lab.checks.containers import find_container

    return find_container(client, name)


def _registry_check(
    ref: str, digest: str | None, locate: Locate = Path, home: str | None = None
) -> Callable[[], Verdict]:
    def verify() -> Verdict:
        host = parse_reference(ref).registry
        ca = locate(str(CERTS_D / host / "ca.crt"))
        config = locate(f"{home}/.docker/config.json") if home is not None else None
        user, password = _docker_credentials(host, config)
        return _a("registry_has")(
            ref,
            digest,
            ca=ca if ca.is_file() else None,
            user=user,
            password=password,
            # Docker does not verify the certificate of a registry on a loopback address
            # (insecure by default), so a push there with a self-signed one goes through
            insecure=is_insecure_host(host),
        )

    return verify


def _engine_check(
    engine: Engine, check: Callable[..., Verdict], *args: Any
) -> Callable[[], Verdict]:
    def verify() -> Verdict:
        return check(*args, engine=engine())

    return verify


def _running_or_gone(engine: Engine, name: str, verb: str) -> Callable[[], Verdict]:
    def verify() -> Verdict:
        client = engine()
        container = _find_container(client, name)
        if container is None:
            return Verdict(True, f"container '{name}' is gone")
        container.reload()
        if container.status == "running":
            return Verdict(False, f"container '{name}' is still running after docker {verb}")
        return Verdict(True, f"container '{name}' is not running ({container.status})")

    return verify


def expand(text: str, variables: Mapping[str, str]) -> str | None:
    """text with $NAME / ${NAME} replaced from variables; None if one is unknown (or $(...))."""
    if "$(" in text or "`" in text:
        return None
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1) or match.group(2)
        if name not in variables:
            missing = True
            return ""
        return variables[name]

    result = _VARIABLE.sub(value, text)
    return None if missing or "$" in result else result


def expand_known(text: str, variables: Mapping[str, str]) -> str:
    """text with the variables that are known replaced (the others left as written)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))

    return _VARIABLE.sub(value, text)


def infer_checks(
    command: str,
    output: str,
    *,
    cwd: Path,
    engine: Engine,
    variables: Mapping[str, str] | None = None,
    locate: Locate = Path,
    home: str | None = None,
) -> list[InferredCheck]:
    """Checks for the final state a step's commands leave, in the order they were made.

    cwd: the shell's directory when the step started (relative paths are read from there);
    variables: what `$NAME` in a command stands for (captures, environment). Names that use
    unknown variables are not checked. locate and home: where the terminal's files are (a
    sandbox node's) and its home directory (None: this host's)."""
    known = variables or {}
    moved = False
    containers: dict[str, InferredCheck] = {}
    images: dict[str, InferredCheck] = {}
    pushes: dict[str, InferredCheck] = {}
    dirs: dict[str, InferredCheck] = {}
    push_lines = push_digests(output)
    pull_lines = pull_digests(output)
    pulls = 0
    for written in read_commands(command).actions:
        action = _expanded(written, known)
        if action is None:
            continue
        if isinstance(action, DockerPush):
            ref = with_tag(action.ref)
            try:
                tag = parse_reference(ref).tag
            except LabError:
                continue  # a reference built from variables: nothing to infer
            if tag is None:
                continue
            digest = next((d for t, d in push_lines if t == tag), None)
            if digest is not None:
                push_lines.remove((tag, digest))
            label = f"registry serves {ref}" + (f" as {digest}" if digest else "")
            pushes[ref] = InferredCheck(
                label, _registry_check(ref, digest, locate, home), _registry_subjects(ref)
            )
        elif isinstance(action, DockerPull):
            ref = with_tag(action.ref)
            digest = pull_lines[pulls] if pulls < len(pull_lines) else None
            pulls += 1
            label = f"image {ref} is present" + (f" with {digest}" if digest else "")
            images[ref] = InferredCheck(
                label,
                _engine_check(engine, _a("image_present"), ref, digest),
                frozenset({_image_subject(ref)}),
            )
        elif isinstance(action, DockerTag):
            ref = with_tag(action.target)
            images[ref] = InferredCheck(
                f"image {ref} is present",
                _engine_check(engine, _a("image_present"), ref),
                frozenset({_image_subject(ref)}),
            )
        elif isinstance(action, DockerRmi):
            for ref in map(with_tag, action.refs):
                images[ref] = InferredCheck(
                    f"image {ref} is gone",
                    _engine_check(engine, _a("image_absent"), ref),
                    frozenset({_image_subject(ref)}),
                )
        elif isinstance(action, DockerRun) and action.detached and not action.remove:
            name = action.name or container_id(output)
            if name is None:
                continue
            ports = {f"port:{p.host_port}" for p in action.ports if p.host_port}
            containers[name] = InferredCheck(
                f"container {name} is running",
                _engine_check(engine, _a("container_running"), name),
                frozenset({f"container:{name}", *ports}),
            )
            for port in action.ports:
                if port.protocol == "tcp":
                    key = f"{name}:{port.container_port}"
                    containers[key] = InferredCheck(
                        f"container {name} publishes port {port.container_port} and it answers",
                        _engine_check(engine, _a("port_published"), name, port.container_port),
                        frozenset({f"container:{name}", *ports}),
                    )
        elif isinstance(action, DockerRm):
            for name in action.names:
                _forget_ports(containers, name)
                containers[name] = InferredCheck(
                    f"container {name} is gone",
                    _engine_check(engine, _a("container_absent"), name),
                    frozenset({f"container:{name}"}),
                )
        elif isinstance(action, DockerStop):
            for name in action.names:
                _forget_ports(containers, name)
                containers[name] = InferredCheck(
                    f"container {name} is not running",
                    _running_or_gone(engine, name, action.verb),
                    frozenset({f"container:{name}"}),
                )
        elif isinstance(action, ChangeDir):
            moved = True
        elif isinstance(action, MakeDirs):
            for path in action.paths:
                full = _expand_home(path, home)
                relative = not os.path.isabs(full)
                if "$" in path or (moved and relative):
                    continue  # where it was made is not known for sure
                target = cwd / full if relative else locate(full)
                dirs[path] = InferredCheck(
                    f"directory {path} exists", _dir_check(target), frozenset({f"dir:{path}"})
                )
    return [*pushes.values(), *images.values(), *containers.values(), *dirs.values()]


def _expand_home(path: str, home: str | None) -> str:
    """`~` and `~/x` with home (None: ours)."""
    if home is not None and (path == "~" or path.startswith("~/")):
        return home + path[1:]
    return os.path.expanduser(path)


def _dir_check(target: Path) -> Callable[[], Verdict]:
    def verify() -> Verdict:
        return _a("file_exists")(target)

    return verify


def _forget_ports(containers: dict[str, InferredCheck], name: str) -> None:
    for key in [k for k in containers if k.startswith(f"{name}:")]:
        del containers[key]


def _expanded(action: Action, variables: Mapping[str, str]) -> Action | None:
    """The action with variables expanded in its names; None when one cannot be."""
    changes: dict[str, object] = {}
    for f in fields(action):
        if f.name == "bind_sources":
            continue  # not checked: `$(pwd)/data` there must not hide the container
        value = getattr(action, f.name)
        if isinstance(value, str) and "$" in value:
            changes[f.name] = expand(value, variables)
        elif isinstance(value, tuple) and any(isinstance(v, str) and "$" in v for v in value):
            changes[f.name] = tuple(expand(v, variables) for v in value)
    for value in changes.values():
        if value is None or (isinstance(value, tuple) and None in value):
            return None
    return replace(action, **changes) if changes else action  # type: ignore[arg-type]


def explain_failure(
    command: str,
    variables: Mapping[str, str] | None = None,
    locate: Locate = Path,
    home: str | None = None,
) -> list[InferredCheck]:
    """For a failed step: checks that say why (a pulled tag the registry does not have)."""
    found = []
    for raw in read_commands(command).actions:
        action = _expanded(raw, variables or {})
        if isinstance(action, DockerPull):
            ref = with_tag(action.ref)
            try:
                registry = parse_reference(ref).registry
            except LabError:
                continue
            if registry not in ("docker.io", "index.docker.io", "registry-1.docker.io"):
                check = _registry_check(ref, None, locate, home)
                found.append(InferredCheck(f"registry has {ref}", check))
    return found
