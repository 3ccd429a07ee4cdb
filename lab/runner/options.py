"""How to run a lesson: the options of a run, and the timeouts when nothing says."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the sandbox package imports the docker SDK: not for runs on this host
    from lab.sandbox import Seat

DEFAULT_TIMEOUT = 300.0
"""Seconds a step may take when neither the step, the lesson nor the command line says."""
CHECK_TIMEOUT = 60.0
"""Seconds a check may take by default."""


@dataclass(frozen=True)
class RunOptions:
    """How to run a lesson."""

    timeout: float | None = None
    """Default step timeout (overrides the lesson's `lab.timeout`)."""
    fail_fast: bool = False
    """Stop at the first failing step; the rest are reported as skipped."""
    strict_output: bool = False
    """Drift from the expected output fails the step."""
    keep_workspace: bool = False
    """Leave the run's workspace directory in place."""
    workspace: Path | None = None
    """Use this directory instead of a fresh temporary one (never deleted)."""
    infer: bool = True
    """Add checks inferred from what steps run (the lesson and each step may turn them off)."""
    cleanup: bool = True
    """Afterwards, remove what the lesson created on the host (containers, images, volumes,
    networks, files under /etc/docker); False (`--keep`) leaves it for `lab reset`."""
    interactive: bool = False
    """A learner's session (the TUI): it may span restarts, so the earliest host snapshot on
    record is kept, and the workspace given in `workspace` is reused."""
    sandbox: bool | None = None
    """Run each terminal in its own throw-away Docker host (a sandbox node); None: as the
    lesson's `lab: {sandbox: ...}` says."""
    node_image: str | None = None
    """The sandbox node image (None: LAB_NODE_IMAGE, else docker:dind)."""
    shell_state: Path | None = None
    """A directory where each terminal's shell on this host keeps its state between
    sessions (`termN.sh`: its variables and directory, sourced when it starts)."""
    guard: bool = True
    """On this host, the lesson's shells and checks reach the engine through lab's engine
    guard, which refuses to remove or change what existed before the lesson. False (no
    command line flag sets it) is for measuring what the guard costs (bench/seed.py)."""
    seat: Seat | None = None
    """A workshop room's seat (`lab serve`): the lesson runs in sandbox nodes that the room
    keeps between sessions; the run finds them again, and leaves them to the room."""
