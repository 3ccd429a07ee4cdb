"""Putting files back as a snapshot saw them: /etc/docker and the docker CLI's config.json."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

from lab.engine.cleanup import CleanupReport
from lab.hoststate.snapshot import FileState, HostState, file_state, files_under


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
        kind = "directory" if path.is_dir() and not path.is_symlink() else "file"
        try:
            if kind == "directory":
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
        except OSError as exc:
            report.failed.append(f"{path}: {exc.strerror or exc}")
        else:
            report.removed.append(f"{kind} {path}")
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
    try:
        if file_state(path) != before.cli_config:
            if before.cli_config is None:
                path.unlink(missing_ok=True)
                report.removed.append(f"file {path}")
            else:
                _write_back(path, before.cli_config)
                report.restored.append(str(path))
        created = not before.cli_config_dir_existed and path.parent.is_dir()
        if created and not any(path.parent.iterdir()):
            path.parent.rmdir()
            report.removed.append(f"directory {path.parent}")
    except OSError as exc:
        report.failed.append(f"{path}: cannot restore: {exc.strerror or exc}")
