"""What lab does for a sandbox node without a node: where a relayed `lab assert` reads the
node's files, and which processes of a node are its dockerds."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from lab.sandbox import place
from lab.sandbox.relay import _fields
from lab.sandbox.restart import await_restart, dockerds


@pytest.fixture
def node_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node's root directory as the host sees it, with /var/run -> /run as in Debian."""
    root = tmp_path / "proc-1-root"
    (root / "root" / "work").mkdir(parents=True)
    (root / "run").mkdir()
    (root / "var").mkdir()
    (root / "var" / "run").symlink_to("/run")
    monkeypatch.setenv(place.ROOT_ENV, str(root))
    monkeypatch.setenv(place.CWD_ENV, "/root/work")
    return root


def test_on_the_host_paths_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(place.ROOT_ENV, raising=False)
    assert place.locate("certs/ca.crt") == "certs/ca.crt"
    assert place.shown("file /etc/x exists") == "file /etc/x exists"
    assert place.host_engine() is None
    assert place.to_terminal(False) is False


def test_in_a_node_paths_resolve_inside_it(node_root: Path) -> None:
    assert place.locate("certs/ca.crt") == f"{node_root}/root/work/certs/ca.crt"
    assert place.locate("../x") == f"{node_root}/root/x"
    # an absolute link inside the node stays inside it
    assert place.locate("/var/run/docker.sock") == f"{node_root}/run/docker.sock"


def test_in_a_node_messages_name_node_paths(node_root: Path) -> None:
    located = place.locate("certs/ca.crt")
    assert place.shown(f"file {located} exists") == "file certs/ca.crt exists"
    assert place.shown(f"file {node_root}/etc/hosts exists") == "file /etc/hosts exists"


def test_in_a_node_the_host_engine_and_terminal_come_from_the_relay(
    node_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(place.HOST_ENGINE_ENV, "unix:///var/run/docker.sock")
    monkeypatch.setenv(place.TTY_ENV, "1")
    assert place.host_engine() == "unix:///var/run/docker.sock"
    assert place.to_terminal(False) is True


def test_request_fields_are_nul_separated(tmp_path: Path) -> None:
    (tmp_path / "args").write_bytes(b"assert\0file-exists\0a b\0\0")
    assert _fields(tmp_path / "args") == [b"assert", b"file-exists", b"a b", b""]
    (tmp_path / "env").write_bytes(b"A=1\0B=2")
    assert _fields(tmp_path / "env") == [b"A=1", b"B=2"]


def fake_process(proc: Path, pid: int, comm: str, namespace: str, parent: int = 1) -> None:
    entry = proc / str(pid)
    (entry / "ns").mkdir(parents=True)
    (entry / "comm").write_text(comm + "\n")
    (entry / "stat").write_text(f"{pid} ({comm}) S {parent} {pid} {pid} 0 -1\n")
    os.symlink(namespace, entry / "ns" / "pid")


def test_dockerds_are_the_node_s_own(tmp_path: Path) -> None:
    """Only daemons named dockerd in the node's pid namespace: not the host's dockerd, not
    a dockerd in a container inside the node, not the helpers a dockerd runs as itself."""
    proc = tmp_path / "proc"
    fake_process(proc, 10, "tini", "pid:[400]")  # the node's PID 1
    fake_process(proc, 11, "dockerd", "pid:[400]", parent=10)
    fake_process(proc, 14, "dockerd", "pid:[400]", parent=11)  # its helper (docker-untar)
    fake_process(proc, 12, "containerd", "pid:[400]")
    fake_process(proc, 13, "dockerd", "pid:[500]")  # nested deeper
    fake_process(proc, 2, "dockerd", "pid:[1]")  # the host's
    (proc / "self").mkdir()
    assert dockerds(10, proc) == {11}
    assert dockerds(99, proc) == set()  # the node is gone


def test_a_step_that_started_no_dockerd_is_done_at_once(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    fake_process(proc, 10, "tini", "pid:[400]")
    fake_process(proc, 11, "dockerd", "pid:[400]", parent=10)
    socket = tmp_path / "docker.sock"
    started = time.monotonic()
    assert await_restart(10, socket, {11}, hostname="node1", command="ls", proc=proc) is None
    # `pkill dockerd` alone: the engine is gone and nothing starts another
    shutil.rmtree(proc / "11")
    assert (
        await_restart(10, socket, {11}, hostname="node1", command="pkill dockerd", proc=proc)
        is None
    )
    assert time.monotonic() - started < 1


def test_a_dockerd_that_exits_fails_the_restart(tmp_path: Path) -> None:
    """`dockerd &` in a step's last line: lab waits for it to appear, then for its engine;
    here it exits (and nothing answers on the socket)."""
    proc = tmp_path / "proc"
    fake_process(proc, 10, "tini", "pid:[400]")

    def start_then_exit() -> None:
        time.sleep(0.3)  # still a forked shell when the step's prompt comes back
        fake_process(proc, 12, "dockerd", "pid:[400]", parent=10)
        time.sleep(0.3)
        shutil.rmtree(proc / "12")

    threading.Thread(target=start_then_exit).start()
    restart = await_restart(
        10, tmp_path / "docker.sock", set(), hostname="node1", command="dockerd &", proc=proc
    )
    assert restart is not None and not restart.ok
    assert restart.message.startswith("the dockerd this step started in node1 exited")
