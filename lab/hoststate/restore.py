"""Undoing what a run added to the host: new containers, volumes, networks, images, files."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.hoststate.snapshot import FileState, HostState, file_state, files_under


@dataclass
class CleanupReport:
    """What restore() removed or put back, and what it could not."""

    removed: list[str] = field(default_factory=list)
    """`container registry (3f2a…)`, `image 127.0.0.1:5000/hello-world:latest`, ..."""
    restored: list[str] = field(default_factory=list)
    """Files under /etc/docker put back as they were."""
    failed: list[str] = field(default_factory=list)
    """What could not be undone, with the reason."""

    @property
    def ok(self) -> bool:
        """True when everything was undone."""
        return not self.failed


def _try(report: CleanupReport, what: str, action: Any) -> None:
    try:
        action()
    except Exception as exc:  # the engine's error text is the useful part
        explanation = getattr(exc, "explanation", None) or str(exc)
        report.failed.append(f"{what}: {explanation}")
    else:
        report.removed.append(what)


def restore_engine(client: Any, before: HostState, report: CleanupReport) -> None:
    """Remove engine objects that did not exist before; never touch ones that did."""
    for container in client.containers.list(all=True):
        if container.id not in before.containers:
            what = f"container {container.name} ({container.short_id})"
            _try(report, what, lambda c=container: c.remove(force=True, v=True))
    for volume in client.volumes.list():
        if volume.name not in before.volumes:
            _try(report, f"volume {volume.name}", lambda v=volume: v.remove(force=True))
    for network in client.networks.list():
        if network.id not in before.networks and network.name not in ("bridge", "host", "none"):
            _try(report, f"network {network.name}", network.remove)
    images = client.images.list(all=True)
    for image in images:
        if image.id in before.images:
            # An image that was here: only drop tags the run added to it.
            for tag in image.tags:
                if tag not in before.image_tags:
                    _try(
                        report,
                        f"tag {tag}",
                        lambda t=tag: client.images.remove(t, noprune=True),
                    )
    for image in images:
        if image.id not in before.images:
            names = ", ".join(image.tags) or image.short_id
            _try(report, f"image {names}", lambda i=image: client.images.remove(i.id, force=True))


def _write_back(path: Path, state: FileState) -> None:
    if state.kind == "dir":
        path.mkdir(parents=True, exist_ok=True)
    elif state.kind == "link":
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(state.target, path)
    else:
        if state.content_b64 is None:
            raise OSError("too large to have been saved")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        path.write_bytes(base64.b64decode(state.content_b64))
    if state.kind != "link":
        os.chmod(path, state.mode & 0o7777)


def restore_files(before: HostState, report: CleanupReport) -> None:
    """Put /etc/docker back as it was: remove added entries, restore changed or removed ones."""
    root = Path(before.etc_root)
    now = files_under(root)
    for rel in sorted(set(now) - set(before.etc_docker), key=len, reverse=True):
        path = root / rel
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
        except OSError as exc:
            report.failed.append(f"{path}: {exc.strerror or exc}")
        else:
            report.removed.append(f"file {path}")
    for rel, state in sorted(before.etc_docker.items()):
        current = now.get(rel)
        if current == state:
            continue
        path = root / rel
        try:
            _write_back(path, state)
        except OSError as exc:
            report.failed.append(f"{path}: cannot restore: {exc.strerror or exc}")
        else:
            report.restored.append(str(path))
    if not before.etc_existed and root.is_dir():
        try:
            root.rmdir()  # the run created it; empty now that its entries are gone
        except OSError as exc:
            report.failed.append(f"{root}: {exc.strerror or exc}")
        else:
            report.removed.append(f"directory {root}")


def restore_cli_config(before: HostState, report: CleanupReport) -> None:
    """Put the docker CLI's config.json back (a lesson's `docker login` writes to it)."""
    if not before.cli_config_path:
        return
    path = Path(before.cli_config_path)
    if file_state(path) == before.cli_config:
        return
    try:
        if before.cli_config is None:
            path.unlink(missing_ok=True)
            report.removed.append(f"file {path}")
        else:
            _write_back(path, before.cli_config)
            report.restored.append(str(path))
    except OSError as exc:
        report.failed.append(f"{path}: cannot restore: {exc.strerror or exc}")


def restore(engine: Callable[[], Any], before: HostState) -> CleanupReport:
    """Undo everything the run added: engine objects (engine() gives a docker client), then
    /etc/docker, which is restored even when the engine cannot be reached."""
    report = CleanupReport()
    try:
        restore_engine(engine(), before, report)
    except LabError as exc:
        report.failed.append(
            f"{exc.message}: containers, images, volumes and networks the lesson created may remain"
        )
    except Exception as exc:  # connection lost half-way
        report.failed.append(f"the Docker engine stopped answering during cleanup ({exc})")
    restore_files(before, report)
    restore_cli_config(before, report)
    return report
