"""Docker-aware assertions (images, containers, ports, registries, HTTP, files): a headless core.

Names are imported on first use (PEP 562), so that `lab` commands that never talk to the
engine do not pay for importing the docker SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lab.checks.assertions import ASSERTIONS, Assertion
    from lab.checks.containers import container_absent, container_exists, container_running
    from lab.checks.files import file_contains, file_exists
    from lab.checks.images import image_absent, image_present
    from lab.checks.ports import port_answering, port_published
    from lab.checks.registry import Manifest, RegistryClient, RegistryError
    from lab.checks.remote import http_status, registry_has
    from lab.checks.verdict import Verdict
    from lab.engine.sdk import connect
    from lab.lesson.reference import Reference, parse_reference

_HOMES = {
    "ASSERTIONS": "lab.checks.assertions",
    "Assertion": "lab.checks.assertions",
    "container_absent": "lab.checks.containers",
    "container_exists": "lab.checks.containers",
    "container_running": "lab.checks.containers",
    "connect": "lab.engine.sdk",
    "file_contains": "lab.checks.files",
    "file_exists": "lab.checks.files",
    "image_absent": "lab.checks.images",
    "image_present": "lab.checks.images",
    "port_answering": "lab.checks.ports",
    "port_published": "lab.checks.ports",
    "Reference": "lab.lesson.reference",
    "parse_reference": "lab.lesson.reference",
    "Manifest": "lab.checks.registry",
    "RegistryClient": "lab.checks.registry",
    "RegistryError": "lab.checks.registry",
    "http_status": "lab.checks.remote",
    "registry_has": "lab.checks.remote",
    "Verdict": "lab.checks.verdict",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'lab.checks' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "ASSERTIONS",
    "Assertion",
    "Manifest",
    "Reference",
    "RegistryClient",
    "RegistryError",
    "Verdict",
    "connect",
    "container_absent",
    "container_exists",
    "container_running",
    "file_contains",
    "file_exists",
    "http_status",
    "image_absent",
    "image_present",
    "parse_reference",
    "port_answering",
    "port_published",
    "registry_has",
]
