"""Undoing what a run added to the host: new containers, volumes, networks, images, files."""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lab.engineapi import as_api, image_tags
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
    left: list[str] = field(default_factory=list)
    """New objects not attributed to the lesson (someone else made them meanwhile): kept."""

    @property
    def ok(self) -> bool:
        """True when everything was undone."""
        return not self.failed


Owned = Callable[[str, Sequence[str]], bool]
"""owned(kind, names): is this object, created during the session, the lesson's doing?"""
ANONYMOUS_VOLUME = re.compile(r"^[0-9a-f]{64}$")
BUILTIN_NETWORKS = frozenset({"bridge", "host", "none"})


def everything(kind: str, names: Sequence[str]) -> bool:
    """Treat everything created during the session as the lesson's (a learner's own session)."""
    return True


def _managed(labels: Mapping[str, str] | None) -> bool:
    """Objects lab labels itself (sandbox nodes) are cleaned up by their own owner."""
    return any(key.startswith("lab.") for key in (labels or {}))


class _Cleaner:
    """Removes, or with dry_run only lists, what the session added; each object once.
    A removal starts as soon as it is asked for (side by side with the others and with the
    reading that follows); flush() waits for those started so far and reports them."""

    def __init__(self, report: CleanupReport, dry_run: bool) -> None:
        self.report = report
        self.dry_run = dry_run
        self._pool: ThreadPoolExecutor | None = None
        self._started: list[tuple[str, Future[str | None]]] = []
        self._seen: set[str] = set()

    def __enter__(self) -> _Cleaner:
        return self

    def __exit__(self, *_: object) -> None:
        self.flush()
        if self._pool is not None:
            self._pool.shutdown()

    def _first(self, what: str) -> bool:
        if what in self._seen:
            return False
        self._seen.add(what)
        return True

    def remove(self, what: str, action: Callable[[], object]) -> None:
        if not self._first(what):
            return
        if self.dry_run:
            self.report.removed.append(what)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lab-cleanup")
        self._started.append((what, self._pool.submit(_attempt, action)))

    def leave(self, what: str) -> None:
        if self._first(what):
            self.report.left.append(what)

    def flush(self) -> None:
        started, self._started = self._started, []
        for what, outcome in started:
            error = outcome.result()
            if error is None:
                self.report.removed.append(what)
            else:
                self.report.failed.append(f"{what}: {error}")


def _attempt(action: Callable[[], object]) -> str | None:
    """None when action succeeded, else what the engine said."""
    try:
        action()
    except Exception as exc:  # the engine's error text is the useful part
        return str(getattr(exc, "explanation", None) or exc)
    return None


@dataclass(frozen=True)
class _Uses:
    """What a set of containers holds on to: these cannot be removed while they exist."""

    volumes: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    """Network IDs and names."""
    images: frozenset[str] = frozenset()
    """Image IDs."""


def _uses(containers: Sequence[dict[str, Any]]) -> _Uses:
    """From the engine's container listing (GET /containers/json)."""
    volumes, networks, images = set(), set(), set()
    for c in containers:
        volumes |= {m.get("Name") for m in c.get("Mounts") or [] if m.get("Type") == "volume"}
        for name, net in ((c.get("NetworkSettings") or {}).get("Networks") or {}).items():
            networks |= {name, (net or {}).get("NetworkID", "")}
        if c.get("ImageID"):
            images.add(c["ImageID"])
    return _Uses(frozenset(volumes), frozenset(networks), frozenset(images))


def _container_name(c: dict[str, Any]) -> str:
    names = c.get("Names") or []
    return str(names[0]).lstrip("/") if names else str(c["Id"])[:12]


def _image_short_id(image_id: str) -> str:
    """As `docker images` (and the SDK) shorten an image ID: `sha256:` and 10 hex digits."""
    return image_id[:17] if image_id.startswith("sha256:") else image_id[:10]


def restore_engine(
    client: Any,
    before: HostState,
    report: CleanupReport,
    owned: Owned = everything,
    *,
    dry_run: bool = False,
    reader: Any = None,
) -> None:
    """Remove engine objects the session added; never touch ones that existed before, nor
    new ones `owned` does not attribute to the lesson (someone else's, made meanwhile).

    client: a docker SDK client (its low-level API removes); reader: what lists the engine's
    objects (default: the same client, one listing per kind, however many objects there are).
    Two passes: the lesson's containers go side by side with every other object no container
    uses; then what only those containers used (their volumes, networks and images)."""
    api = reader if reader is not None else as_api(client)
    with _Cleaner(report, dry_run) as cleaner:
        containers = api.get("/containers/json", all="1")
        going: set[str] = set()
        for c in containers:
            cid = str(c["Id"])
            if cid in before.containers or _managed(c.get("Labels")):
                continue
            name = _container_name(c)
            what = f"container {name} ({cid[:12]})"
            if owned("container", [name, cid, cid[:12]]):
                remove = partial(client.api.remove_container, cid, v=True, force=True)
                cleaner.remove(what, remove)
                going.add(cid)
            else:
                cleaner.leave(what)
        _remove_others(api, client, before, owned, cleaner, _uses(containers), final=not going)
        cleaner.flush()
        if not going:
            return
        if dry_run:
            staying = [c for c in containers if c["Id"] not in going]
        else:
            staying = api.get("/containers/json", all="1")
        _remove_others(api, client, before, owned, cleaner, _uses(staying), final=True)


def _remove_others(
    api: Any,
    client: Any,
    before: HostState,
    owned: Owned,
    cleaner: _Cleaner,
    busy: _Uses,
    *,
    final: bool,
) -> None:
    """Queue the removal of new volumes, networks, tags and images that no container in busy
    uses (final: what is still in use now is left alone, and said so)."""
    actions = client.api
    for v in api.get("/volumes").get("Volumes") or []:
        name = str(v["Name"])
        if name in before.volumes or _managed(v.get("Labels")):
            continue
        if name in busy.volumes:
            if final:
                cleaner.leave(f"volume {name} (in use)")
            continue
        if owned("volume", [name]) or ANONYMOUS_VOLUME.match(name) is not None:
            cleaner.remove(f"volume {name}", partial(actions.remove_volume, name, force=True))
        else:
            cleaner.leave(f"volume {name}")
    for n in api.get("/networks"):
        nid, name = str(n["Id"]), str(n.get("Name", ""))
        if nid in before.networks or name in BUILTIN_NETWORKS or _managed(n.get("Labels")):
            continue
        if nid in busy.networks or name in busy.networks:
            if final:
                cleaner.leave(f"network {name} (in use)")
            continue
        if owned("network", [name, nid[:12]]):
            cleaner.remove(f"network {name}", partial(actions.remove_network, nid))
        else:
            cleaner.leave(f"network {name}")
    for image in api.get("/images/json", all="1"):
        image_id, tags = str(image["Id"]), image_tags(image)
        if image_id in before.images:
            # An image that was here: only drop tags the session added to it.
            for tag in tags:
                if tag in before.image_tags:
                    continue
                if owned("image", [tag, tag.rsplit(":", 1)[0]]):
                    untag = partial(actions.remove_image, tag, noprune=True)
                    cleaner.remove(f"tag {tag}", untag)
                else:
                    cleaner.leave(f"tag {tag}")
            continue
        if _managed(image.get("Labels")):
            continue
        short = _image_short_id(image_id)
        what = f"image {', '.join(tags) or short}"
        if image_id in busy.images:
            if final:
                cleaner.leave(f"{what} (in use by a container)")
            continue
        names = [*tags, *(t.rsplit(":", 1)[0] for t in tags), short]
        if owned("image", names):
            cleaner.remove(what, partial(actions.remove_image, image_id, force=True))
        else:
            cleaner.leave(what)


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


def reload_images(client: Any, before: HostState, report: CleanupReport) -> None:
    """Load back the images the lesson removed, with all the tags they had."""
    for saved in before.saved_images:
        try:
            try:
                image = client.images.get(saved.image_id)
            except Exception:
                with open(saved.archive, "rb") as handle:
                    client.images.load(handle.read())
                image = client.images.get(saved.image_id)
                report.restored.append(f"image {', '.join(saved.tags) or saved.image_id[:19]}")
            for tag in saved.tags:
                if tag not in image.tags:
                    repository, _, name = tag.rpartition(":")
                    image.tag(repository, name)
                    report.restored.append(f"tag {tag}")
        except Exception as exc:  # the engine's reason is what the user needs
            reason = getattr(exc, "explanation", None) or exc
            report.failed.append(f"image {', '.join(saved.tags)}: cannot load it back: {reason}")


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
