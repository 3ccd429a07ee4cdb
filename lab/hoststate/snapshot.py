"""A snapshot of what exists before a run: engine objects and the files under /etc/docker."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lab.engine.api import EngineRequestError, image_tags, path_of
from lab.engine.reader import Engine, as_api, save_image

ETC_DOCKER = Path("/etc/docker")
MAX_SAVED_FILE = 1024 * 1024
"""Files under /etc/docker up to this size are saved, so a change can be undone."""


@dataclass(frozen=True)
class FileState:
    """One file or directory under /etc/docker."""

    kind: str
    """`file`, `dir` or `link`."""
    mode: int
    sha256: str = ""
    content_b64: str | None = None
    """The file's bytes (base64) when small enough to restore."""
    target: str = ""
    """Where a link points."""


@dataclass(frozen=True)
class SavedImage:
    """An image the host had that the lesson removes: saved, to be loaded back afterwards."""

    image_id: str
    tags: tuple[str, ...]
    """All its tags before the run."""
    archive: str
    """The `docker save` tarball."""


@dataclass(frozen=True)
class HostState:
    """What existed on the host engine and under /etc/docker at one moment."""

    containers: frozenset[str] = frozenset()
    """Container IDs."""
    images: frozenset[str] = frozenset()
    """Image IDs."""
    image_tags: frozenset[str] = frozenset()
    """Every `repo:tag` present."""
    volumes: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()
    """Network IDs."""
    etc_docker: dict[str, FileState] = field(default_factory=dict)
    """Relative path -> state, for everything under /etc/docker."""
    etc_root: str = str(ETC_DOCKER)
    """The directory that was recorded."""
    etc_existed: bool = True
    """Whether that directory existed at all."""
    cli_config_path: str = ""
    """The docker CLI's config.json (`docker login` writes credentials there)."""
    cli_config: FileState | None = None
    """Its state; None when it did not exist."""
    cli_config_dir_existed: bool = True
    """Whether its directory (~/.docker) existed."""
    saved_images: tuple[SavedImage, ...] = ()
    """Images the lesson will remove, saved so that cleanup can load them back."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for a state file."""
        data = asdict(self)
        for key in ("containers", "images", "image_tags", "volumes", "networks"):
            data[key] = sorted(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HostState:
        """The inverse of to_json."""
        return cls(
            containers=frozenset(data.get("containers", ())),
            images=frozenset(data.get("images", ())),
            image_tags=frozenset(data.get("image_tags", ())),
            volumes=frozenset(data.get("volumes", ())),
            networks=frozenset(data.get("networks", ())),
            etc_docker={k: FileState(**v) for k, v in data.get("etc_docker", {}).items()},
            etc_root=data.get("etc_root", str(ETC_DOCKER)),
            etc_existed=bool(data.get("etc_existed", True)),
            cli_config_path=data.get("cli_config_path", ""),
            cli_config=FileState(**data["cli_config"]) if data.get("cli_config") else None,
            cli_config_dir_existed=bool(data.get("cli_config_dir_existed", True)),
            saved_images=tuple(
                SavedImage(i["image_id"], tuple(i["tags"]), i["archive"])
                for i in data.get("saved_images", ())
            ),
        )


def files_under(root: Path) -> dict[str, FileState]:
    """State of every entry below root (empty when root does not exist)."""
    found: dict[str, FileState] = {}
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = FileState("link", info.st_mode, target=os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = FileState("dir", info.st_mode)
            else:
                data = path.read_bytes() if info.st_size <= MAX_SAVED_FILE else b""
                digest = hashlib.sha256(data).hexdigest() if data or not info.st_size else ""
                content = (
                    base64.b64encode(data).decode() if info.st_size <= MAX_SAVED_FILE else None
                )
                found[rel] = FileState("file", info.st_mode, digest, content)
    return found


def cli_config_file() -> Path:
    """Where the docker CLI keeps config.json (DOCKER_CONFIG, else ~/.docker)."""
    directory = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return Path(directory) / "config.json"


def file_state(path: Path) -> FileState | None:
    """The state of one file, None when it does not exist."""
    if not path.is_file():
        return None
    return files_under(path.parent).get(path.name)


def _lab_managed(labels: Any) -> bool:
    """Objects lab labels itself (sandbox nodes, their volumes and networks) come and go with
    their own runs: they are not the host's state (cleanup skips them too)."""
    return any(str(key).startswith("lab.") for key in (labels or {}))


def save_images(engine: Engine, refs: Sequence[str], directory: Path) -> tuple[SavedImage, ...]:
    """`docker save` each image among refs that the host has, into directory."""
    saved: dict[str, SavedImage] = {}
    for ref in refs:
        try:
            image = engine.get(path_of("/images/{}/json", ref))
        except EngineRequestError:  # not here (or not an image name): nothing to keep
            continue
        image_id = str(image["Id"])
        if image_id in saved:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        archive = directory / f"{image_id.replace(':', '-')}.tar"
        with archive.open("wb") as handle:
            save_image(engine, ref, handle)
        saved[image_id] = SavedImage(image_id, tuple(image_tags(image)), str(archive))
    return tuple(saved.values())


def take_snapshot(
    engine: Any,
    etc_root: Path = ETC_DOCKER,
    *,
    keep_images: Sequence[str] = (),
    keep_dir: Path | None = None,
) -> HostState:
    """Record what exists now (engine: a docker SDK client or an engine reader); lab's own
    sandbox objects are left out. Images among keep_images that exist are saved into keep_dir."""
    api = as_api(engine)
    images = api.get("/images/json", all="1")
    saved = save_images(api, keep_images, keep_dir) if keep_dir and keep_images else ()
    containers = api.get("/containers/json", all="1")
    volumes = api.get("/volumes").get("Volumes") or []
    networks = api.get("/networks")
    return HostState(
        containers=frozenset(c["Id"] for c in containers if not _lab_managed(c.get("Labels"))),
        images=frozenset(i["Id"] for i in images),
        image_tags=frozenset(t for i in images for t in image_tags(i)),
        volumes=frozenset(v["Name"] for v in volumes if not _lab_managed(v.get("Labels"))),
        networks=frozenset(n["Id"] for n in networks if not _lab_managed(n.get("Labels"))),
        etc_docker=files_under(etc_root),
        etc_root=str(etc_root),
        etc_existed=etc_root.is_dir(),
        cli_config_path=str(cli_config_file()),
        cli_config=file_state(cli_config_file()),
        cli_config_dir_existed=cli_config_file().parent.is_dir(),
        saved_images=saved,
    )
