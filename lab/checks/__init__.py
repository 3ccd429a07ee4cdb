"""Docker-aware assertions (images, containers, ports, registries, HTTP, files): a headless core."""

from lab.checks.assertions import ASSERTIONS, Assertion
from lab.checks.containers import container_absent, container_exists, container_running
from lab.checks.engine import connect
from lab.checks.files import file_contains, file_exists
from lab.checks.images import image_absent, image_present
from lab.checks.ports import port_answering, port_published
from lab.checks.reference import Reference, parse_reference
from lab.checks.registry import Manifest, RegistryClient, RegistryError
from lab.checks.remote import http_status, registry_has
from lab.checks.verdict import Verdict

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
