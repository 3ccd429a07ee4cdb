"""The test environment made by `scripts/test-env up`: an engine whose Docker Hub
names resolve through the local mirror (Docker Hub itself is unreachable)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import fixture, run_lab

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


def test_status_lists_the_stand_ins_of_pwd_posts() -> None:
    result = run("bash", str(SCRIPT), "status")
    line = next(x for x in result.stdout.splitlines() if x.startswith("stand-ins:"))
    for ref in (
        "busybox:latest",
        "alpine:latest",
        "debian:latest",
        "ubuntu:latest",
        "nginx:latest",
    ):
        assert f"{ref} (" in line, line
    assert "MISSING" not in line


def test_the_stand_ins_run_in_a_sandbox_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each one pulled by its bare name through the mirror, in a throw-away node (the host's
    image store is left alone), doing what the posts ask of it; alpine has no apk."""
    monkeypatch.setenv("LAB_STATE_DIR", str(tmp_path / "state"))
    out = tmp_path / "run.json"
    r = run_lab("run", str(fixture("sandbox-standins.md")), "--json", str(out))
    assert r.status == 0, r.stdout + r.stderr
    first, apk = json.loads(out.read_text())["lessons"][0]["steps"]
    assert "busybox says hi" in first["output"]
    assert "1 packets received" in first["output"]  # busybox ping in the alpine stand-in
    assert "apt " in first["output"]
    assert [c["passed"] for c in first["checks"] if not c["inferred"]] == [True]
    assert apk["exit_status"] == 127 and "apk: not found" in apk["output"]
