"""The host's Docker engine as a run uses it: one client for checks, a quick reader for the
snapshot, a fresh client for cleanup."""

from __future__ import annotations

from typing import Any

from lab.engine import EngineFactory, default_engine
from lab.engine.reader import Engine as Reader
from lab.engine.reader import as_api, connect_api


class EngineConnection:
    """Connects to the host's engine only when something asks it (a lesson without Docker
    never does). factory: gives a docker SDK client (default: this machine's engine)."""

    def __init__(self, factory: EngineFactory | None = None) -> None:
        self.factory: EngineFactory = factory or default_engine
        self._client: Any = None

    def client(self) -> Any:
        """The docker client for checks, connected on first use (EnvironmentNotReady if none)."""
        if self._client is None:
            self._client = self.factory()
        return self._client

    def reader(self) -> Reader:
        """What the host snapshot reads the engine with: without the docker SDK (quick to
        start) unless a client factory was given."""
        if self.factory is default_engine and self._client is None:
            return connect_api()
        return as_api(self.client())

    def fresh(self) -> Any:
        """A client that answers now (reconnects: the engine may have restarted mid-run)."""
        self._client = None
        client = self.client()
        client.ping()
        return client
