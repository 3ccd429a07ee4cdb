"""Textual widgets of the lab TUI."""

from __future__ import annotations

from lab.tui.widgets.terminal import TerminalView

__all__ = ["TerminalView"]
