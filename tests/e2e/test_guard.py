"""The engine guard on the real engine: the user's objects survive Play with Docker's mass
removals, every kind of stream works through it, and its socket goes with the run.

Only objects these tests make are ever removed (by name, on the engine directly). Run this
file under the engine lock: `flock /tmp/lab-engine.lock pytest tests/e2e/test_guard.py`.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ptyprocess import PtyProcess

from lab.engine.reader import connect_api
from lab.errors import ExitStatus
from lab.hoststate import take_snapshot
from lab.hoststate.guard.policy import Protected
from lab.hoststate.guard.server import EngineGuard
from lab.learner.session import LearnerSession
from lab.lesson.load import load_lesson
from tests.conftest import FIXTURES, ROOT, run_lab

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]


def docker(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    """The docker CLI (on the engine itself unless env says otherwise); its stdout."""
    proc = subprocess.run(
        ["docker", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"docker {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def exists(kind: str, name: str) -> bool:
    probe = subprocess.run(["docker", kind, "inspect", name], capture_output=True)
    return probe.returncode == 0


@dataclass(frozen=True)
class Mine:
    """Objects of the user's, made before a lesson runs: one of each kind."""

    container: str
    image: str
    volume: str
    network: str

    def all_there(self) -> None:
        state = docker("container", "inspect", "-f", "{{.State.Running}}", self.container)
        assert state.strip() == "true", f"container {self.container} is no longer running"
        for kind, name in (
            ("image", self.image),
            ("volume", self.volume),
            ("network", self.network),
        ):
            assert exists(kind, name), f"{kind} {name} is gone"


@pytest.fixture(scope="module")
def mine() -> Iterator[Mine]:
    tag = f"lab-test-keep-{uuid.uuid4().hex[:8]}"
    made = Mine(tag, f"{tag}:mine", tag, tag)
    try:
        docker("run", "-d", "--name", made.container, "registry:2")
        dockerfile = f"FROM hello-world\nLABEL keep.test={tag}\n"
        docker("build", "-q", "-t", made.image, "-", stdin=dockerfile)
        docker("volume", "create", made.volume)
        docker("network", "create", made.network)
        yield made
    finally:
        subprocess.run(["docker", "rm", "-f", made.container], capture_output=True)
        subprocess.run(["docker", "rmi", made.image], capture_output=True)
        subprocess.run(["docker", "volume", "rm", made.volume], capture_output=True)
        subprocess.run(["docker", "network", "rm", made.network], capture_output=True)


# --------------------------------------------------------------------------- mass removals
MASS_REMOVALS = [
    # (the Play with Docker posts' own lines, what the guard says)
    ("docker container rm -f $(docker container ls -aq)", "lab protected container '{container}'"),
    ("docker container rm $(docker container ls -aq)", "lab protected container '{container}'"),
    (
        "docker container rm --force $(docker container ls --quiet)",
        "lab protected container '{container}'",
    ),
    ("docker image rm $(docker image ls -q)", "lab protected image"),
    ("docker volume rm $(docker volume ls -q)", "lab protected volume '{volume}'"),
    ("docker network prune -f", "lab protected the engine's unused networks"),
]


@pytest.mark.parametrize(("command", "said"), MASS_REMOVALS)
def test_the_users_objects_survive_a_mass_removal_on_the_host(
    mine: Mine, tmp_path: Path, command: str, said: str
) -> None:
    lesson = tmp_path / "mass-removal.md"
    lesson.write_text(f"Clean up, as on a throw-away node:\n\n```.term1\n{command}\n```\n")
    report = tmp_path / "report.json"
    r = run_lab("run", "--allow-engine-wide-changes", str(lesson), "--json", str(report))
    assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
    [step] = json.loads(report.read_text())["lessons"][0]["steps"]
    assert step["status"] == "failed"
    assert step["message"].startswith("lab protected "), step["message"]
    expected = said.format(container=mine.container, volume=mine.volume)
    assert f"Error response from daemon: {expected}" in step["output"], step["output"]
    assert "FAIL" in r.stdout and "lab protected " in r.stdout
    mine.all_there()


def test_a_refusal_fails_the_step_even_when_its_commands_exit_0(mine: Mine, tmp_path: Path) -> None:
    lesson = tmp_path / "ignores-errors.md"
    lesson.write_text(
        f"```.term1\ndocker rm -f {mine.container} || true\n```\n\n```.term1\necho after\n```\n"
    )
    r = run_lab("run", str(lesson))
    assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
    assert f"lab protected container '{mine.container}': it existed before this lesson" in r.stdout
    assert "1 passed, 1 failed" in r.stdout  # only the step that did it fails
    mine.all_there()


def test_the_precious_experiment(tmp_path: Path) -> None:
    """The issue's experiment: refused up front; with the static gate bypassed, refused at
    run time; `precious` runs all along."""
    precious = f"precious-{uuid.uuid4().hex[:6]}"
    docker("run", "-d", "--name", precious, "registry:2")
    try:
        up_front = run_lab("run", str(FIXTURES / "hazard-mass-removal.md"))
        assert up_front.status == ExitStatus.ENV_NOT_READY
        bypassed = run_lab(
            "run", "--allow-engine-wide-changes", str(FIXTURES / "hazard-mass-removal.md")
        )
        assert bypassed.status == ExitStatus.FAILED, bypassed.stdout + bypassed.stderr
        assert f"lab protected container '{precious}': it existed before this lesson" in (
            bypassed.stdout
        )
        assert not exists("container", "doomed"), "the lesson's own container is removed"
        assert docker("inspect", "-f", "{{.State.Running}}", precious).strip() == "true"
    finally:
        subprocess.run(["docker", "rm", "-f", precious], capture_output=True)


def test_the_same_removals_pass_in_a_sandbox(mine: Mine, tmp_path: Path) -> None:
    lesson = tmp_path / "mass-removals.md"
    steps = [
        "docker run -d --name app registry:2 && docker create --name idle hello-world",
        "docker volume create data && docker network create backend",
        "docker container rm --force $(docker container ls --quiet)",
        "docker container rm $(docker container ls -aq)",
        "docker run -d --name app2 registry:2",
        "docker container rm -f $(docker container ls -aq)",
        "docker image rm $(docker image ls -q)",
        "docker volume rm $(docker volume ls -q)",
        "docker network prune -f",
    ]
    lesson.write_text("".join(f"```.term1\n{step}\n```\n\n" for step in steps))
    r = run_lab("run", "--sandbox", str(lesson))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert f"{len(steps)} passed" in r.stdout
    mine.all_there()


async def test_a_learners_session_fails_the_step_with_the_reason(
    mine: Mine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lab open`: the step card and the notice show the step's message."""
    monkeypatch.setenv("LAB_STATE_DIR", str(tmp_path / "state"))
    lesson = tmp_path / "learner.md"
    lesson.write_text(f"```.term1\ndocker volume rm {mine.volume}\n```\n")
    learner = LearnerSession(load_lesson(lesson))
    await learner.start()
    try:
        result = await learner.run_step(learner.lesson.steps[0])
    finally:
        await learner.close()
    assert result.status == "failed"
    assert result.message.startswith(
        f"lab protected volume '{mine.volume}': it existed before this lesson"
    )
    assert not learner.verified(learner.lesson.steps[0])
    mine.all_there()


async def test_what_an_earlier_session_made_is_the_lessons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A learner's session spans restarts: the guard keeps what existed before the first."""
    monkeypatch.setenv("LAB_STATE_DIR", str(tmp_path / "state"))
    box = f"lab-test-resume-{uuid.uuid4().hex[:8]}"
    lesson = tmp_path / "resume.md"
    lesson.write_text(
        f"```.term1\ndocker create --name {box} hello-world\n```\n\n"
        f"```.term1\ndocker rm {box}\n```\n"
    )
    try:
        for index in (0, 1):  # one step per session, as a learner who quit in between
            learner = LearnerSession(load_lesson(lesson))
            await learner.start()
            try:
                result = await learner.run_step(learner.lesson.steps[index])
            finally:
                await learner.close()
            assert result.ok, result
    finally:
        subprocess.run(["docker", "rm", "-f", box], capture_output=True)


# --------------------------------------------------------------------------- streams
@pytest.fixture
def guard() -> Iterator[EngineGuard]:
    """A running guard, as the runner starts it (what exists now is protected)."""
    running = EngineGuard()
    running.start(Protected.of(take_snapshot(connect_api())))
    directory = running.socket_path.parent
    try:
        yield running
    finally:
        running.stop()
    assert not directory.exists()


@pytest.fixture
def guarded(guard: EngineGuard) -> dict[str, str]:
    """The environment of a shell that reaches the engine through the guard."""
    return guard.client_env(os.environ)


@pytest.fixture
def names() -> Iterator[list[str]]:
    """Containers and images a test makes: removed afterwards, on the engine directly."""
    made: list[str] = []
    yield made
    for name in made:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        subprocess.run(["docker", "rmi", name], capture_output=True)


def unique(prefix: str, names: list[str]) -> str:
    name = f"lab-test-{prefix}-{uuid.uuid4().hex[:8]}"
    names.append(name)
    return name


def test_attach_with_stdin_through_the_guard(guarded: dict[str, str], names: list[str]) -> None:
    box = unique("attach", names)
    out = docker(
        "run", "--rm", "-i", "--name", box, "--entrypoint", "sh", "registry:2",
        "-c", "cat; echo end of input",
        env=guarded, stdin="hello through the guard\n",
    )  # fmt: skip
    assert out == "hello through the guard\nend of input\n"


def test_run_it_on_a_terminal_through_the_guard(guarded: dict[str, str], names: list[str]) -> None:
    script = 'read answer; echo "got $answer"'
    box = unique("run-it", names)
    argv = ["docker", "run", "--rm", "-it", "--name", box, "--entrypoint", "sh", "registry:2"]
    proc = PtyProcess.spawn(
        [*argv, "-c", script],
        env=guarded,
        dimensions=(24, 80),
    )
    seen = b""
    deadline = time.monotonic() + 60
    proc.write(b"yes\r")
    while b"got yes" not in seen and time.monotonic() < deadline:
        try:
            seen += proc.read(4096)
        except EOFError:
            break
    proc.wait()
    assert b"got yes" in seen, seen
    assert proc.exitstatus == 0


def test_exec_through_the_guard(guarded: dict[str, str], names: list[str]) -> None:
    box = unique("exec", names)
    docker("run", "-d", "--name", box, "--entrypoint", "sleep", "registry:2", "300", env=guarded)
    assert docker("exec", box, "echo", "from exec", env=guarded) == "from exec\n"
    assert docker("exec", "-i", box, "tr", "a-z", "A-Z", env=guarded, stdin="abc\n") == "ABC\n"


def test_logs_follow_streams_through_the_guard(guarded: dict[str, str], names: list[str]) -> None:
    box = unique("logs", names)
    script = "for i in 1 2 3 4; do echo line$i; sleep 0.5; done"
    docker(
        "run", "-d", "--name", box, "--entrypoint", "sh", "registry:2", "-c", script, env=guarded
    )
    follow = subprocess.Popen(
        ["docker", "logs", "-f", box], env=guarded, stdout=subprocess.PIPE, text=True
    )
    assert follow.stdout is not None
    first = follow.stdout.readline()
    first_at = time.monotonic()
    rest = follow.stdout.read()
    done_at = time.monotonic()
    assert follow.wait(timeout=30) == 0
    assert first == "line1\n" and rest == "line2\nline3\nline4\n"
    assert done_at - first_at > 0.8, "lines arrived as they were written, not all at the end"


def test_events_stream_through_the_guard(
    guard: EngineGuard, guarded: dict[str, str], names: list[str]
) -> None:
    box = unique("events", names)
    events = subprocess.Popen(
        ["docker", "events", "--filter", f"container={box}", "--format", "{{.Action}}"],
        env=guarded,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)  # subscribed
        docker("create", "--name", box, "hello-world", env=guarded)
        assert events.stdout is not None
        assert events.stdout.readline().strip() == "create"
    finally:
        events.terminate()
        events.wait()
    deadline = time.monotonic() + 10
    while guard.connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert guard.connections() == 0, "a stopped `docker events` lets go of the engine"


def test_build_push_and_pull_through_the_guard(
    guarded: dict[str, str], names: list[str], tmp_path: Path
) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM hello-world\nCOPY big /big\n")
    (context / "big").write_bytes(os.urandom(8 * 1024 * 1024))  # a request body of 8 MiB
    image = unique("build", names)
    docker("build", "-t", image, str(context), env=guarded)
    size = int(docker("image", "inspect", "-f", "{{.Size}}", image))
    assert size >= 8 * 1024 * 1024

    registry = unique("registry", names)
    docker("run", "-d", "--name", registry, "-p", "127.0.0.1::5000", "registry:2", env=guarded)
    address = docker("port", registry, "5000", env=guarded).split()[0]
    for _ in range(50):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(address.rsplit(":", 1)[1]))) == 0:
                break
        time.sleep(0.1)
    remote = f"{address}/{image}:1"
    names.append(remote)
    docker("tag", image, remote, env=guarded)
    pushed = docker("push", remote, env=guarded)
    assert "digest: sha256:" in pushed
    docker("rmi", remote, env=guarded)
    pulled = docker("pull", remote, env=guarded)
    assert "Status: Downloaded newer image" in pulled or "Image is up to date" in pulled


def test_every_request_on_a_kept_alive_connection_is_judged(
    guarded: dict[str, str], mine: Mine
) -> None:
    path = guarded["DOCKER_HOST"].removeprefix("unix://")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    conn = http.client.HTTPConnection("docker")
    conn.sock = sock
    conn.request("GET", "/_ping")
    first = conn.getresponse()
    assert (first.status, first.read()) == (200, b"OK")
    conn.request("DELETE", f"/v1.41/containers/{mine.container}?force=1")
    second = conn.getresponse()
    assert second.status == 409
    assert json.loads(second.read())["message"] == (
        f"lab protected container '{mine.container}': it existed before this lesson"
    )
    conn.close()
    mine.all_there()


# --------------------------------------------------------------------------- the socket's life
def guard_dirs(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"lab-guard-{pid}-*"))


def wait_for_guard(proc: subprocess.Popen[str]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [d for d in guard_dirs(proc.pid) if (d / "docker.sock").exists()]
        if found:
            return found[0]
        assert proc.poll() is None, "lab ended before its guard started"
        time.sleep(0.05)
    raise AssertionError("no guard socket appeared")


def start_lab(lesson: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lab", "run", str(lesson)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def slow_lesson(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lesson whose second step takes a minute; the first writes the engine address its
    shell has to host.txt beside it."""
    monkeypatch.setenv("LAB_STATE_DIR", str(tmp_path / "state"))
    lesson = tmp_path / "slow.md"
    lesson.write_text(
        f'```.term1\necho "$DOCKER_HOST" > {tmp_path}/host.txt && docker ps -q > /dev/null\n```'
        "\n\n```.term1\nsleep 60\n```\n"
    )
    return lesson


def test_the_socket_is_gone_after_a_run(slow_lesson: Path) -> None:
    slow_lesson.write_text(slow_lesson.read_text().replace("sleep 60", "sleep 0.1"))
    proc = start_lab(slow_lesson)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    address = (slow_lesson.parent / "host.txt").read_text().strip()
    assert address.startswith(f"unix://{tempfile.gettempdir()}/lab-guard-{proc.pid}-")
    assert address.endswith("/docker.sock")
    assert guard_dirs(proc.pid) == []


def test_the_socket_is_gone_after_ctrl_c(slow_lesson: Path) -> None:
    proc = start_lab(slow_lesson)
    wait_for_guard(proc)
    time.sleep(1.0)  # in the second step
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert guard_dirs(proc.pid) == []


def test_after_kill_9_the_next_run_or_a_reset_removes_the_socket(slow_lesson: Path) -> None:
    quick = slow_lesson.with_name("quick.md")
    quick.write_text("```.term1\ndocker ps -q > /dev/null\n```\n")
    for next_lab in ("run", "reset"):
        proc = start_lab(slow_lesson)
        left = wait_for_guard(proc)
        proc.kill()
        proc.communicate(timeout=60)
        assert left.exists(), "a killed lab cannot remove its socket itself"
        if next_lab == "run":
            r = run_lab("run", str(quick))
            assert r.status == ExitStatus.OK, r.stdout + r.stderr
        else:  # a lesson with no recorded session: only leftovers are removed
            r = run_lab("reset", "--yes", str(quick))
            assert "removed the engine guard socket of a lab that died" in r.stdout, r.stdout
        assert not left.exists()
