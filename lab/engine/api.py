"""Reading the Docker Engine API quickly: the engine's unix socket through the standard library.

`lab run` asks the engine a handful of questions before its first step can start (the
preflight and the snapshot of the host). The docker SDK answers them as well, but importing it
(with requests and urllib3) takes ~70 ms on the machines we measure, about a twentieth of a
whole run of the seed lesson, all of it before the learner's first command. So those questions
go through this small reader, and the SDK, which checks and cleanup use, is imported while the
first step runs (lab.runner.warmup).

This is deliberately not a general client: it only reads (GET) and only talks to a local unix
socket. Any other engine address (tcp://, ssh://, TLS) is read through the docker SDK with the
same interface (`lab.engine.reader`), so callers never need to know which one they have.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

from lab.errors import EnvironmentNotReady, LabError

DEFAULT_HOST = "unix:///var/run/docker.sock"
"""Where the engine is when DOCKER_HOST is not set (as the docker CLI and SDK assume)."""
HINT = "start it (e.g. `sudo scripts/test-env up`, or `sudo dockerd &`) and run `lab doctor`"
CHUNK = 1024 * 1024
"""Bytes read at a time when streaming an image archive."""


def engine_address() -> str:
    """The engine address in use: DOCKER_HOST, else the default unix socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def unreachable(address: str, exc: BaseException) -> EnvironmentNotReady:
    """The error for an engine that cannot be reached, with the innermost reason."""
    return EnvironmentNotReady(f"cannot reach the Docker engine at {address} ({reason(exc)})", HINT)


def reason(exc: BaseException) -> str:
    """The innermost cause, briefly: `permission denied`, `no such file or directory`."""
    inner: BaseException = exc
    while inner.__cause__ is not None or inner.__context__ is not None:
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror.lower()
    text = str(inner) or type(inner).__name__
    return text.splitlines()[0][:200]


def path_of(template: str, *names: str) -> str:
    """An API path with names (image references, IDs) quoted as the docker SDK quotes them."""
    return template.format(*(quote(name, safe="/:") for name in names))


class EngineRequestError(LabError):
    """The engine answered a request with an error status."""

    def __init__(self, status: int, explanation: str) -> None:
        super().__init__(explanation)
        self.status = status
        self.explanation = explanation
        """What the engine said (its JSON `message`), as the SDK's errors call it."""


def explanation(status: int, body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        message = json.loads(text).get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message or text or f"HTTP {status}")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class SocketEngine:
    """GET requests to an engine on a unix socket; one connection per request, so it can be
    used from several threads at once."""

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self.address = f"unix://{path}"

    def _open(self, path: str, params: dict[str, str]) -> tuple[_UnixConnection, Any]:
        target = path + ("?" + urlencode(params) if params else "")
        conn = _UnixConnection(self.path, self.timeout)
        try:
            conn.request("GET", target, headers={"Host": "docker"})
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise unreachable(self.address, exc) from exc
        return conn, response

    def _read(self, path: str, params: dict[str, str]) -> bytes:
        conn, response = self._open(path, params)
        try:
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise unreachable(self.address, exc) from exc
        finally:
            conn.close()
        if response.status >= 400:
            raise EngineRequestError(response.status, explanation(response.status, body))
        return bytes(body)

    def ping(self) -> None:
        """Returns when the engine answers; EnvironmentNotReady when it does not."""
        self._read("/_ping", {})

    def get(self, path: str, **params: str) -> Any:
        """The decoded JSON answer to GET path (unversioned: the engine's own API version)."""
        return json.loads(self._read(path, params))

    def stream(self, path: str) -> Iterator[bytes]:
        """The body of GET path, in chunks (an image archive can be large)."""
        conn, response = self._open(path, {})
        try:
            if response.status >= 400:
                raise EngineRequestError(
                    response.status, explanation(response.status, response.read())
                )
            while chunk := response.read(CHUNK):
                yield chunk
        except (OSError, http.client.HTTPException) as exc:
            raise unreachable(self.address, exc) from exc
        finally:
            conn.close()


def image_tags(image: dict[str, Any]) -> list[str]:
    """An image's `repo:tag` names (from a listing or an inspect), as the SDK's Image.tags."""
    return [tag for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]
