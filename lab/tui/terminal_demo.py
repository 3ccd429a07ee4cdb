"""`python -m lab.tui.terminal_demo`: one TerminalView over a fresh shell in a temp dir.

Used by the benchmark (bench/tui.py) and the end-to-end tests in tmux.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from textual.app import App, ComposeResult

from lab.shell import ShellSession
from lab.tui.widgets.terminal import TerminalView


class TerminalDemoApp(App[int | None]):
    """A terminal and nothing else; quits when the shell exits (or on ctrl+q)."""

    TITLE = "lab terminal"
    ENABLE_COMMAND_PALETTE = False  # ctrl+p goes to the shell (history)

    def __init__(self, cwd: Path | None = None) -> None:
        super().__init__()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if cwd is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="lab-terminal-")
            cwd = Path(self._tmp.name)
        self.session = ShellSession(cwd=cwd)

    def compose(self) -> ComposeResult:
        yield TerminalView(self.session)

    async def on_mount(self) -> None:
        self.query_one(TerminalView).focus()
        await self.session.start()

    async def on_unmount(self) -> None:
        await self.session.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def on_terminal_view_shell_exited(self, message: TerminalView.ShellExited) -> None:
        self.exit(message.exit_status)  # the session is closed on unmount


def main() -> None:
    """Run the demo in this terminal."""
    TerminalDemoApp().run()


if __name__ == "__main__":
    main()
