"""Exit codes of the `lab` command: public API, documented in the README."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """What `lab` exits with."""

    OK = 0
    """Everything passed (lint: clean or warnings only)."""
    FAILED = 1
    """A step or check failed, or lint found errors."""
    USAGE = 2
    """Bad command line, or a lesson that cannot be parsed (for `lab run`)."""
    ENV_NOT_READY = 3
    """The environment cannot run the lesson (for example no Docker engine)."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C; what ran was reported and cleaned up."""
