"""What the engine guard refuses, judged against a host snapshot (an engine of plain data)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.errors import EnvironmentNotReady
from lab.hoststate.guard.address import check_relayable, unix_or_tcp
from lab.hoststate.guard.leftovers import PREFIX, directory_prefix, sweep
from lab.hoststate.guard.policy import Policy, Protected, api_path, familiar
from lab.hoststate.snapshot import HostState, SavedImage
from lab.sandbox.owner import start_time

PRECIOUS = "c" * 64
NEW = "d" * 64
USER_IMAGE = "sha256:" + "1" * 64
SAVED_IMAGE = "sha256:" + "2" * 64
NEW_IMAGE = "sha256:" + "3" * 64
USER_NET = "n" * 64

CONTAINERS = {
    "precious": {"Id": PRECIOUS, "Name": "/precious", "Config": {"Labels": {}}},
    "fresh": {"Id": NEW, "Name": "/fresh", "Config": {"Labels": {}}},
    "lab-1234-node1": {
        "Id": "e" * 64,
        "Name": "/lab-1234-node1",
        "Config": {"Labels": {"lab.sandbox.owner": "1@boot"}},
    },
}
IMAGES = {
    USER_IMAGE: {"Id": USER_IMAGE, "RepoTags": ["mine:1", "mine:lesson-added"]},
    SAVED_IMAGE: {"Id": SAVED_IMAGE, "RepoTags": ["hello-world:latest"]},
    NEW_IMAGE: {"Id": NEW_IMAGE, "RepoTags": ["built:latest"]},
}
NETWORKS = {"mynet": {"Id": USER_NET, "Name": "mynet"}, "lessonnet": {"Id": "m" * 64}}


class FakeEngine:
    """Answers inspect requests from the data above, as the engine resolves names, IDs and ID
    prefixes; counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def inspect(self, path: str) -> Any:
        self.asked.append(path)
        kind, _, rest = path.strip("/").partition("/")
        name = rest.removesuffix("/json")
        if kind == "containers":
            for key, info in CONTAINERS.items():
                if name in (key, info["Id"]) or info["Id"].startswith(name):
                    return info
        if kind == "images":
            for info in IMAGES.values():
                tags = info["RepoTags"]
                full = name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
                if full in tags or info["Id"] == name or info["Id"][7:].startswith(name):
                    return info
        if kind == "networks":
            for key, info in NETWORKS.items():
                if name in (key, info["Id"]):
                    return info
        if kind == "volumes":
            return {"Name": name, "Labels": {"lab.sandbox.run": "x"} if name == "node" else {}}
        return None


PROTECTED = Protected.of(
    HostState(
        containers=frozenset({PRECIOUS}),
        images=frozenset({USER_IMAGE, SAVED_IMAGE}),
        image_tags=frozenset({"mine:1", "hello-world:latest"}),
        volumes=frozenset({"data", "a" * 64}),
        networks=frozenset({USER_NET}),
        saved_images=(SavedImage(SAVED_IMAGE, ("hello-world:latest",), "/x.tar"),),
    )
)


def judge(method: str, target: str, body: bytes | None = None) -> str | None:
    refusal = asyncio.run(Policy(PROTECTED, FakeEngine().inspect).judge(method, target, body))
    return None if refusal is None else f"{refusal.status} {refusal.message}"


PROTECTED_CONTAINER = "409 lab protected container 'precious': it existed before this lesson"


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("DELETE", "/v1.41/containers/precious?force=1&v=1"),
        ("DELETE", "/containers/" + PRECIOUS),
        ("DELETE", "/v1.47/containers/ccc"),  # an ID prefix
        ("POST", "/v1.41/containers/precious/kill?signal=KILL"),
        ("POST", "/containers/precious/stop"),
        ("POST", "/containers/precious/restart"),
        ("POST", "/containers/precious/pause"),
        ("POST", "/containers/precious/rename?name=other"),
        ("POST", "/containers/precious/update"),
    ],
)
def test_the_users_container_is_kept_however_it_is_named(method: str, target: str) -> None:
    assert judge(method, target) == PROTECTED_CONTAINER


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("DELETE", "/v1.41/containers/fresh?force=1"),  # the lesson's own
        ("POST", "/containers/fresh/kill"),
        ("DELETE", "/containers/nosuch"),  # the engine says `No such container` itself
        ("POST", "/containers/precious/start"),
        ("POST", "/v1.41/containers/precious/exec"),
        ("GET", "/containers/json?all=1"),
        ("POST", "/containers/create?name=precious"),  # a clash errors anyway
        ("POST", "/images/create?fromImage=hello-world&tag=latest"),  # a pull
        ("DELETE", "/images/built:latest"),
        ("DELETE", "/images/hello-world"),  # saved before the run, loaded back afterwards
        ("DELETE", "/images/mine:lesson-added"),  # only the lesson's tag goes
        ("POST", "/images/mine:1/tag?repo=mine&tag=1"),  # the same image: nothing moves
        ("POST", "/images/built/tag?repo=hello-world&tag=latest"),  # restorable tag
        ("POST", "/build?t=built:2"),
        ("DELETE", "/volumes/lessons-data"),
        ("DELETE", "/networks/lessonnet"),
    ],
)
def test_everything_else_is_forwarded(method: str, target: str) -> None:
    assert judge(method, target) is None


def test_a_sandbox_node_of_another_lab_run_is_kept() -> None:
    message = judge("DELETE", "/containers/lab-1234-node1?force=1")
    assert message == (
        "409 lab protected container 'lab-1234-node1': it belongs to another lab run's sandbox"
    )


@pytest.mark.parametrize(
    ("target", "what"),
    [
        ("/v1.41/containers/prune", "stopped containers"),
        ("/images/prune?filters=%7B%7D", "unused images"),
        ("/volumes/prune", "unused volumes"),
        ("/networks/prune", "unused networks"),
        ("/build/prune", "build cache"),
    ],
)
def test_every_prune_is_refused(target: str, what: str) -> None:
    assert judge("POST", target) == (
        f"403 lab protected the engine's {what}: a prune would remove them all, "
        "not only the lesson's"
    )


def test_images_the_user_had() -> None:
    assert judge("DELETE", "/images/mine:1") == (
        "409 lab protected image tag 'mine:1': it existed before this lesson"
    )
    assert judge("DELETE", "/v1.41/images/111111?force=1") == (  # by ID prefix
        "409 lab protected image 'mine:1': it existed before this lesson"
    )
    assert judge("POST", "/images/built/tag?repo=mine&tag=1") == (
        "409 lab protected image tag 'mine:1': it existed before this lesson "
        "(on another image; tagging would move it)"
    )
    assert judge("POST", "/build?t=lesson:1&t=docker.io/library/mine:1") == (
        "409 lab protected image tag 'mine:1': it existed before this lesson "
        "(the build would move it to the new image)"
    )
    assert judge("POST", "/commit?container=fresh&repo=mine&tag=1") is not None
    assert judge("POST", "/images/create?fromSrc=-&repo=mine&tag=1") is not None


def test_volumes_and_networks_the_user_had() -> None:
    assert judge("DELETE", "/v1.41/volumes/data?force=1") == (
        "409 lab protected volume 'data': it existed before this lesson"
    )
    assert judge("DELETE", "/volumes/" + "a" * 64) == (  # anonymous: shortened, as docker does
        "409 lab protected volume 'aaaaaaaaaaaa': it existed before this lesson"
    )
    assert judge("DELETE", "/volumes/node") == (
        "409 lab protected volume 'node': it belongs to another lab run's sandbox"
    )
    assert judge("DELETE", "/networks/mynet") == (
        "409 lab protected network 'mynet': it existed before this lesson"
    )
    body = b'{"Container": "precious", "Force": true}'
    assert judge("POST", "/networks/mynet/disconnect", body) == PROTECTED_CONTAINER
    assert judge("POST", "/networks/mynet/disconnect", b'{"Container": "fresh"}') is None


def test_names_are_judged_only_for_changes() -> None:
    engine = FakeEngine()
    policy = Policy(PROTECTED, engine.inspect)
    for target in ("/_ping", "/v1.41/containers/json", "/v1.41/events", "/images/json"):
        assert asyncio.run(policy.judge("GET", target)) is None
    assert engine.asked == []  # reading costs no extra request


def test_paths_and_references() -> None:
    assert api_path("/v1.41/containers/x/kill?signal=9") == (
        "/containers/x/kill",
        {"signal": ["9"]},
    )
    assert api_path("/v1/images/json") == ("/images/json", {})
    assert familiar("docker.io/library/hello-world") == "hello-world:latest"
    assert familiar("127.0.0.1:5000/hello-world") == "127.0.0.1:5000/hello-world:latest"
    assert familiar("user/app:2") == "user/app:2"
    assert familiar("hello-world@sha256:" + "a" * 64) is None
    assert familiar("NOT A NAME") is None


def test_the_guard_relays_to_unix_sockets_and_plain_tcp_only() -> None:
    assert unix_or_tcp("unix:///var/run/docker.sock") == ("/var/run/docker.sock", None)
    assert unix_or_tcp("tcp://10.0.0.2") == (None, ("10.0.0.2", 2375))
    check_relayable("tcp://127.0.0.1:2375", {})
    with pytest.raises(EnvironmentNotReady, match="ssh://me@far") as caught:
        check_relayable("ssh://me@far", {})
    assert "--sandbox" in (caught.value.hint or "")
    with pytest.raises(EnvironmentNotReady, match="TLS"):
        check_relayable("tcp://far:2376", {"DOCKER_TLS_VERIFY": "1"})


def test_leftover_socket_directories_of_dead_labs_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    gone = tmp_path / f"{PREFIX}{int(dead.stdout)}-123-abcd"
    mine = tmp_path / f"{directory_prefix()}efgh"
    reused = tmp_path / f"{PREFIX}{os.getpid()}-1-ijkl"  # this pid, another process's start
    other = tmp_path / "lab-something-else"
    for directory in (gone, mine, reused, other):
        directory.mkdir()
        (directory / "docker.sock").touch()
    assert start_time(os.getpid()) is not None
    assert sorted(sweep(tmp_path)) == sorted([gone, reused])
    assert mine.exists() and other.exists() and not gone.exists()


def test_a_step_with_refusals_fails_and_names_them() -> None:
    from lab.runner.events import StepResult
    from lab.runner.judge import with_refusals

    passed = StepResult("passed", 0, "", 0.1)
    assert with_refusals(passed, []) is passed
    one = "lab protected container 'precious': it existed before this lesson"
    failed = with_refusals(passed, [one, one])
    assert (failed.status, failed.message) == ("failed", one)
    exited = StepResult("failed", 1, "", 0.1, message="exited with status 1 (expected 0)")
    assert with_refusals(exited, [one]).message == f"{one}; exited with status 1 (expected 0)"
    many = with_refusals(passed, [f"lab protected volume 'v{i}'" for i in range(5)])
    assert many.message.endswith("'v2'; and 2 more refused")
    timeout = StepResult("timeout", None, "", 1.0, message="timed out after 1 s")
    assert with_refusals(timeout, [one]).status == "timeout"
