"""Where the Docker engine is asked: the quick socket reader and the docker SDK side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EngineFactory = Callable[[], Any]
"""Gives a docker SDK client (raises EnvironmentNotReady when no engine answers)."""


def default_engine() -> Any:
    """A docker SDK client of this machine's engine (the SDK is imported on the first call)."""
    from lab.engine.sdk import connect

    return connect()
