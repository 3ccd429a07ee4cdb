"""One sandbox node as the host sees it: a shell or a check inside it, its engine, its files
and its network."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lab.engine.api import reason
from lab.errors import EnvironmentNotReady
from lab.sandbox.netns import call_in_netns
from lab.sandbox.paths import resolve_in
from lab.sandbox.restart import Restart, await_restart, dockerds
from lab.shell import ShellSession

T = TypeVar("T")

WORKDIR = "/root"
"""Where shells and checks start in a node (Play with Docker's nodes start there too)."""
STATE_DIR = "/root/.lab"
"""Where shells that keep their state keep it, in the node (its writable layer: it stays
while the node does, stopped or not)."""
DOCKER_SOCKET = "/var/run/docker.sock"
"""Where the inner dockerd listens, inside the node (also after a lesson restarts it)."""
JOIN_CGROUPS = (
    'while [ "$1" != -- ]; do echo $$ > "$1" 2>/dev/null || :; shift; done; shift; exec "$@"'
)
"""sh script: write our pid into each cgroup.procs file given before `--`, then exec the rest
(nsenter keeps the pid, so the shell's pty session stays ours)."""
CGROUP_ROOT = Path("/sys/fs/cgroup")


def nsenter() -> str:
    """The nsenter program that puts shells and checks into a node (util-linux)."""
    path = shutil.which("nsenter")
    if path is None:
        raise EnvironmentNotReady(
            "sandbox nodes need nsenter, which is not installed",
            "install util-linux (Debian: `apt-get install util-linux`)",
        )
    return path


@dataclass
class Node:
    """One running node: the container of a terminal, seen from the host."""

    terminal: int
    """The terminal whose shell runs in it."""
    hostname: str
    """`node1`, `node2`, ... (also its name on the sandbox network)."""
    container: str
    """The container's name."""
    pid: int
    """The host pid of the node's PID 1: its namespaces and its root directory."""
    address: str
    """Its IPv4 address on the sandbox network (`hostname -i` inside)."""
    env: dict[str, str] = field(default_factory=dict)
    """The image's environment (PATH, ...): shells and checks start from it."""
    workdir: str = WORKDIR
    cgroups: tuple[str, ...] = ()
    """The node's `cgroup.procs` files: shells and checks join its cgroups, as `docker exec`
    would (its limits apply, `docker top` lists them, and they go with the node)."""

    @property
    def root(self) -> Path:
        """The node's root directory, as the host sees it."""
        return Path(f"/proc/{self.pid}/root")

    def path(self, path: str) -> Path:
        """A path inside the node (links followed inside it), as a host path."""
        return resolve_in(self.root, path)

    def exec_prefix(self) -> list[str]:
        """Runs a command inside the node: its cgroups, all its namespaces, in its WORKDIR.
        The working directory is given through /proc, so that nsenter opens the node's."""
        wd = self.path(self.workdir)
        enter = [nsenter(), "-t", str(self.pid), "-a", f"--wd={wd}", "--"]
        if not self.cgroups:
            return enter
        return ["/bin/sh", "-c", JOIN_CGROUPS, "lab-node-exec", *self.cgroups, "--", *enter]

    def base_env(self) -> dict[str, str]:
        """The environment processes in the node start from."""
        env = dict(self.env)
        env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        env.setdefault("HOME", WORKDIR)
        return env

    def shell(self, name: str, env: Mapping[str, str], *, keep_state: bool = False) -> ShellSession:
        """A (not yet started) shell for the node; env: the lesson's variables. keep_state:
        the shell keeps its variables and directory in the node (STATE_DIR/NAME.sh), and a
        later shell of the same name takes them up (a workshop attendee's page refreshed)."""
        state = f"{STATE_DIR}/{name}.sh" if keep_state else None
        return ShellSession(
            cwd=Path("/"),  # the host side of nsenter; the shell starts in the node's WORKDIR
            env=env,
            name=name,
            argv_prefix=self.exec_prefix(),
            rc_dir=(self.path("/tmp"), "/tmp"),
            base_env=self.base_env(),
            state_file=self.path(state) if state else None,
            state_file_as=state,
        )

    def engine(self, timeout: float = 30.0) -> Any:
        """A docker client of the node's inner engine (through its socket, via /proc)."""
        import docker  # the SDK: only once an inner engine is asked something
        from docker.errors import DockerException
        from requests.exceptions import RequestException

        socket = self.path(DOCKER_SOCKET)
        try:
            client = docker.DockerClient(base_url=f"unix://{socket}", timeout=timeout)
            client.ping()
        except (DockerException, RequestException, OSError) as exc:
            raise EnvironmentNotReady(
                f"cannot reach the Docker engine of {self.hostname} ({reason(exc)})",
                f"is dockerd running in {self.hostname}? `docker info` in its terminal tells",
            ) from exc
        return client

    def dockerds(self) -> set[int]:
        """Host pids of the node's dockerd processes (before a step: see await_restart)."""
        return dockerds(self.pid)

    def await_restart(self, before: set[int], command: str = "") -> Restart | None:
        """After a step (that ran command): if it started a dockerd (not in before), wait until
        the node's engine answers again (None when it started none). Blocking."""
        return await_restart(
            self.pid, self.path(DOCKER_SOCKET), before, hostname=self.hostname, command=command
        )

    def call(self, fn: Callable[[], T]) -> T:
        """fn() with the node's network: 127.0.0.1 and published ports are the node's."""
        return call_in_netns(self.pid, fn)

    def cwd_of(self, shell_pid: int) -> Path | None:
        """The current directory of a shell started by shell() (its nsenter's child)."""
        try:
            with open(f"/proc/{shell_pid}/task/{shell_pid}/children", encoding="ascii") as f:
                children = f.read().split()
            inside = os.readlink(f"/proc/{children[0]}/cwd")
        except (OSError, IndexError):
            return None
        return self.path(inside)


def cgroup_files(pid: int) -> tuple[str, ...]:
    """The cgroup.procs files of the cgroups process pid is in (cgroup v1 and v2, as mounted
    under /sys/fs/cgroup on this host)."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text(encoding="ascii").splitlines()
    except OSError:
        return ()
    found = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2 (alone, or beside v1 as `unified`)
            dirs = [CGROUP_ROOT / "unified", CGROUP_ROOT]
        else:
            names = [c.removeprefix("name=") for c in controllers.split(",")]
            dirs = [CGROUP_ROOT / ",".join(names), *(CGROUP_ROOT / n for n in names)]
        for base in dirs:
            procs = base / path.lstrip("/") / "cgroup.procs"
            if procs.is_file():
                found.append(str(procs))
                break
    return tuple(dict.fromkeys(found))
