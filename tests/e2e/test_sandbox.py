"""Sandbox nodes on the real engine: every terminal in its own Docker-in-Docker node.

Nothing is mocked: real nodes (docker:dind from the local mirror), real inner engines, a real
two-node swarm. Each test removes what it made; tests/conftest.py checks at the end of the
session that no object labelled by lab is left on the host engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from lab.checks import connect
from lab.errors import ExitStatus
from lab.sandbox.owner import KEPT, LESSON, OWNER, RUN, Owner, boot_id
from tests.conftest import FIXTURES, ROOT, run_lab, sandbox_leftovers

pytestmark = [pytest.mark.docker, pytest.mark.timeout(240)]

DIGEST_LEN = len("sha256:") + 64


@pytest.fixture(scope="module")
def engine() -> Any:
    return connect()


def lesson(name: str) -> str:
    return str(FIXTURES / name)


def report(path: Path) -> list[dict[str, Any]]:
    lessons: list[dict[str, Any]] = json.loads(path.read_text())["lessons"]
    return lessons


def labelled(engine: Any, owner: str | None = None) -> list[str]:
    """lab's sandbox objects on the host engine (of one owner `PID@BOOT`, or all)."""
    selector = f"{OWNER}={owner}" if owner else OWNER
    filters = {"label": selector}
    return (
        [f"container {c.name}" for c in engine.containers.list(all=True, filters=filters)]
        + [f"volume {v.name}" for v in engine.volumes.list(filters=filters)]
        + [f"network {n.name}" for n in engine.networks.list(filters=filters)]
    )


def host_engine_fingerprint(engine: Any) -> dict[str, Any]:
    """What a lesson that restarts "the" daemon would change on the host: the dockerd process,
    and the containers that were running (each with its start time)."""
    pid = Path("/var/run/docker.pid").read_text().strip()
    started = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[19]
    running = {
        c.id: c.attrs["State"]["StartedAt"]
        for c in engine.containers.list()
        if not any(k.startswith("lab.") for k in c.labels)
    }
    return {"dockerd": (pid, started), "running": running}


def test_restarting_dockerd_in_a_node_leaves_the_host_engine_alone(
    tmp_path: Path, engine: Any
) -> None:
    """Play with Docker's idioms, unchanged: `pkill dockerd` and `dockerd &` in one block,
    `service docker restart`, `kill $(pidof dockerd)`; each step is done when the new engine
    answers (the next step never races it), and the node keeps its mirror and certs.d."""
    before = host_engine_fingerprint(engine)
    out = tmp_path / "restart.json"
    r = run_lab("run", lesson("sandbox-dockerd-restart.md"), "--json", str(out))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    steps = report(out)[0]["steps"]
    assert [s["status"] for s in steps] == ["passed"] * 6
    for restart in (1, 3, 4):  # the steps that restarted it waited for the new engine
        assert "node1's Docker engine answered again" in steps[restart]["message"]
    assert steps[0]["message"] == "" and steps[2]["message"] == ""
    # after the restart, the inferred check reached the node's new engine
    assert steps[2]["checks"][0]["label"].startswith("image hello-world:latest is present")
    assert all(c["passed"] for s in steps for c in s["checks"])
    assert steps[5]["checks"][0]["label"] == "one new dockerd runs"
    assert "sandbox: node1 " in r.stdout and "mode (" in r.stdout  # the mode, in one line
    assert "cleaned up: node node1" in r.stdout
    after = host_engine_fingerprint(engine)
    assert after["dockerd"] == before["dockerd"]  # the host's dockerd was not restarted
    for cid, started in before["running"].items():  # nor any container that was running
        assert after["running"].get(cid, started) == started


def test_a_restart_whose_dockerd_exits_fails_its_own_step(tmp_path: Path) -> None:
    out = tmp_path / "exits.json"
    r = run_lab("run", lesson("sandbox-dockerd-exits.md"), "--json", str(out))
    assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
    first, second = report(out)[0]["steps"]
    assert first["status"] == "failed"
    assert first["message"].startswith("the dockerd this step started in node1 exited")
    assert second["status"] == "passed"


def test_written_checks_call_lab_assert_inside_a_node(tmp_path: Path) -> None:
    """`lab assert` in a check (or typed in a node's terminal) reads the node: files relative
    to the directory it runs in, the node's engine, 127.0.0.1 the node's."""
    out = tmp_path / "assert.json"
    r = run_lab("run", lesson("sandbox-lab-assert.md"), "--json", str(out))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    first, second = report(out)[0]["steps"]
    written = [c for c in first["checks"] if not c["inferred"]]
    assert [c["passed"] for c in written] == [True, True]
    assert "ok: file work/note.txt contains 'hello from the node'" in written[0]["output"]
    assert "ok: file /etc/docker/daemon.json exists" in written[0]["output"]
    assert "127.0.0.1:5000" in written[0]["output"]
    # a check in a terminal's shell writes to a terminal there, as on the host
    assert "✓ file note.txt contains" in written[1]["output"]
    assert "✗ file missing.txt does not exist" in written[1]["output"]
    assert "/proc/" not in written[0]["output"] + written[1]["output"]  # node paths only
    assert "✓ file note.txt exists" in second["output"]
    assert (
        "inside a sandbox node, lab runs only `lab assert ...`, not `lab steps`"
        in (second["output"])
    )


def test_two_node_swarm_through_an_overlay(tmp_path: Path) -> None:
    out = tmp_path / "swarm.json"
    r = run_lab("run", lesson("sandbox-swarm.md"), "--json", str(out))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    init, join, node_ls = report(out)[0]["steps"]
    assert init["terminal"] == 1 and join["terminal"] == 2 and node_ls["terminal"] == 1
    assert "This node joined a swarm as a worker." in join["output"]
    assert join["command"] == "$JOIN\n"  # the overlay's step: the captured join command
    rows = [line.split() for line in node_ls["output"].splitlines()[1:] if line.strip()]
    assert sorted(r[1] if r[1] != "*" else r[2] for r in rows) == ["node1", "node2"]
    assert all("Ready" in row for row in rows)
    assert node_ls["checks"] == [
        {
            "label": "both nodes are Ready",
            "line": 14,
            "inferred": False,
            "passed": True,
            "duration": node_ls["checks"][0]["duration"],
            "message": "",
            "output": "",
        }
    ]


def test_seed_lesson_green_in_a_sandbox(tmp_path: Path) -> None:
    out = tmp_path / "seed.json"
    r = run_lab("run", "--sandbox", lesson("seed-registry-part1.md"), "--json", str(out))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    steps = report(out)[0]["steps"]
    assert [s["status"] for s in steps] == ["passed"] * 7
    for index in (2, 6):  # both pushes: the printed digest is what the node's registry serves
        step = steps[index]
        printed = step["output"].split("latest: digest: ")[1][:DIGEST_LEN]
        served = [c for c in step["checks"] if c["label"].startswith("registry serves")]
        assert len(served) == 1 and served[0]["passed"], step["checks"]
        assert served[0]["label"].endswith(f"as {printed}")
        assert "(as expected)" in served[0]["output"]
    # the registry-data directory was checked inside the node
    assert any(c["label"] == "directory registry-data exists" for c in steps[5]["checks"])
    assert "cleaned up: node node1" in r.stdout


def outcome(run: dict[str, Any], *, output: bool = True) -> list[Any]:
    """A lesson's results without timings (and without output: node addresses, container
    IDs and pull progress differ from run to run)."""
    return [
        (
            s["status"],
            s["exit_status"],
            re.sub(r" after \d+\.\d s", "", s["message"]),  # "engine answered again after 1.2 s"
            s["output"] if output else None,
            [(c["label"], c["passed"], c["message"]) for c in s["checks"]],
        )
        for s in run["steps"]
    ]


HOST_FIXTURES = [
    "run-answers.md",
    "run-unanswered-read.md",
    "run-timeout.md",
    "run-exit.md",
    "run-captures.md",
    "run-failing-check.md",
]


def test_prompts_timeouts_checks_and_reports_as_on_the_host(tmp_path: Path) -> None:
    """The host-mode fixtures for answers, unanswered prompts (echo off too), timeouts, a shell
    that exits, captures and failing checks give the same results in sandbox nodes."""
    paths = [lesson(name) for name in HOST_FIXTURES]
    host, boxed = tmp_path / "host.json", tmp_path / "boxed.json"
    r = run_lab("run", *paths, "--json", str(host))
    assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
    r = run_lab("run", "--sandbox", "-j", "2", *paths, "--json", str(boxed))
    assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
    assert r.stdout.count("sandbox: node1 ") == len(paths)
    assert [outcome(run) for run in report(boxed)] == [outcome(run) for run in report(host)]
    answered = report(boxed)[0]["steps"][0]
    assert answered["output"].startswith("Name: Ada\nPassword: \n")  # the secret stays hidden
    assert "hunter2" not in boxed.read_text()


def test_parallel_runs_give_the_results_of_serial_runs(tmp_path: Path) -> None:
    names = ["sandbox-basic.md", "sandbox-dockerd-restart.md"]
    serial = []
    for i, name in enumerate(names):
        out = tmp_path / f"serial{i}.json"
        r = run_lab("run", lesson(name), "--json", str(out))
        assert r.status == ExitStatus.OK, r.stdout + r.stderr
        serial += report(out)
    out, junit = tmp_path / "parallel.json", tmp_path / "parallel.xml"
    r = run_lab("run", "-j", "2", *map(lesson, names), "--json", str(out), "--junit", str(junit))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    parallel = report(out)
    assert [run["path"] for run in parallel] == [run["path"] for run in serial]
    assert [outcome(run, output=False) for run in parallel] == [
        outcome(run, output=False) for run in serial
    ]
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["A sandbox node", "Restarting the Docker daemon"]
    assert "2/2 lessons passed" in r.stdout


def test_keep_app_link_and_reset(engine: Any) -> None:
    path = lesson("sandbox-basic.md")
    r = run_lab("run", "--keep", path)
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    try:
        r = run_lab("assert", "app", path, "1")
        assert r.status == ExitStatus.OK, r.stdout + r.stderr
        assert "app link 1 ('its API', term1 port 5000): GET http://" in r.stdout
        assert ":5000/v2/ answered 200 OK" in r.stdout
        sweep = run_lab("run", lesson("sandbox-basic.md"))  # a later run keeps kept nodes
        assert "removed leftovers" not in sweep.stdout
    finally:
        r = run_lab("reset", path)
    assert r.status == ExitStatus.OK, r.stdout
    assert "removed node node1" in r.stdout and "removed network lab-" in r.stdout
    r = run_lab("assert", "app", path, "1")
    assert r.status == ExitStatus.FAILED and "no node of this lesson runs" in r.stdout


def start_slow_lesson(tmp_path: Path, engine: Any) -> tuple[subprocess.Popen[str], str]:
    """`lab run` of a lesson whose second step sleeps, once that step runs in its node."""
    out = (tmp_path / "slow.out").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "run", lesson("sandbox-slow.md")],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )
    owner = f"{proc.pid}@{boot_id()}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        nodes = engine.containers.list(filters={"label": f"{OWNER}={owner}"})
        if nodes:
            top = nodes[0].top(ps_args="-e -o pid,args")  # the node's processes
            if any("sleep 300" in " ".join(p) for p in top.get("Processes") or []):
                return proc, owner
        assert proc.poll() is None, (tmp_path / "slow.out").read_text()
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the slow step did not start: " + (tmp_path / "slow.out").read_text())


def test_ctrl_c_removes_the_nodes(tmp_path: Path, engine: Any) -> None:
    proc, owner = start_slow_lesson(tmp_path, engine)
    assert labelled(engine, owner)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == ExitStatus.INTERRUPTED
    text = (tmp_path / "slow.out").read_text()
    assert "cleaned up: node node1" in text and "interrupted" in text
    assert labelled(engine, owner) == []


def test_leftovers_of_a_killed_lab_are_removed_by_the_next_run(tmp_path: Path, engine: Any) -> None:
    proc, owner = start_slow_lesson(tmp_path, engine)
    proc.kill()  # SIGKILL: no cleanup at all
    proc.wait(timeout=30)
    left = labelled(engine, owner)
    assert any(item.startswith("container lab-") for item in left), left
    r = run_lab("run", lesson("sandbox-basic.md"))
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    assert "removed leftovers of an earlier run whose lab died: node node1" in r.stdout
    assert labelled(engine, owner) == []


def test_host_lessons_are_not_run_side_by_side() -> None:
    r = run_lab("run", "-j", "2", lesson("run-pass.md"), lesson("sandbox-basic.md"))
    assert r.status == ExitStatus.USAGE
    assert "only sandboxed lessons can do" in r.stderr and "run-pass.md" in r.stderr
    assert "sandbox-basic.md would" not in r.stderr


def test_doctor_names_the_node_mode() -> None:
    r = run_lab("doctor", lesson("sandbox-basic.md"))
    assert r.status == ExitStatus.OK, r.stdout
    line = next(x for x in r.stdout.splitlines() if "sandbox nodes:" in x)
    assert "docker:dind" in line and " mode (" in line


def test_reset_removes_leftovers_of_dead_owners_only(engine: Any) -> None:
    dead = Owner(2**22 + 1, boot_id(), "1")  # above pid_max: no such process
    alive = Owner.current()
    made = []
    try:
        for who, run in ((dead, "deadbeef"), (alive, "a11ve000")):
            labels = {**who.labels(), RUN: run, LESSON: "/nowhere/lesson.md"}
            made.append(engine.volumes.create(f"lab-{run}-node1", labels=labels))
            made.append(engine.networks.create(f"lab-{run}", labels=labels))
        r = run_lab("reset")
        assert r.status == ExitStatus.OK, r.stdout + r.stderr
        assert "removed volume lab-deadbeef-node1" in r.stdout
        assert "removed network lab-deadbeef" in r.stdout
        assert "a11ve000" not in r.stdout
        assert labelled(engine, alive.label) == [
            "volume lab-a11ve000-node1",
            "network lab-a11ve000",
        ]
        assert labelled(engine, dead.label) == []
    finally:
        for obj in made:
            with contextlib.suppress(Exception):
                obj.remove()


def test_the_session_end_check_finds_leftovers(engine: Any) -> None:
    """The check tests/conftest.py runs after the suite reports (and removes) leftovers."""
    dead = Owner(2**22 + 1, boot_id(), "1")
    labels = {**dead.labels(), RUN: "0dd0dd00", LESSON: "/nowhere/lesson.md"}
    kept = {**dead.labels(), RUN: "0dd0dd01", LESSON: "/nowhere/lesson.md", KEPT: "1"}
    engine.volumes.create("lab-0dd0dd00-node1", labels=labels)
    volume = engine.volumes.create("lab-0dd0dd01-kept", labels=kept)
    try:
        left = sandbox_leftovers(engine)
        assert "volume lab-0dd0dd00-node1" in left and "volume lab-0dd0dd01-kept" in left
        assert labelled(engine, dead.label) == ["volume lab-0dd0dd01-kept"]  # kept: reported
    finally:
        volume.remove()
    assert labelled(engine, dead.label) == []
