"""`lab serve` on the real engine: two attendees through the websocket (as textual.js
speaks it), each on their own sandbox nodes; a refresh resumes; idle nodes stop and start
again; nodes of two attendees cannot reach each other; Ctrl-C, or `kill -9` and `lab reset`,
leave nothing behind. The real browser drives the same room in tests/browser/."""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.checks import connect
from lab.errors import ExitStatus
from lab.sandbox.owner import ROOM, SEAT
from tests.conftest import run_lab
from tests.serve.room_process import LESSON, Served, room_objects, start_room
from tests.serve.wsclient import Attendee, Refused, terminal_lines

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(300)]

STEP_1_PASSED = r"Step 1 · term1[\s\S]*?✓ passed"
EARLIER = r"Step 1 · term1[\s\S]*?✓ passed earlier[\s\S]*?Step 2 · term1"
"""Step 1 as a reopened session shows it (verified in an earlier session), step 2 after it."""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LAB_STATE_DIR": str(tmp_path / "state")}


@pytest.fixture
def engine() -> Any:
    return connect()


def nodes_of(engine: Any, room: str) -> dict[str, Any]:
    """Seat id -> its (one) node container."""
    found = engine.containers.list(all=True, filters={"label": f"{ROOM}={room}"})
    return {c.labels[SEAT]: c for c in found}


def prompt_after(screen: str, command: str) -> bool | None:
    """True once the terminal shows the command and a new prompt after it."""
    lines = [line.strip() for line in terminal_lines(screen) if line.strip()]
    return True if lines[-2:] == [f"$ {command}", "$"] else None


def seat_node(nodes: dict[str, Any], seat: int) -> Any:
    """The node of seat N (seat ids start with `s01`, `s02`, ...)."""
    return next(node for seat_id, node in nodes.items() if seat_id.startswith(f"s{seat:02d}"))


def inside(node: Any, *command: str) -> tuple[int, str]:
    code, out = node.exec_run(list(command))
    return code, out.decode(errors="replace").strip()


@pytest.fixture
def room(env: dict[str, str], engine: Any) -> Iterator[Served]:
    served = start_room("--seats", "2", "--idle", "0.1", env=env)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            print(served.stop()[1])  # shown when the test failed
        leftover = room_objects(engine, served.room)
        assert leftover == [], leftover


async def test_two_attendees_each_on_their_own_nodes_refresh_idle_and_stop(
    room: Served, engine: Any
) -> None:
    ana, ben = Attendee(room.base, "Ana"), Attendee(room.base, "Ben")
    stranger = Attendee(room.base, "Mallory")
    try:
        with pytest.raises(Refused) as refused:
            await stranger.join("WRNG-CODE")
        assert refused.value.status == 403
        for who in (ana, ben):
            await who.join(room.code)
            await who.connect()
        for who in (ana, ben):
            await who.wait_for(r"Step 1 · term1", timeout=60)
            await who.wait_for(r"│\$ ", timeout=60)  # term1's prompt: its node is up
            await who.press("\r")  # run step 1 in the attendee's own node
        for who in (ana, ben):
            await who.wait_for(STEP_1_PASSED, timeout=90)
        assert len(room.apps()) == 2  # one app each, forked by the room's zygote

        nodes = nodes_of(engine, room.room)
        assert len(nodes) == 2  # one node each
        ana_node, ben_node = (seat_node(nodes, n) for n in (1, 2))  # joined in this order
        for node in (ana_node, ben_node):
            config = node.attrs["HostConfig"]
            assert config["Memory"] == 1 << 30 and config["PidsLimit"] == 1024
            assert config["CpuShares"] == 64 and not config["Privileged"]
            assert {"SYS_MODULE", "SYSLOG", "SYS_TIME"} <= {
                c.removeprefix("CAP_") for c in config["CapDrop"]
            }
            assert config["DeviceCgroupRules"] == ["c *:* rwm"]
            # narrowed rights: no kernel log, no disk of the host (its inner dockerd works)
            assert inside(node, "dmesg")[0] != 0
            disk = "mknod /dev/d b 254 0 2>/dev/null; head -c1 /dev/d >/dev/null"
            assert inside(node, "sh", "-c", disk)[0] != 0
            # the same container name and the same published port in each node
            assert inside(node, "docker", "ps", "--format", "{{.Names}} {{.Ports}}")[1].startswith(
                "registry 0.0.0.0:5000->5000/tcp"
            )
        registry_id = inside(ana_node, "docker", "inspect", "-f", "{{.Id}}", "registry")[1]
        # separate networks: Ana's node cannot reach Ben's, though each reaches its own
        ana_net = set(ana_node.attrs["NetworkSettings"]["Networks"])
        ben_net = ben_node.attrs["NetworkSettings"]["Networks"]
        assert ana_net.isdisjoint(ben_net)
        ben_ip = next(iter(ben_net.values()))["IPAddress"]
        code, _ = inside(ana_node, "curl", "-s", "--max-time", "3", f"http://{ben_ip}:5000/v2/")
        assert code != 0
        assert inside(ana_node, "curl", "-s", "http://127.0.0.1:5000/v2/") == (0, "{}")

        # the shell's own state: a variable and a directory of Ana's
        await ana.focus_terminal()
        await ana.press("export COLOUR=blue; cd /etc\r")
        await ana.until(lambda text: prompt_after(text, "export COLOUR=blue; cd /etc"), 30, "done")

        # a refresh: a new page, a new app; the same node, step 1 still passed, the shell
        # taken up where it was
        await ana.disconnect()
        await ana.connect()
        await ana.wait_for(EARLIER, timeout=60)
        await ana.wait_for(r"│\$ ", timeout=60)
        await ana.focus_terminal()
        await ana.press("echo resumed-$((6*7)) $COLOUR $PWD\r")
        await ana.wait_for(r"resumed-42 blue /etc", timeout=30)
        assert any(line.strip() == "resumed-42 blue /etc" for line in terminal_lines(ana.text()))
        again = inside(ana_node, "docker", "inspect", "-f", "{{.Id}}", "registry")[1]
        assert again == registry_id  # the same node: what step 1 made is still there

        # Ben goes away: after the idle time his node stops; on return it starts again
        await ben.disconnect()
        deadline = time.monotonic() + 60
        while ben_node.status == "running" and time.monotonic() < deadline:
            await asyncio.sleep(1)
            ben_node.reload()
        assert ben_node.status == "exited"
        assert ana_node.status == "running"  # Ana is still here
        await ben.connect()
        await ben.wait_for(EARLIER, timeout=60)
        await ben.wait_for(r"│\$ ", timeout=60)
        ben_node.reload()
        assert ben_node.status == "running"
    finally:
        for who in (ana, ben, stranger):
            await who.close()
    status, output = room.stop()
    assert status == ExitStatus.OK, output
    assert "seat 2: Ben away" in output and "stopped 1 node(s)" in output
    assert re.search(r"removed node node1 \(lab-\w+-s01", output)
    assert room_objects(engine, room.room) == []
    assert list(Path(tempfile.gettempdir()).glob(f"lab-seat-{room.room}-*")) == []  # seats' locks


async def test_after_kill_9_lab_reset_removes_the_rooms_nodes(
    env: dict[str, str], engine: Any
) -> None:
    served = start_room("--seats", "1", "--warm", "0", env=env)  # the app makes the node
    ana = Attendee(served.base, "Ana")
    try:
        await ana.join(served.code)
        await ana.connect()
        await ana.wait_for(r"│\$ ", timeout=60)
    finally:
        await ana.close()
    assert room_objects(engine, served.room)  # the node, its volume and network
    zygote = served.zygote()
    assert zygote is not None
    served.process.kill()
    served.process.wait(timeout=30)
    deadline = time.monotonic() + 15
    while Path(f"/proc/{zygote}").exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert not Path(f"/proc/{zygote}").exists()  # the zygote went with its server
    result = run_lab("reset", env=env)
    assert result.status == ExitStatus.OK, result.stdout + result.stderr
    assert re.search(r"removed node node1 \(lab-\w+-s01", result.stdout)
    assert room_objects(engine, served.room) == []


async def test_a_room_serves_a_bundle_to_its_nodes(
    env: dict[str, str], engine: Any, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    made = run_lab("bundle", str(LESSON), "-o", str(bundle), env=env)
    assert made.status == ExitStatus.OK, made.stdout + made.stderr
    served = start_room("--seats", "1", "--warm", "0", "--bundle", str(bundle), env=env)
    ana = Attendee(served.base, "Ana")
    try:
        await ana.join(served.code)
        await ana.connect()
        await ana.wait_for(r"│\$ ", timeout=60)
        await ana.press("\r")
        await ana.wait_for(STEP_1_PASSED, timeout=90)
        (node,) = nodes_of(engine, served.room).values()
        mirror = json.loads(inside(node, "cat", "/etc/docker/daemon.json")[1])["registry-mirrors"]
        assert len(mirror) == 1 and not mirror[0].endswith(":5001")  # the bundle's, not the host's
        assert inside(node, "docker", "image", "inspect", "registry:2")[0] == 0
    finally:
        await ana.close()
    status, output = served.stop()
    assert status == ExitStatus.OK, output
    assert f"serving the bundle {bundle}" in output
    assert room_objects(engine, served.room) == []
