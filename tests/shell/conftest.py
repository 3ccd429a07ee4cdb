"""Fixtures for real-bash shell session tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lab.shell import ShellSession


@pytest.fixture
async def shell(tmp_path: Path) -> AsyncIterator[ShellSession]:
    """A started deterministic session in an empty workspace; closed afterwards."""
    session = ShellSession(cwd=tmp_path)
    await session.start()
    yield session
    await session.close()
