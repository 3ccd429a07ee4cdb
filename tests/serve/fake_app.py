"""A stand-in for lab's app in the room's server tests (no Docker, no root): a Textual app
that shows what the room handed it, so a test can read it off the screen."""

import os

from textual.app import App, ComposeResult
from textual.widgets import Input, Static


class HandedOver(App[None]):
    def compose(self) -> ComposeResult:
        name = os.environ.get("LAB_SERVE_NAME", "?")
        state = os.environ.get("LAB_STATE_DIR", "?")
        yield Static(f"hello {name}")
        yield Static(f"state {os.path.basename(state)}")
        yield Static(f"pid {os.getpid()}")
        yield Input(id="typed")


if __name__ == "__main__":
    HandedOver().run()
