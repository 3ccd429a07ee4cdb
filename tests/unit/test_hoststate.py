"""Cleanup decisions (pure logic, on a fake engine): what is removed, what is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.hoststate import HostState
from lab.hoststate.restore import CleanupReport, restore_engine, restore_files
from lab.hoststate.snapshot import files_under


@dataclass
class Obj:
    id: str
    name: str = ""
    tags: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)
    removed: bool = False

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def remove(self, **_: Any) -> None:
        self.removed = True


class Collection:
    def __init__(self, items: list[Obj]) -> None:
        self.items = items
        self.removed: list[str] = []

    def list(self, **_: Any) -> list[Obj]:
        return [i for i in self.items if not i.removed]

    def remove(self, ref: str, **_: Any) -> None:
        self.removed.append(ref)


class FakeEngine:
    def __init__(
        self, containers: list[Obj], volumes: list[Obj], networks: list[Obj], images: list[Obj]
    ) -> None:
        self.containers = Collection(containers)
        self.volumes = Collection(volumes)
        self.networks = Collection(networks)
        self.images = Collection(images)


ANON = "a" * 64


def engine() -> FakeEngine:
    return FakeEngine(
        containers=[
            Obj("c-old", "users-db"),
            Obj("c-new-lesson", "registry"),
            Obj("c-new-other", "someone-else"),
            Obj("c-node", "node1", labels={"lab.sandbox.owner": "1@x"}),
        ],
        volumes=[Obj(ANON, ANON), Obj("named-other", "named-other"), Obj("old-vol", "old-vol")],
        networks=[Obj("n-bridge", "bridge"), Obj("n-new", "registry-net")],
        images=[
            Obj("i-old", tags=["hello-world:latest", "127.0.0.1:5000/hello-world:latest"]),
            Obj("i-new", tags=["registry:2", "registry:latest"]),
            Obj("i-other", tags=["other/app:1"]),
        ],
    )


BEFORE = HostState(
    containers=frozenset({"c-old"}),
    images=frozenset({"i-old"}),
    image_tags=frozenset({"hello-world:latest"}),
    volumes=frozenset({"old-vol"}),
    networks=frozenset({"n-bridge"}),
)
SAID = (
    "docker run -d --name registry registry:2\ndocker network create registry-net\n"
    "docker tag hello-world 127.0.0.1:5000/hello-world"
)


def lesson_owned(kind: str, names: list[str]) -> bool:
    return any(len(n) > 1 and n in SAID for n in names)


def test_only_the_lessons_new_objects_go() -> None:
    fake = engine()
    report = CleanupReport()
    restore_engine(fake, BEFORE, report, lesson_owned)  # type: ignore[arg-type]
    removed = {c.name for c in fake.containers.items if c.removed}
    assert removed == {"registry"}  # not users-db (old), someone-else, nor lab's own node
    assert fake.images.removed == ["127.0.0.1:5000/hello-world:latest", "i-new"]
    assert "container someone-else (c-new-other)" in report.left
    assert "image other/app:1" in report.left
    assert "volume named-other" in report.left
    assert f"volume {ANON}" in report.removed  # anonymous and dangling: the lesson's litter
    assert "network registry-net" in report.removed
    assert not report.failed


def test_dry_run_changes_nothing() -> None:
    fake = engine()
    report = CleanupReport()
    restore_engine(fake, BEFORE, report, lesson_owned, dry_run=True)  # type: ignore[arg-type]
    assert not any(c.removed for c in fake.containers.items)
    assert fake.images.removed == []
    assert "container registry (c-new-lesson)" in report.removed


def test_files_added_changed_and_removed_are_put_back(tmp_path: Path) -> None:
    root = tmp_path / "etc-docker"
    (root / "certs.d" / "old").mkdir(parents=True)
    (root / "daemon.json").write_text('{"debug": false}\n')
    (root / "certs.d" / "old" / "ca.crt").write_text("old cert\n")
    before = HostState(etc_docker=files_under(root), etc_root=str(root))
    (root / "daemon.json").write_text('{"debug": true}\n')
    (root / "certs.d" / "old" / "ca.crt").unlink()
    (root / "certs.d" / "new:5443").mkdir()
    (root / "certs.d" / "new:5443" / "ca.crt").write_text("new cert\n")
    report = CleanupReport()
    restore_files(before, report)
    assert (root / "daemon.json").read_text() == '{"debug": false}\n'
    assert (root / "certs.d" / "old" / "ca.crt").read_text() == "old cert\n"
    assert not (root / "certs.d" / "new:5443").exists()
    assert files_under(root) == before.etc_docker
    assert report.ok


def test_directory_the_run_created_is_removed(tmp_path: Path) -> None:
    root = tmp_path / "etc-docker"
    before = HostState(etc_docker=files_under(root), etc_root=str(root), etc_existed=False)
    (root / "certs.d" / "x:1").mkdir(parents=True)
    (root / "certs.d" / "x:1" / "ca.crt").write_text("c\n")
    report = CleanupReport()
    restore_files(before, report)
    assert not root.exists() and report.ok


def test_snapshot_round_trips_through_json(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    state = HostState(
        containers=frozenset({"a"}), etc_docker=files_under(tmp_path), etc_root=str(tmp_path)
    )
    assert HostState.from_json(state.to_json()) == state


def test_what_a_removed_container_used_goes_after_it_and_in_use_is_left() -> None:
    """The lesson's container goes side by side with objects no container uses; its image,
    network and named volume go after it; an image someone else's container uses stays."""
    log: list[str] = []

    class Logged(Obj):
        def remove(self, **_: Any) -> None:
            log.append(f"remove {self.id}")
            self.removed = True

    class Images(Collection):
        def remove(self, ref: str, **_: Any) -> None:
            log.append(f"rmi {ref}")
            super().remove(ref)
            for image in self.items:
                if image.id == ref:
                    image.removed = True

    uses_all = {
        "Image": "i-new",
        "Mounts": [{"Type": "volume", "Name": "registry-data"}],
        "NetworkSettings": {"Networks": {"registry-net": {"NetworkID": "n-new"}}},
    }
    fake = FakeEngine(
        containers=[
            Logged("c-new-lesson", "registry", attrs=uses_all),
            Logged("c-new-other", "someone-else", attrs={"Image": "i-shared"}),
        ],
        volumes=[Logged("registry-data", "registry-data"), Logged(ANON, ANON)],
        networks=[Logged("n-new", "registry-net")],
        images=[],
    )
    fake.images = Images(
        [
            Obj("i-new", tags=["registry:2"]),
            Obj("i-free", tags=["hello-world:latest"]),
            Obj("i-shared", tags=["registry:latest"]),
        ]
    )
    said = "docker run -d --name registry -v registry-data:/d --network registry-net registry:2"
    said += "\ndocker pull hello-world registry"

    def owned(kind: str, names: list[str]) -> bool:
        return any(len(n) > 1 and n in said for n in names)

    report = CleanupReport()
    restore_engine(fake, HostState(), report, owned)  # type: ignore[arg-type]
    first_pass = {"remove c-new-lesson", f"remove {ANON}", "rmi i-free"}
    assert set(log[:3]) == first_pass, log
    assert set(log[3:]) == {"remove registry-data", "remove n-new", "rmi i-new"}, log
    assert "image registry:latest (in use by a container)" in report.left
    assert "container someone-else (c-new-other)" in report.left
    assert len(report.left) == len(set(report.left)) == 2
    assert not report.failed

    log.clear()
    preview = CleanupReport()
    restore_engine(engine(), BEFORE, preview, lesson_owned, dry_run=True)  # type: ignore[arg-type]
    assert len(preview.removed) == len(set(preview.removed))  # each object listed once
