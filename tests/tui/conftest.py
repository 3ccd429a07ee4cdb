"""A Textual app around one TerminalView over a real bash, and helpers to drive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input

from lab.shell import ShellSession
from lab.tui.widgets.terminal import TerminalView
from tests.waiting import wait_until

SIZE = (80, 24)
"""Columns, rows of the test app's terminal window."""


class TerminalTestApp(App[None]):
    """A lesson stand-in (an Input) above a terminal; F6 switches focus between them."""

    ENABLE_COMMAND_PALETTE = False
    CSS = "Input { height: 3; }"
    BINDINGS = [(TerminalView.FOCUS_KEY, "switch_focus", "Switch focus")]

    def __init__(self, cwd: Path) -> None:
        super().__init__()
        self.session = ShellSession(cwd=cwd)
        self.exits: list[TerminalView.ShellExited] = []

    def compose(self) -> ComposeResult:
        yield Input(id="lesson")
        yield TerminalView(self.session)

    async def on_mount(self) -> None:
        self.query_one(TerminalView).focus()
        await self.session.start()

    async def on_unmount(self) -> None:
        await self.session.close()

    def action_switch_focus(self) -> None:
        view = self.query_one(TerminalView)
        (self.query_one(Input) if view.has_focus else view).focus()

    def on_terminal_view_shell_exited(self, message: TerminalView.ShellExited) -> None:
        self.exits.append(message)


def at_prompt(lines: list[str]) -> bool:
    """The last non-blank row is the bare prompt."""
    text = [line for line in lines if line]
    return bool(text) and text[-1] == "$"


@dataclass
class Term:
    """The running test app, its pilot and its terminal."""

    app: TerminalTestApp
    pilot: Pilot[None]
    view: TerminalView

    def lines(self) -> list[str]:
        return self.view.screen_text()

    async def type(self, text: str) -> None:
        """Press a key for each character (Pilot names them)."""
        await self.pilot.press(*text)

    async def paste(self, text: str) -> None:
        """Paste `text` into the terminal (quicker than typing a long command)."""
        self.view.post_message(events.Paste(text))
        await wait_until(
            lambda: text.splitlines()[-1] in "".join(self.lines()), 10, "the pasted text"
        )

    async def run(self, command: str, timeout: float = 10.0, *, paste: bool = False) -> list[str]:
        """Type (or paste) `command`, press Enter; wait for it to finish; return the screen."""
        await (self.paste(command) if paste else self.type(command))
        await self.pilot.press("enter")
        await wait_until(lambda: self.view.session.busy or at_prompt(self.lines()), 10, command)
        await wait_until(
            lambda: not self.view.session.busy and at_prompt(self.lines()), timeout, command
        )
        return self.lines()


@pytest.fixture
async def term(tmp_path: Path) -> AsyncIterator[Term]:
    """The test app running headless with a prompt on its terminal."""
    app = TerminalTestApp(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(TerminalView)
        await wait_until(lambda: at_prompt(view.screen_text()), 10, "the first prompt")
        yield Term(app, pilot, view)
