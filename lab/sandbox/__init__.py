"""Sandbox nodes: each terminal on its own throw-away Docker host (Docker-in-Docker), like
Play with Docker's nodes. Headless core: no Textual.

Names are imported on first use (PEP 562): `lab assert`, relayed from a node, reads
lab.sandbox.place without paying for the docker SDK that the nodes themselves need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lab.sandbox.leftovers import find_nodes, remove_run, sweep
    from lab.sandbox.mode import NodeMode, detect_mode
    from lab.sandbox.node import Node
    from lab.sandbox.nodes import DEFAULT_IMAGE, Sandbox, check_host, node_image
    from lab.sandbox.owner import Owner
    from lab.sandbox.seat import NodeLimits, Seat, remove_room

_HOMES = {
    "find_nodes": "lab.sandbox.leftovers",
    "remove_run": "lab.sandbox.leftovers",
    "sweep": "lab.sandbox.leftovers",
    "NodeMode": "lab.sandbox.mode",
    "detect_mode": "lab.sandbox.mode",
    "Node": "lab.sandbox.node",
    "DEFAULT_IMAGE": "lab.sandbox.nodes",
    "Sandbox": "lab.sandbox.nodes",
    "check_host": "lab.sandbox.nodes",
    "node_image": "lab.sandbox.nodes",
    "Owner": "lab.sandbox.owner",
    "NodeLimits": "lab.sandbox.seat",
    "Seat": "lab.sandbox.seat",
    "remove_room": "lab.sandbox.seat",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'lab.sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "DEFAULT_IMAGE",
    "Node",
    "NodeLimits",
    "NodeMode",
    "Owner",
    "Sandbox",
    "Seat",
    "check_host",
    "detect_mode",
    "find_nodes",
    "node_image",
    "remove_room",
    "remove_run",
    "sweep",
]
