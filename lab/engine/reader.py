"""One interface for reading the engine: the socket reader (lab.engine.api) or the docker SDK.

Callers get an `Engine` from `connect_api()` (or wrap an SDK client with `as_api()`) and never
need to know which kind they have. The SDK is imported only for engine addresses the socket
reader does not serve.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from lab.engine.api import (
    CHUNK,
    EngineRequestError,
    SocketEngine,
    engine_address,
    explanation,
    path_of,
    unreachable,
)


class SDKEngine:
    """The same reads through a docker SDK client (any engine address the SDK supports)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._api = client.api

    def _response(self, path: str, params: dict[str, str], *, stream: bool = False) -> Any:
        from requests.exceptions import RequestException

        try:
            response = self._api.get(self._api.base_url + path, params=params, stream=stream)
        except (RequestException, OSError) as exc:
            raise unreachable(engine_address(), exc) from exc
        if response.status_code >= 400:
            raise EngineRequestError(
                response.status_code, explanation(response.status_code, response.content)
            )
        return response

    def ping(self) -> None:
        """Returns when the engine answers; EnvironmentNotReady when it does not."""
        self._response("/_ping", {})

    def get(self, path: str, **params: str) -> Any:
        """The decoded JSON answer to GET path."""
        return self._response(path, params).json()

    def stream(self, path: str) -> Iterator[bytes]:
        """The body of GET path, in chunks."""
        yield from self._response(path, {}, stream=True).iter_content(CHUNK)


Engine = SocketEngine | SDKEngine
"""What reads the engine: either kind answers the same requests the same way."""


def connect_api(timeout: float = 30.0) -> Engine:
    """A reader of the engine at engine_address() that answers (EnvironmentNotReady if none):
    the unix socket directly, anything else through the docker SDK."""
    address = engine_address()
    if address.startswith("unix://"):
        engine = SocketEngine(address.removeprefix("unix://"), timeout)
        engine.ping()
        return engine
    from lab.engine.sdk import connect

    return SDKEngine(connect(timeout))


def as_api(engine: Any) -> Engine:
    """engine as a reader: a reader as it is, a docker SDK client wrapped."""
    if isinstance(engine, SocketEngine | SDKEngine):
        return engine
    return SDKEngine(engine)


def save_image(engine: Engine, ref: str, into: BinaryIO) -> None:
    """Write `docker save REF` into a file."""
    for chunk in engine.stream(path_of("/images/{}/get", ref)):
        into.write(chunk)
