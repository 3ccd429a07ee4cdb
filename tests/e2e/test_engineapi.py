"""lab.engine.api against the real engine: the socket reader answers as the docker SDK does.

The preflight and the host snapshot read the engine through its unix socket (no SDK at
start-up); anything else goes through the SDK with the same interface. Both must see the
same host, or cleanup would judge objects wrongly.
"""

from __future__ import annotations

import io
import secrets
import tarfile
from pathlib import Path
from typing import Any

import pytest

from lab.checks import connect
from lab.engine.api import EngineRequestError, SocketEngine, image_tags, path_of
from lab.engine.reader import SDKEngine, connect_api, save_image
from lab.errors import EnvironmentNotReady
from lab.hoststate import take_snapshot
from lab.hoststate.doctor import diagnose
from lab.lesson.load import load_lesson
from tests.conftest import FIXTURES

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def sdk() -> Any:
    client = connect()
    client.images.pull("hello-world", tag="latest")
    return client


@pytest.fixture
def made(sdk: Any) -> Any:
    """A created (not started) container with a volume and a network, made for this test."""
    tag = secrets.token_hex(3)
    volume = sdk.volumes.create(f"lab-test-vol-{tag}")
    network = sdk.networks.create(f"lab-test-net-{tag}")
    container = sdk.containers.create(
        "hello-world:latest",
        name=f"lab-test-api-{tag}",
        volumes={volume.name: {"bind": "/data", "mode": "rw"}},
        network=network.name,
    )
    yield container
    container.remove(force=True, v=True)
    volume.remove(force=True)
    network.remove()


def test_the_socket_is_read_directly() -> None:
    assert isinstance(connect_api(), SocketEngine)


def test_socket_and_sdk_see_the_same_host(sdk: Any, made: Any) -> None:
    by_socket = take_snapshot(connect_api())
    by_sdk = take_snapshot(sdk)
    assert by_socket == by_sdk
    assert made.id in by_socket.containers
    assert "hello-world:latest" in by_socket.image_tags


def test_socket_and_sdk_answer_alike(sdk: Any, made: Any) -> None:
    socket, through_sdk = connect_api(), SDKEngine(sdk)
    for path in ("/version", "/containers/json", "/networks"):
        got, want = socket.get(path), through_sdk.get(path)
        assert type(got) is type(want)
    inspect = path_of("/containers/{}/json", made.name)
    assert socket.get(inspect)["Id"] == through_sdk.get(inspect)["Id"] == made.id
    image = socket.get(path_of("/images/{}/json", "hello-world:latest"))
    assert "hello-world:latest" in image_tags(image)
    assert image_tags(image) == sdk.images.get("hello-world:latest").tags


def test_the_engine_refusing_says_what_it_said() -> None:
    missing = f"lab-missing/{secrets.token_hex(4)}:1"
    for reader in (connect_api(), SDKEngine(connect())):
        with pytest.raises(EngineRequestError) as refused:
            reader.get(path_of("/images/{}/json", missing))
        assert refused.value.status == 404
        assert missing.split(":")[0] in refused.value.explanation


def test_an_unreachable_socket_is_environment_not_ready(tmp_path: Path) -> None:
    reader = SocketEngine(str(tmp_path / "nothing.sock"))
    with pytest.raises(EnvironmentNotReady) as gone:
        reader.ping()
    assert "no such file or directory" in gone.value.message
    assert gone.value.hint


def test_save_streams_the_image_archive(sdk: Any) -> None:
    buffer = io.BytesIO()
    save_image(connect_api(), "hello-world:latest", buffer)
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as archive:
        assert "manifest.json" in archive.getnames()


def test_doctor_finds_the_same_through_either(sdk: Any) -> None:
    lesson = load_lesson(FIXTURES / "seed-registry-part1.md")

    def messages(engine: Any) -> list[str]:
        found = diagnose([lesson], engine=engine).findings
        return [f"{f.level} {f.message}" for f in found if "GiB free" not in f.message]

    assert messages(connect_api()) == messages(sdk)
