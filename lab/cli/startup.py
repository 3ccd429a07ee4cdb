"""Garbage collection while `lab` starts.

Start-up allocates much (modules, the parsed lessons) and frees little, and the collector
keeps walking those objects: about 10 ms of a `lab run` on the seed lesson. So the `lab`
command pauses the collector as it starts, and `started()` (once a command has loaded what
it needs) moves everything made so far out of the collector's sight (gc.freeze) and turns it
back on. Only the `lab` command pauses it: as a library, nothing changes.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn the collector off until started()."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def started() -> None:
    """Start-up is over: collect garbage as usual, leaving out what start-up made."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
