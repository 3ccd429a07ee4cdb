"""Where `lab assert` looks: this host, or the sandbox node whose `lab` command relayed it
(lab.sandbox.relay runs it on the host with the node's engine and network; these variables
name the node's files)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from lab.sandbox.paths import resolve_in

ROOT_ENV = "LAB_NODE_ROOT"
"""The node's root directory as the host sees it (/proc/PID/root); unset on the host."""
CWD_ENV = "LAB_NODE_CWD"
"""The relayed command's directory inside the node."""
HOST_ENGINE_ENV = "LAB_HOST_DOCKER_HOST"
"""The host's engine address (DOCKER_HOST is then the node's)."""
TTY_ENV = "LAB_RELAY_TTY"
"""1 when the relayed command's output goes to a terminal in the node."""


def node_root() -> Path | None:
    """The node's root directory, when a node's `lab` relayed this command."""
    root = os.environ.get(ROOT_ENV)
    return Path(root) if root else None


def locate(path: str) -> str:
    """The host path to read for a path given on the command line (in a node: resolved
    inside the node, relative to the directory the node's `lab` ran in)."""
    root = node_root()
    if root is None:
        return path
    inside = posixpath.join(os.environ.get(CWD_ENV) or "/", path)
    return str(resolve_in(root, inside))


def shown(text: str) -> str:
    """text with host paths into the node written as the node knows them."""
    root = node_root()
    if root is None:
        return text
    inside = os.environ.get(CWD_ENV) or "/"
    if inside != "/":  # relative paths read relative again
        text = text.replace(str(resolve_in(root, inside)) + "/", "")
    return text.replace(str(root), "")


def to_terminal(isatty: bool) -> bool:
    """Whether the output goes to a terminal (in a node: the node's `lab` says)."""
    return isatty or os.environ.get(TTY_ENV) == "1"


def host_engine() -> str | None:
    """The host's engine address when this command runs for a node, else None."""
    return os.environ.get(HOST_ENGINE_ENV) if node_root() is not None else None
