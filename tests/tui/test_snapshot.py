"""The demo app after `echo hello`, as an SVG snapshot (`pytest --snapshot-update` to accept)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from lab.tui.terminal_demo import TerminalDemoApp
from lab.tui.widgets.terminal import TerminalView
from tests.tui.conftest import at_prompt
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


def test_echo_hello(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    async def echo_hello(pilot: Pilot[None]) -> None:
        view = pilot.app.query_one(TerminalView)
        await wait_until(lambda: at_prompt(view.screen_text()), 10, "the first prompt")
        await pilot.press(*"echo hello", "enter")
        await wait_until(
            lambda: view.screen_text()[:3] == ["$ echo hello", "hello", "$"], 10, "hello"
        )
        await pilot.pause(0.05)

    assert snap_compare(TerminalDemoApp(tmp_path), terminal_size=(80, 24), run_before=echo_hello)
