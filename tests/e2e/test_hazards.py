"""A lesson that removes every container never touches the user's own (the real engine)."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.conftest import FIXTURES, run_lab

pytestmark = pytest.mark.docker
HAZARD = FIXTURES / "hazard-mass-removal.md"


@pytest.fixture
def precious() -> str:
    """A container of the user's, made before the lesson runs."""
    name = f"lab-test-precious-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "create", "--name", name, "hello-world"], check=True, capture_output=True
    )
    yield name
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def exists(name: str) -> bool:
    probe = subprocess.run(["docker", "container", "inspect", name], capture_output=True)
    return probe.returncode == 0


def test_refused_on_the_host_and_the_users_container_is_still_there(precious: str) -> None:
    r = run_lab("run", str(HAZARD))
    assert r.status == 3, r.stdout + r.stderr
    assert f"{HAZARD}:12:" in r.stderr and "--sandbox" in r.stderr
    assert exists(precious)
    d = run_lab("doctor", str(HAZARD))
    assert d.status == 3 and "would act beyond its own objects" in d.stdout + d.stderr


def test_runs_in_a_sandbox_node_and_the_users_container_is_still_there(precious: str) -> None:
    r = run_lab("run", "--sandbox", str(HAZARD))
    assert r.status == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout
    assert exists(precious)
