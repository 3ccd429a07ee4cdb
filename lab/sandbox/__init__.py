"""Sandbox nodes: each terminal on its own throw-away Docker host (Docker-in-Docker), like
Play with Docker's nodes. Headless core: no Textual."""

from lab.sandbox.leftovers import find_nodes, remove_run, sweep
from lab.sandbox.mode import NodeMode, detect_mode
from lab.sandbox.node import Node
from lab.sandbox.nodes import DEFAULT_IMAGE, Sandbox, check_host, node_image
from lab.sandbox.owner import Owner

__all__ = [
    "DEFAULT_IMAGE",
    "Node",
    "NodeMode",
    "Owner",
    "Sandbox",
    "check_host",
    "detect_mode",
    "find_nodes",
    "node_image",
    "remove_run",
    "sweep",
]
