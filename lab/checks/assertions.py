"""The catalogue of assertions, by the names lessons and `lab assert` use."""

from __future__ import annotations

from collections.abc import Callable

from lab.checks.containers import container_absent, container_exists, container_running
from lab.checks.files import file_contains, file_exists
from lab.checks.images import image_absent, image_present
from lab.checks.ports import port_answering, port_published
from lab.checks.remote import http_status, registry_has
from lab.checks.verdict import Verdict

Assertion = Callable[..., Verdict]

ASSERTIONS: dict[str, Assertion] = {
    "image_present": image_present,
    "image_absent": image_absent,
    "container_running": container_running,
    "container_exists": container_exists,
    "container_absent": container_absent,
    "port_published": port_published,
    "port_answering": port_answering,
    "registry_has": registry_has,
    "http_status": http_status,
    "file_exists": file_exists,
    "file_contains": file_contains,
}
"""Every assertion by name (`lab assert` spells them with dashes: `image-present`)."""
