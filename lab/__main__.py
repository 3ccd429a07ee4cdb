"""Entry point for `python -m lab`."""

from lab.cli import entry

entry()
