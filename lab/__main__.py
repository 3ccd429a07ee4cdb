"""Entry point for `python -m lab`."""

from lab.cli.main import entry

entry()
