"""The headless shell session: bash in a pty, command completion told by OSC 133 marks."""

from __future__ import annotations

from lab.shell.result import Answerer, CommandResult, Outcome
from lab.shell.session import ShellSession

__all__ = ["Answerer", "CommandResult", "Outcome", "ShellSession"]
