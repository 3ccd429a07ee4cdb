"""The host: can it run a lesson (doctor), what a run changed on it (snapshot), and undoing it."""

from lab.engine.cleanup import CleanupReport
from lab.hoststate import store
from lab.hoststate.restore import restore
from lab.hoststate.snapshot import HostState, take_snapshot
from lab.hoststate.store import SessionRecord

__all__ = [
    "CleanupReport",
    "HostState",
    "SessionRecord",
    "restore",
    "store",
    "take_snapshot",
]
