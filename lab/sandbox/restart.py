"""A step that restarts a node's Docker engine is done when the new engine answers: the
dockerds the step started are watched until their engine answers, they exit, or time runs out."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from lab.engine.api import SocketEngine
from lab.errors import LabError

RESTART_TIMEOUT = 60.0
"""Seconds a restarted engine gets to answer (a stopping dockerd stops its containers first:
up to its shutdown timeout, 15 s by default, and the new one then starts in ~1 s)."""
POLL = 0.1
PROC = Path("/proc")
RESTART_WORDS = re.compile(
    r"\bdockerd\b|\bservice\s+docker\b|\binit\.d/docker\b|\bsystemctl\s+\S+\s+docker\b"
)
"""A step whose command says one of these may start a dockerd."""
START_GRACE = 2.0
"""Seconds such a step's dockerd gets to appear: `dockerd &` in a step's last line is still a
forked shell, not yet a dockerd, when the step's prompt comes back."""


@dataclass(frozen=True)
class Restart:
    """What became of an engine restart a step began."""

    ok: bool
    seconds: float
    """How long lab waited for it."""
    message: str


def dockerds(pid: int, proc: Path = PROC) -> set[int]:
    """Host pids of the dockerd daemons in the pid namespace of process pid (a node's: the
    engine, or lab's dockerd wrapper waiting for an old engine to go). A process named
    dockerd whose parent is one too is a helper the engine runs (it re-executes itself to
    unpack images, set up networks, ...), not a daemon."""
    try:
        namespace = os.readlink(proc / str(pid) / "ns" / "pid")
    except OSError:
        return set()
    named: dict[int, int] = {}  # pid -> parent pid
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text(encoding="utf-8").strip() != "dockerd":
                continue
            if os.readlink(entry / "ns" / "pid") != namespace:
                continue
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:  # gone meanwhile
            continue
        named[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return {p for p, parent in named.items() if parent not in named}


def answers(socket: Path, timeout: float = 2.0) -> bool:
    """Whether an engine answers on the unix socket."""
    try:
        SocketEngine(str(socket), timeout).ping()
    except LabError:
        return False
    return True


def await_restart(
    pid: int,
    socket: Path,
    before: set[int],
    *,
    hostname: str,
    command: str = "",
    timeout: float = RESTART_TIMEOUT,
    proc: Path = PROC,
) -> Restart | None:
    """After a step in the node whose PID 1 is pid: None when the step started no dockerd
    (its engine, if any, was left alone); else wait until the engine answers on socket and
    no dockerd of before (the ones that ran before the step) is left, or the dockerds the step
    started have all exited, or timeout passes. command: the step's, which may announce a
    dockerd that is still on its way (RESTART_WORDS). Blocking."""
    started = time.monotonic()
    grace = started + (START_GRACE if RESTART_WORDS.search(command) else 0.0)
    while not (now := dockerds(pid, proc)) - before:
        stopped = before and not now & before  # the step stopped the engine, started none
        if stopped or time.monotonic() >= grace:
            return None
        time.sleep(POLL)
    while True:
        now = dockerds(pid, proc)
        waited = time.monotonic() - started
        if not now - before:  # what the step started has exited
            if answers(socket):
                return Restart(True, waited, "")
            return Restart(
                False,
                waited,
                f"the dockerd this step started in {hostname} exited and no Docker engine "
                "answers there (run the command without `> /dev/null` to see why)",
            )
        if not now & before and answers(socket):
            return Restart(True, waited, "")
        if waited > timeout:
            still = "the old dockerd has not exited" if now & before else "it does not answer"
            return Restart(
                False,
                waited,
                f"the Docker engine this step restarted in {hostname} did not answer within "
                f"{timeout:g} s ({still})",
            )
        time.sleep(POLL)
