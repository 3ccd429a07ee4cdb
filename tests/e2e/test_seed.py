"""The seed lesson, unchanged, through `lab run` on the real engine; cleanup; preflight; faults.

Nothing here is mocked: a real engine, a real registry container, real pushes.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.checks import connect
from lab.errors import ExitStatus
from lab.hoststate import take_snapshot
from tests.conftest import FIXTURES, ROOT, Result, run_lab
from tests.waiting import wait_until_blocking

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

SEED = FIXTURES / "seed-registry-part1.md"
SHARED_SEED = ROOT.parent / "shared" / "seeds" / "2017-02-28-linux-registry-part1.md"
DIGEST_LEN = len("sha256:") + 64


def engine_state(client: Any) -> dict[str, Any]:
    """Everything a run could leave behind, comparable before/after."""
    state = take_snapshot(client)
    return {
        "containers": sorted(state.containers),
        "images": sorted(state.images),
        "tags": sorted(state.image_tags),
        "volumes": sorted(state.volumes),
        "networks": sorted(state.networks),
        "etc_docker": {k: (v.kind, v.sha256, v.mode) for k, v in state.etc_docker.items()},
        "cli_config": state.cli_config,
    }


@pytest.fixture
def engine() -> Any:
    return connect()


def test_fixture_is_the_unchanged_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip(f"{SHARED_SEED} is not on this machine")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_passes_with_push_digests_verified(
    tmp_path: Path, engine: Any, state_dir: Path
) -> None:
    before = engine_state(engine)
    junit, report = tmp_path / "seed.xml", tmp_path / "seed.json"
    r = run_lab("run", str(SEED), "--junit", str(junit), "--json", str(report))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    data = json.loads(report.read_text())
    steps = data["lessons"][0]["steps"]
    assert [s["status"] for s in steps] == ["passed"] * 7
    # Both pushes: the digest `docker push` printed is the one the registry serves, first
    # with the registry's data inside its container (step 3), then on the host directory (7).
    for index in (2, 6):
        step = steps[index]
        printed = step["output"].split("latest: digest: ")[1][:DIGEST_LEN]
        served = [c for c in step["checks"] if c["label"].startswith("registry serves")]
        assert len(served) == 1 and served[0]["inferred"] and served[0]["passed"]
        assert served[0]["label"].endswith(f"as {printed}")
        assert "(as expected)" in served[0]["output"]
    names = [c.get("name", "") for c in ET.parse(junit).getroot().iter("testcase")]
    assert any("inferred check: registry serves 127.0.0.1:5000/hello-world" in n for n in names)
    assert "cleaned up: container registry" in r.stdout
    assert engine_state(engine) == before  # nothing left behind, nothing of ours touched
    assert not any((state_dir / "sessions").glob("*.json"))  # the record went with the cleanup


def test_images_the_user_had_come_back(engine: Any, state_dir: Path) -> None:
    """The seed runs `docker rmi hello-world`: a hello-world the user had (with all its tags)
    is there again afterwards, the very same image."""
    had = bool(engine.images.list(name="hello-world"))
    image = engine.images.pull("hello-world", tag="latest")
    extra = f"lab-test-keep-{secrets.token_hex(3)}"
    image.tag(extra, "mine")
    try:
        r = run_lab("run", str(SEED))
        assert r.status == ExitStatus.OK, r.stdout + r.stderr
        after = engine.images.get(image.id)
        assert {"hello-world:latest", f"{extra}:mine"} <= set(after.tags)
        assert not any(state_dir.rglob("*.tar"))  # the saved copy went with the cleanup
    finally:
        engine.images.remove(f"{extra}:mine")
        if not had:
            engine.images.remove("hello-world:latest")


def test_push_to_another_tag_fails_naming_both(engine: Any, state_dir: Path) -> None:
    r = run_lab("run", str(FIXTURES / "seed-wrong-tag.md"))
    assert r.status == ExitStatus.FAILED, r.stdout
    assert "registry 127.0.0.1:5000 has no tag 'latest' in hello-world (tags: v2)" in r.stdout


def test_keep_then_reset(tmp_path: Path, engine: Any, state_dir: Path) -> None:
    before = engine_state(engine)
    lesson = tmp_path / "keep.md"
    name = f"lab-keep-{secrets.token_hex(3)}"
    lesson.write_text(f"```.term1\ndocker run -d --name {name} registry:2\n```\n")
    r = run_lab("run", str(lesson), "--keep")
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert engine.containers.get(name).status == "running"
    r = run_lab("reset", str(lesson))  # not a terminal: asks for --yes, changes nothing
    assert r.status == ExitStatus.USAGE and "lab reset --yes" in r.stderr
    assert f"container {name}" in r.stdout
    assert engine.containers.get(name).status == "running"
    r = run_lab("reset", "--yes", str(lesson))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert f"removed container {name}" in r.stdout and "reset done" in r.stdout
    assert engine_state(engine) == before
    r = run_lab("reset", "--yes", str(lesson))
    assert r.status == ExitStatus.OK and "nothing to reset" in r.stdout


@pytest.fixture
def etc_docker_file() -> Iterator[Path]:
    """A file that exists under /etc/docker before the run (removed again afterwards)."""
    path = Path("/etc/docker") / f"lab-test-{secrets.token_hex(3)}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text('{"debug": false}\n')
    yield path
    path.unlink(missing_ok=True)


def test_etc_docker_changes_are_undone(
    tmp_path: Path, engine: Any, etc_docker_file: Path, state_dir: Path
) -> None:
    before = engine_state(engine)
    host = f"lab-test-{secrets.token_hex(3)}:5000"
    lesson = tmp_path / "etc.md"
    lesson.write_text(
        "```.term1\n"
        f"mkdir -p /etc/docker/certs.d/{host}\n"
        f"echo cert > /etc/docker/certs.d/{host}/ca.crt\n"
        f"echo changed > {etc_docker_file}\n"
        "docker info > /dev/null\n"
        "```\n"
    )
    r = run_lab("run", str(lesson))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert not Path(f"/etc/docker/certs.d/{host}").exists()
    assert etc_docker_file.read_text() == '{"debug": false}\n'
    assert engine_state(engine) == before


def test_docker_cli_config_is_restored(tmp_path: Path, state_dir: Path) -> None:
    """`docker login` in a lesson writes the CLI's config.json: the run puts it back."""
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text('{"auths": {}}\n')
    lesson = tmp_path / "login.md"
    lesson.write_text(
        "```.term1\n"
        'echo \'{"auths": {"x:1": {"auth": "eDp5"}}}\' > "$DOCKER_CONFIG/config.json"\n'
        "docker info > /dev/null\n"
        "```\n"
    )
    env = dict(os.environ, DOCKER_CONFIG=str(config))
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "run", str(lesson)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == ExitStatus.OK, proc.stdout + proc.stderr
    assert (config / "config.json").read_text() == '{"auths": {}}\n'
    assert f"restored {config / 'config.json'}" in proc.stdout


def test_objects_made_meanwhile_by_others_are_left_alone(
    tmp_path: Path, engine: Any, state_dir: Path
) -> None:
    """Cleanup removes what the lesson made, not a container someone else starts meanwhile."""
    mine, theirs = f"lab-mine-{secrets.token_hex(3)}", f"lab-theirs-{secrets.token_hex(3)}"
    ready, go = tmp_path / "ready", tmp_path / "go"
    lesson = tmp_path / "meanwhile.md"
    lesson.write_text(
        f"```.term1\ndocker run -d --name {mine} registry:2\n```\n\n"
        f"```.term1\ntouch {ready}; while [ ! -e {go} ]; do sleep 0.05; done\n```\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "run", str(lesson)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_blocking(ready.exists, 60, "the lesson's step to start")
        engine.containers.create("registry:2", name=theirs)  # someone else, meanwhile
        go.touch()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == ExitStatus.OK, out + err
        assert f"container {mine}" in out
        assert f"left alone (made during the run, not by the lesson): container {theirs}" in out
        assert engine.containers.get(theirs).name == theirs
        assert not engine.containers.list(all=True, filters={"name": mine})
    finally:
        proc.kill()
        for c in engine.containers.list(all=True, filters={"name": theirs}):
            c.remove(force=True, v=True)


def test_name_clash_is_refused_before_anything_runs(
    tmp_path: Path, engine: Any, state_dir: Path
) -> None:
    name = f"lab-clash-{secrets.token_hex(3)}"
    engine.images.pull("registry", tag="2")  # through the mirror, if an earlier test has not
    mine = engine.containers.create("registry:2", name=name)
    try:
        lesson = tmp_path / "clash.md"
        lesson.write_text(f"```.term1\ndocker run -d --name {name} registry:2\n```\n")
        r = run_lab("run", str(lesson))
        assert r.status == ExitStatus.ENV_NOT_READY, r.stdout + r.stderr
        assert f"a container named '{name}' already exists" in r.stderr
        assert f"docker rm -f {name}" in r.stderr
        mine.reload()  # still there, untouched
        doctor = run_lab("doctor", str(lesson))
        assert doctor.status == ExitStatus.ENV_NOT_READY
        assert f"a container named '{name}' already exists" in doctor.stdout
    finally:
        mine.remove(force=True, v=True)


def test_image_that_cannot_be_pulled_is_named(tmp_path: Path, state_dir: Path) -> None:
    lesson = tmp_path / "missing.md"
    lesson.write_text("```.term1\ndocker run -d --name lab-missing lab-missing/image:1\n```\n")
    r = run_lab("run", str(lesson))
    assert r.status == ExitStatus.ENV_NOT_READY
    assert "image lab-missing/image:1 is not here and cannot be pulled" in r.stderr
    assert "Traceback" not in r.stderr


def test_failed_pull_step_names_the_image(tmp_path: Path, state_dir: Path) -> None:
    lesson = tmp_path / "pull.md"
    lesson.write_text("```.term1 infer=off\ndocker pull 127.0.0.1:1/lab-missing:1\n```\n")
    r = run_lab("run", str(lesson))
    assert r.status == ExitStatus.FAILED
    assert "127.0.0.1:1/lab-missing" in r.stdout


def test_doctor_reports_engine() -> None:
    r = run_lab("doctor")
    assert r.status == ExitStatus.OK, r.stdout
    assert "Docker engine" in r.stdout and "ready to run" in r.stdout


def test_doctor_without_engine_exits_3(tmp_path: Path) -> None:
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/nothing.sock")
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "doctor"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == ExitStatus.ENV_NOT_READY
    assert "cannot reach the Docker engine" in proc.stdout
    assert "hint:" in proc.stdout


def test_engine_lost_mid_run(tmp_path: Path, engine: Any, state_dir: Path) -> None:
    """The engine goes away after step 1: later steps fail clearly, the report is written,
    and cleanup says what it could not do. (The engine sits behind a proxy we kill.)"""
    sock = tmp_path / "engine.sock"
    proxy = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("sockproxy.py")),
            str(sock),
            "/var/run/docker.sock",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    name = f"lab-fault-{secrets.token_hex(3)}"
    try:
        assert proxy.stdout is not None and proxy.stdout.readline().strip() == "ready"
        lesson = tmp_path / "fault.md"
        lesson.write_text(
            f"```.term1\ndocker run -d --name {name} registry:2\n```\n\n"
            f"```.term1\nkill {proxy.pid}\n```\n\n"
            "```.term1\ndocker ps\n```\n"
        )
        junit = tmp_path / "fault.xml"
        env = dict(os.environ, DOCKER_HOST=f"unix://{sock}")
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "lab", "run", str(lesson), "--junit", str(junit)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        r = Result(proc.returncode, proc.stdout, proc.stderr)
        assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
        assert "Cannot connect to the Docker daemon" in r.stdout
        assert "not cleaned up: cannot reach the Docker engine" in r.stdout
        assert f"lab reset {lesson}" in r.stdout
        assert ET.parse(junit).getroot().get("failures") == "1"
        assert time.monotonic() - started < 240
    finally:
        proxy.kill()
        proxy.wait()
        for container in engine.containers.list(all=True, filters={"name": name}):
            container.remove(force=True, v=True)
