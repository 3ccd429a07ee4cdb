"""Undoing what a run added to the host: engine objects, then images and files put back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lab.engine.cleanup import CleanupReport
from lab.errors import LabError
from lab.hoststate.engine_cleanup import Owned, everything, restore_engine
from lab.hoststate.files import restore_cli_config, restore_files
from lab.hoststate.images import reload_images
from lab.hoststate.snapshot import HostState

__all__ = ["CleanupReport", "Owned", "everything", "restore"]


def restore(
    engine: Callable[[], Any], before: HostState, owned: Owned = everything
) -> CleanupReport:
    """Undo what the session added: engine objects (engine() gives a docker client; owned
    says which new ones are the lesson's), then /etc/docker and the docker CLI config, which
    are restored even when the engine cannot be reached."""
    report = CleanupReport()
    try:
        client = engine()
        restore_engine(client, before, report, owned)
        reload_images(client, before, report)
    except LabError as exc:
        report.failed.append(
            f"{exc.message}: containers, images, volumes and networks the lesson created may remain"
        )
    except Exception as exc:  # connection lost half-way
        report.failed.append(f"the Docker engine stopped answering during cleanup ({exc})")
    restore_files(before, report)
    restore_cli_config(before, report)
    return report
