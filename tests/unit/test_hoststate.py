"""Cleanup decisions (pure logic, on a fake engine): what is removed, what is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.engine.cleanup import CleanupReport
from lab.hoststate import HostState
from lab.hoststate.engine_cleanup import restore_engine
from lab.hoststate.files import restore_files
from lab.hoststate.snapshot import files_under


@dataclass
class Obj:
    id: str
    name: str = ""
    tags: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    listing: dict[str, Any] = field(default_factory=dict)
    """More fields of the engine's listing (ImageID, Mounts, NetworkSettings)."""
    removed: bool = False


class FakeEngine:
    """The engine's listings as the API gives them (GET) and the docker SDK's low-level
    removals (client.api.remove_*), which log what they did, in order."""

    def __init__(
        self, containers: list[Obj], volumes: list[Obj], networks: list[Obj], images: list[Obj]
    ) -> None:
        self.containers, self.volumes, self.networks, self.images = (
            containers,
            volumes,
            networks,
            images,
        )
        self.api = self
        self.log: list[str] = []
        self.asked: list[str] = []

    def get(self, path: str, **_: str) -> Any:
        self.asked.append(path)
        live = lambda items: [i for i in items if not i.removed]  # noqa: E731
        if path == "/containers/json":
            return [
                {"Id": c.id, "Names": [f"/{c.name}"], "Labels": c.labels, **c.listing}
                for c in live(self.containers)
            ]
        if path == "/volumes":
            return {"Volumes": [{"Name": v.name, "Labels": v.labels} for v in live(self.volumes)]}
        if path == "/networks":
            return [{"Id": n.id, "Name": n.name, "Labels": n.labels} for n in live(self.networks)]
        if path == "/images/json":
            return [{"Id": i.id, "RepoTags": i.tags, "Labels": i.labels} for i in live(self.images)]
        raise AssertionError(path)

    def _gone(self, items: list[Obj], key: str, what: str) -> None:
        self.log.append(what)
        for item in items:
            if key in (item.id, item.name):
                item.removed = True

    def remove_container(self, cid: str, **_: Any) -> None:
        self._gone(self.containers, cid, f"rm {cid}")

    def remove_volume(self, name: str, **_: Any) -> None:
        self._gone(self.volumes, name, f"volume rm {name}")

    def remove_network(self, nid: str) -> None:
        self._gone(self.networks, nid, f"network rm {nid}")

    def remove_image(self, ref: str, noprune: bool = False, **_: Any) -> None:
        if noprune:  # a tag: the image stays
            self.log.append(f"untag {ref}")
            for image in self.images:
                if ref in image.tags:
                    image.tags.remove(ref)
        else:
            self._gone(self.images, ref, f"rmi {ref}")


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
    restore_engine(fake, BEFORE, report, lesson_owned, reader=fake)
    removed = {c.name for c in fake.containers if c.removed}
    assert removed == {"registry"}  # not users-db (old), someone-else, nor lab's own node
    assert [e for e in fake.log if e.startswith(("untag", "rmi"))] == [
        "untag 127.0.0.1:5000/hello-world:latest",
        "rmi i-new",
    ]
    assert "container someone-else (c-new-other)" in report.left
    assert "image other/app:1" in report.left
    assert "volume named-other" in report.left
    assert f"volume {ANON}" in report.removed  # anonymous and dangling: the lesson's litter
    assert "network registry-net" in report.removed
    assert not report.failed


def test_dry_run_changes_nothing() -> None:
    fake = engine()
    report = CleanupReport()
    restore_engine(fake, BEFORE, report, lesson_owned, dry_run=True, reader=fake)
    assert fake.log == []
    assert not any(c.removed for c in fake.containers)
    assert "container registry (c-new-lesson)" in report.removed
    assert "image registry:2, registry:latest" in report.removed


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
    uses_all = {
        "ImageID": "i-new",
        "Mounts": [{"Type": "volume", "Name": "registry-data"}],
        "NetworkSettings": {"Networks": {"registry-net": {"NetworkID": "n-new"}}},
    }
    fake = FakeEngine(
        containers=[
            Obj("c-new-lesson", "registry", listing=uses_all),
            Obj("c-new-other", "someone-else", listing={"ImageID": "i-shared"}),
        ],
        volumes=[Obj("registry-data", "registry-data"), Obj(ANON, ANON)],
        networks=[Obj("n-new", "registry-net")],
        images=[
            Obj("i-new", tags=["registry:2"]),
            Obj("i-free", tags=["hello-world:latest"]),
            Obj("i-shared", tags=["registry:latest"]),
        ],
    )
    said = "docker run -d --name registry -v registry-data:/d --network registry-net registry:2"
    said += "\ndocker pull hello-world registry"

    def owned(kind: str, names: list[str]) -> bool:
        return any(len(n) > 1 and n in said for n in names)

    report = CleanupReport()
    restore_engine(fake, HostState(), report, owned, reader=fake)
    assert set(fake.log[:3]) == {"rm c-new-lesson", f"volume rm {ANON}", "rmi i-free"}
    assert set(fake.log[3:]) == {"volume rm registry-data", "network rm n-new", "rmi i-new"}
    assert "image registry:latest (in use by a container)" in report.left
    assert "container someone-else (c-new-other)" in report.left
    assert len(report.left) == len(set(report.left)) == 2
    assert not report.failed

    preview, again = CleanupReport(), engine()
    restore_engine(again, BEFORE, preview, lesson_owned, dry_run=True, reader=again)
    assert len(preview.removed) == len(set(preview.removed))  # each object listed once


def test_cleanup_asks_for_each_kind_of_object_once_however_many_there_are() -> None:
    """A learner's machine may hold hundreds of images: cleanup reads one listing per kind
    (and per pass), never one request per object."""
    fake = FakeEngine(
        containers=[Obj(f"c-{i}", f"theirs-{i}") for i in range(40)] + [Obj("c-mine", "registry")],
        volumes=[Obj(f"v-{i}", f"v-{i}") for i in range(40)],
        networks=[Obj(f"n-{i}", f"net-{i}") for i in range(20)],
        images=[Obj(f"i-{i}", tags=[f"app{i}:1"]) for i in range(300)],
    )
    before = HostState(
        containers=frozenset(c.id for c in fake.containers if c.id != "c-mine"),
        images=frozenset(i.id for i in fake.images),
        volumes=frozenset(v.name for v in fake.volumes),
        networks=frozenset(n.id for n in fake.networks),
    )
    report = CleanupReport()
    restore_engine(fake, before, report, lesson_owned, reader=fake)
    assert fake.log == ["rm c-mine"]
    assert len(fake.asked) == 8  # containers, volumes, networks, images; twice (two passes)
