"""Sandbox nodes: a throw-away Docker host (a Docker-in-Docker container) per terminal, all of a
lesson's nodes on one private network, removed afterwards.

Over 400 lines: the Sandbox class is the nodes' whole life (make or adopt, relays, readiness,
down); the node image and mirror helpers at the top could move to a module of their own."""

from __future__ import annotations

import io
import os
import re
import secrets
import tarfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from requests.exceptions import RequestException

from lab.engine.cleanup import CleanupReport
from lab.errors import EnvironmentNotReady, LabError, UsageError
from lab.sandbox import owner as labels
from lab.sandbox.harden import hardened
from lab.sandbox.leftovers import remove_run
from lab.sandbox.mode import (
    NodeMode,
    caps_mode,
    detect_mode,
    engine_bounding_set,
    remaps_users,
)
from lab.sandbox.mode import refused_privileged as _refused
from lab.sandbox.node import Node, cgroup_files, nsenter
from lab.sandbox.owner import Owner
from lab.sandbox.relay import Relay
from lab.sandbox.seat import NodeLimits, Seat

T = TypeVar("T")

DEFAULT_IMAGE = "docker:dind"
"""The node image unless `--node-image` or LAB_NODE_IMAGE says otherwise."""
IMAGE_ENV = "LAB_NODE_IMAGE"
MIRROR_ENV = "LAB_NODE_MIRROR"
"""Registry mirrors for the nodes' engines (`--mirror`; several: separated by spaces or
commas), instead of the host engine's: e.g. a bundle's registry (`lab bundle serve`)."""
READY_TIMEOUT = 60.0
"""Seconds a node's inner dockerd gets to answer (measured: < 1 s on the test machine)."""
READY_POLL = 0.1
INIT = Path(__file__).with_name("node-init.sh")
"""The node's entrypoint script (copied into each node before it starts)."""
INIT_DIR = "/usr/local/bin"
"""Where the entrypoint is put in the node."""
NODE_BIN = Path(__file__).with_name("node-bin")
HELPERS = {
    "usr/local/sbin/dockerd": NODE_BIN / "dockerd",
    "usr/local/sbin/service": NODE_BIN / "service",
    "usr/local/bin/lab": NODE_BIN / "lab",
}
"""Commands lab adds to each node (path in the node -> file here): a `dockerd` that waits for
a stopping engine to go (PWD's `pkill dockerd; dockerd &`), `service docker restart`, and
`lab` (`lab assert` in checks, served by lab.sandbox.relay). /usr/local/sbin comes first on
the PATH of Debian's and docker:dind's images."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
HOST_HINT = "run lab as root on the machine of the Docker engine (as `scripts/test-env` sets up)"


def node_image(option: str | None = None) -> str:
    """The node image: the option, else LAB_NODE_IMAGE, else docker:dind."""
    return option or os.environ.get(IMAGE_ENV) or DEFAULT_IMAGE


def check_host() -> None:
    """What the host needs for sandbox nodes (root, nsenter); raises EnvironmentNotReady."""
    if os.geteuid() != 0:
        raise EnvironmentNotReady(
            "sandbox nodes need root: lab enters the nodes' namespaces and watches their "
            "processes for prompts",
            HOST_HINT,
        )
    nsenter()


def seen_from_node(mirror: str) -> str:
    """A mirror's URL as a node reaches it: one on the host's loopback is reached through the
    node's default gateway (`{gateway}` in node-init.sh)."""
    parts = urlsplit(mirror)
    if parts.hostname in LOOPBACK:
        port = f":{parts.port}" if parts.port else ""
        mirror = f"{parts.scheme}://{{gateway}}{port}{parts.path}"
    return mirror.rstrip("/")


def inner_mirrors(info: Mapping[str, Any]) -> list[str]:
    """The host engine's registry mirrors as a node reaches them."""
    return [seen_from_node(m) for m in (info.get("RegistryConfig") or {}).get("Mirrors") or []]


def given_mirrors(option: str | Sequence[str] | None = None) -> list[str] | None:
    """The nodes' mirrors asked for (option, else LAB_NODE_MIRROR), as nodes reach them;
    None when none is asked for (the nodes then use the host engine's)."""
    given = option if option is not None else os.environ.get(MIRROR_ENV, "")
    words = re.split(r"[\s,]+", given.strip()) if isinstance(given, str) else list(given)
    mirrors = [w for w in words if w]
    if not mirrors:
        return None
    for mirror in mirrors:
        if not re.fullmatch(r"https?://[^\s/]+/?", mirror.replace("{gateway}", "gateway")):
            raise UsageError(
                f"'{mirror}' is not a registry mirror address",
                "write it as http://HOST:PORT (`{gateway}` stands for the host as nodes reach "
                "it), e.g. --mirror http://{gateway}:5050",
            )
    return [seen_from_node(m) for m in mirrors]


def node_mirrors(info: Mapping[str, Any], option: str | Sequence[str] | None = None) -> list[str]:
    """The mirrors of the nodes' engines: the ones asked for, else the host engine's."""
    given = given_mirrors(option)
    return given if given is not None else inner_mirrors(info)


def _init_archive() -> bytes:
    """The entrypoint and the helpers, as a tar archive to unpack at the node's `/`."""
    files = {f"{INIT_DIR.strip('/')}/lab-node-init": INIT, **HELPERS}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, source in files.items():
            data = source.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o755, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class Sandbox:
    """The nodes of one lesson run. up() makes them (blocking), down() removes them; both
    may be called from worker threads, and down() stops an up() that is still running."""

    def __init__(
        self,
        engine: Callable[[], Any],
        *,
        lesson: Path,
        nodes: int,
        image: str | None = None,
        owner: Owner | None = None,
        mirrors: Sequence[str] | None = None,
        seat: Seat | None = None,
    ) -> None:
        self._engine = engine
        self.lesson = lesson
        self.count = max(1, nodes)
        self.image = node_image(image)
        self.mirrors = list(mirrors) if mirrors is not None else None
        """The nodes' registry mirrors (None: LAB_NODE_MIRROR, else the host engine's)."""
        self.seat = seat
        """A room's seat: its nodes are found again by later sessions, never removed here."""
        self.owner = seat.keeper if seat is not None else owner or Owner.current()
        self.run_id = seat.run_id(lesson) if seat is not None else secrets.token_hex(4)
        self.limits = seat.limits if seat is not None else NodeLimits()
        self.name = f"lab-{self.run_id}"
        """Prefix of every object's name; the network's name."""
        self.nodes: dict[int, Node] = {}
        self.mode: NodeMode | None = None
        self.leftovers = CleanupReport()
        """Leftovers of earlier runs whose lab died, removed by up()."""
        self.seconds = 0.0
        """How long up() took."""
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._relays: dict[int, Relay] = {}

    def labels(self, **extra: str) -> dict[str, str]:
        """The labels of every object of this sandbox."""
        return {
            **self.owner.labels(),
            **(self.seat.labels() if self.seat is not None else {}),
            labels.RUN: self.run_id,
            labels.LESSON: str(self.lesson.resolve()),
            **extra,
        }

    def node(self, terminal: int) -> Node:
        """The node of a terminal (after up())."""
        return self.nodes[terminal]

    # ------------------------------------------------------------------ up
    def up(self) -> None:
        """Make the network, then the nodes, and wait until every inner engine answers."""
        from lab.sandbox.leftovers import sweep

        started = time.monotonic()
        check_host()
        client = self._engine()
        self.leftovers = sweep(client)
        self._ensure_image(client)
        self.mode = detect_mode()
        if self.mode.name == "privileged" and remaps_users(client.info()):
            bounding, _ = engine_bounding_set()
            self.mode = caps_mode("the engine runs containers in user namespaces", bounding)
        if self.seat is None:
            self._make(client)
        else:
            with self.seat.locked(self.lesson):
                if not self._adopt(client):
                    remove_run(client, self.run_id)  # an incomplete set: start afresh
                    self._make(client)
        self._check_bash(self.nodes[1])
        self._start_relays()
        self.seconds = time.monotonic() - started

    def _make(self, client: Any) -> None:
        """Make the network and the nodes, and wait for their engines."""
        mirrors = node_mirrors(client.info(), self.mirrors)
        self._guarded(
            lambda: client.networks.create(self.name, driver="bridge", labels=self.labels())
        )
        containers = {t: self._create_node(client, t, mirrors) for t in range(1, self.count + 1)}
        for terminal, container in containers.items():
            self.nodes[terminal] = self._wait_ready(container, terminal)

    def _adopt(self, client: Any) -> bool:
        """Take up the seat's nodes an earlier session made (starting the ones stopped while
        their attendee was away); False when there is no complete set of them."""
        found: dict[int, Any] = {}
        for container in client.containers.list(
            all=True, filters={"label": f"{labels.RUN}={self.run_id}"}, ignore_removed=True
        ):
            terminal = (container.labels or {}).get(labels.TERMINAL, "")
            if terminal.isdigit():
                found[int(terminal)] = container
        if set(found) != set(range(1, self.count + 1)):
            return False
        for container in found.values():
            if container.status != "running":
                self._guarded(container.start)
        for terminal, container in sorted(found.items()):
            self.nodes[terminal] = self._wait_ready(container, terminal)
        return True

    def _start_relays(self) -> None:
        """Serve each node's `lab` command (lab.sandbox.relay) until down() or keep()."""
        for terminal, node in self.nodes.items():
            relay = Relay(node)
            try:
                relay.start()
            except OSError as exc:
                raise EnvironmentNotReady(
                    f"cannot serve lab's `lab` command in sandbox node {node.hostname}: {exc}",
                    "`lab doctor` checks the node image and mode",
                ) from exc
            with self._lock:
                self._relays[terminal] = relay

    def _stop_relays(self) -> None:
        with self._lock:
            relays, self._relays = list(self._relays.values()), {}
        for relay in relays:
            relay.stop()

    def _guarded(self, create: Callable[[], T]) -> T:
        """Create an object unless down() has begun (then nothing new appears after it)."""
        with self._lock:
            if self._closing.is_set():
                raise LabError("the sandbox was stopped while it started")
            return create()

    def _ensure_image(self, client: Any) -> None:
        ensure_image(client, self.image)

    def _create_node(self, client: Any, terminal: int, mirrors: list[str]) -> Any:
        hostname = f"node{terminal}"
        name = f"{self.name}-{hostname}"
        node_labels = self.labels(**{labels.NODE: hostname, labels.TERMINAL: str(terminal)})
        volume = self._guarded(lambda: client.volumes.create(name, labels=node_labels))
        assert self.mode is not None
        for _ in range(2):  # a second time in caps mode if --privileged is refused
            mode = self.mode

            def create(mode: NodeMode = mode) -> Any:
                return self._create_container(
                    client, mode, name, hostname, volume.name, node_labels, mirrors
                )

            container = self._guarded(create)
            self._put_init(container)
            try:
                container.start()
                return container
            except APIError as exc:
                message = str(getattr(exc, "explanation", None) or exc)
                container.remove(force=True)
                if mode.name != "privileged" or not _refused(message):
                    raise EnvironmentNotReady(
                        f"cannot start sandbox node {hostname}: {message}",
                        "`lab doctor` shows the node mode; LAB_NODE_MODE=caps avoids --privileged",
                    ) from exc
                bounding, _ = engine_bounding_set()
                self.mode = caps_mode(f"--privileged was refused: {message}", bounding)
        raise EnvironmentNotReady(f"cannot start sandbox node {hostname}")  # pragma: no cover

    def _create_container(
        self,
        client: Any,
        mode: NodeMode,
        name: str,
        hostname: str,
        volume: str,
        node_labels: dict[str, str],
        mirrors: list[str],
    ) -> Any:
        """docker create, through the low-level API: the SDK has no MaskedPaths/ReadonlyPaths
        (what the CLI's `--security-opt systempaths=unconfined` sets)."""
        api = client.api
        rights, extra = mode.host_config(), mode.host_config_extra()
        if self.limits.hardened:  # a room's node (lab.sandbox.harden)
            rights, extra = hardened(rights, mode.dropped), {"MaskedPaths": [], "ReadonlyPaths": []}
        host_config = api.create_host_config(
            init=True,  # the engine's tini as PID 1 reaps the dockerds a lesson restarts
            network_mode=self.name,
            binds={volume: {"bind": "/var/lib/docker", "mode": "rw"}},
            **rights,
            **self.limits.host_config(),
        )
        host_config.update(extra)
        created = api.create_container(
            self.image,
            name=name,
            hostname=hostname,
            labels=node_labels,
            environment={"LAB_MIRRORS": " ".join(mirrors)},
            entrypoint=["/bin/sh", f"{INIT_DIR}/lab-node-init"],
            command=[],
            detach=True,
            host_config=host_config,
            networking_config=api.create_networking_config(
                {self.name: api.create_endpoint_config(aliases=[hostname])}
            ),
        )
        return client.containers.get(created["Id"])

    def _put_init(self, container: Any) -> None:
        try:
            container.put_archive("/", _init_archive())
        except NotFound as exc:
            raise EnvironmentNotReady(
                f"the sandbox node image {self.image} has no {INIT_DIR} for lab's entrypoint",
                "use a Docker-in-Docker image such as docker:dind",
            ) from exc

    def _wait_ready(self, container: Any, terminal: int) -> Node:
        hostname = f"node{terminal}"
        deadline = time.monotonic() + READY_TIMEOUT
        node: Node | None = None
        while True:
            if self._closing.is_set():
                raise LabError("the sandbox was stopped while it started")
            container.reload()
            attrs = container.attrs
            state = attrs.get("State") or {}
            if state.get("Status") != "running":
                raise EnvironmentNotReady(
                    f"sandbox node {hostname} stopped while starting "
                    f"(exit {state.get('ExitCode')}): {_tail(container.logs())}",
                    "`lab doctor` checks the node image and mode",
                )
            if node is None:
                networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
                env = dict(e.split("=", 1) for e in (attrs.get("Config") or {}).get("Env") or [])
                node = Node(
                    terminal=terminal,
                    hostname=hostname,
                    container=container.name,
                    pid=int(state["Pid"]),
                    address=str((networks.get(self.name) or {}).get("IPAddress") or ""),
                    env={k: v for k, v in env.items() if k != "LAB_MIRRORS"},
                    cgroups=cgroup_files(int(state["Pid"])),
                )
            try:
                node.engine(timeout=5).close()
                return node
            except EnvironmentNotReady as exc:
                if time.monotonic() > deadline:
                    log = _tail(_read(node.path("/var/log/dockerd.log")))
                    raise EnvironmentNotReady(
                        f"the Docker engine in sandbox node {hostname} did not answer within "
                        f"{READY_TIMEOUT:g} s ({exc.message}); its dockerd.log ends: {log}",
                        "`lab doctor` checks the node image and mode",
                    ) from exc
            time.sleep(READY_POLL)

    def _check_bash(self, node: Node) -> None:
        path = node.base_env()["PATH"]
        if any(node.path(f"{d}/bash").exists() for d in path.split(":") if d):
            return
        raise EnvironmentNotReady(
            f"the sandbox node image {self.image} has no bash (lab's shells need it)",
            "use an image with bash (e.g. FROM docker:dind + `RUN apk add bash`) via "
            "--node-image, or `sudo scripts/test-env up` for lab's stand-in",
        )

    # ------------------------------------------------------------------ down
    def stop(self) -> None:
        """Make a running up() give up at its next step (before down() or keep())."""
        self._closing.set()

    def release(self) -> None:
        """Leave a seat's nodes to their room (and to the seat's next session, which serves
        their `lab` command again): stop serving it from here."""
        self._closing.set()
        self._stop_relays()

    def down(self) -> CleanupReport:
        """Remove the nodes, their volumes and the network (also ones up() is making)."""
        self._closing.set()
        self._stop_relays()
        with self._lock:
            try:
                client = self._engine()
            except LabError as exc:
                report = CleanupReport()
                report.failed.append(f"sandbox {self.name}: {exc.message}")
                return report
            return remove_run(client, self.run_id)

    def keep(self) -> None:
        """Leave the nodes running for `lab reset LESSON` (`lab run --keep`)."""
        from lab.sandbox.leftovers import mark_kept

        self._closing.set()
        self._stop_relays()
        with self._lock:
            mark_kept(self._engine(), self.run_id, self.labels())


def _split_ref(ref: str) -> tuple[str, str | None]:
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return repo, digest
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()[-4096:]
    except OSError:
        return b""


def _tail(data: bytes, lines: int = 3) -> str:
    text = data.decode("utf-8", "replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "(nothing logged)"


def ensure_image(client: Any, image: str) -> None:
    """The node image on this engine: pulled (through the engine's mirrors) when missing, or
    EnvironmentNotReady saying how to get one."""
    try:
        client.images.get(image)
        return
    except ImageNotFound:
        pass
    repo, tag = _split_ref(image)
    try:
        client.images.pull(repo, tag=tag)
    except (APIError, DockerException, RequestException) as exc:
        reason = getattr(exc, "explanation", None) or str(exc)
        raise EnvironmentNotReady(
            f"the sandbox node image {image} is not here and cannot be pulled: {reason}",
            "`sudo scripts/test-env up` provides a docker:dind stand-in through the local "
            "mirror; or name another image with --node-image (or LAB_NODE_IMAGE)",
        ) from exc
