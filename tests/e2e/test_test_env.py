"""The test environment made by `scripts/test-env up`: an engine whose Docker Hub
names resolve through the local mirror (Docker Hub itself is unreachable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test-env"
MIRROR_PORT = os.environ.get("LAB_MIRROR_PORT", "5001")

pytestmark = pytest.mark.docker


def run(*cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module", autouse=True)
def _engine() -> None:
    if shutil.which("docker") is None or run("docker", "info", timeout=30).returncode != 0:
        pytest.skip("no Docker engine answering (run: sudo scripts/test-env up)")


def test_status_reports_ready() -> None:
    result = run("bash", str(SCRIPT), "status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: ready" in result.stdout


def test_hello_world_pulls_through_the_mirror() -> None:
    mirrors = run("docker", "info", "--format", "{{json .RegistryConfig.Mirrors}}").stdout
    if f"127.0.0.1:{MIRROR_PORT}" not in mirrors:
        pytest.skip("this engine was not started with our mirror (stand-ins are loaded locally)")
    was_present = run("docker", "image", "inspect", "hello-world:latest").returncode == 0
    if was_present and run("docker", "rmi", "hello-world:latest").returncode != 0:
        pytest.skip("hello-world:latest is in use by a container")
    try:
        pull = run("docker", "pull", "hello-world")
        assert pull.returncode == 0, pull.stdout + pull.stderr
        assert "Downloaded newer image for hello-world:latest" in pull.stdout
        hello = run("docker", "run", "--rm", "hello-world")
        assert hello.returncode == 0, hello.stderr
        assert "Hello from Docker!" in hello.stdout
    finally:
        if not was_present:  # leave the image store as we found it
            run("docker", "rmi", "hello-world:latest")


def test_status_lists_the_sandbox_node_image() -> None:
    result = run("bash", str(SCRIPT), "status")
    line = next(x for x in result.stdout.splitlines() if x.startswith("sandbox node image:"))
    assert line.startswith("sandbox node image: docker:dind (") and "MISSING" not in line
    manifest = run(
        "curl",
        "-fsS",
        "-o",
        "/dev/null",
        "-H",
        "Accept: application/vnd.docker.distribution.manifest.v2+json",
        f"http://127.0.0.1:{MIRROR_PORT}/v2/library/docker/manifests/dind",
    )
    assert manifest.returncode == 0, manifest.stderr


def test_up_is_quick_when_everything_is_there() -> None:
    if os.geteuid() != 0:
        pytest.skip("`test-env up` runs as root")
    started = time.monotonic()
    result = run("bash", str(SCRIPT), "up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docker:dind in mirror" in result.stdout
    assert time.monotonic() - started < 10
