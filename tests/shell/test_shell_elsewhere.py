"""A shell started through a prefix, as in a sandbox node: argv_prefix, rc_dir, base_env.

A real bash behind a program that execs it on the same pty (as nsenter does); no Docker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab.shell import ShellSession
from lab.shell.waiting import session_processes

pytestmark = pytest.mark.timeout(60)

PREFIX = ["/usr/bin/env", "LAB_THROUGH_PREFIX=yes"]
"""Stands in for `nsenter -t PID -a --`: a program that execs the shell on the same pty."""


async def test_prefix_rc_dir_and_base_env(tmp_path: Path) -> None:
    rc_host = tmp_path / "rc"
    rc_host.mkdir()
    session = ShellSession(
        cwd=tmp_path,
        env={"GIVEN": "1"},
        argv_prefix=PREFIX,
        rc_dir=(rc_host, str(rc_host)),
        base_env={"PATH": os.environ["PATH"], "ONLY_IN_BASE": "base"},
    )
    await session.start()
    try:
        # bash read the rcfile: it is gone; the variables file stays while the shell runs
        assert [p.name[:9] for p in rc_host.iterdir()] == ["lab-vars-"]
        result = await session.run(
            'echo "$LAB_THROUGH_PREFIX $GIVEN $ONLY_IN_BASE ${HOME-nohome} $TERM"'
        )
        assert result.output == "yes 1 base nohome xterm-256color\n"
        session.export({"SHARED": "it's there"})  # through the file in rc_dir
        assert (await session.run('echo "$SHARED"')).output == "it's there\n"
    finally:
        await session.close()
    assert list(rc_host.iterdir()) == []


async def test_prompts_timeouts_and_exit_through_a_prefix(tmp_path: Path) -> None:
    session = ShellSession(cwd=tmp_path, argv_prefix=PREFIX)
    await session.start()
    try:
        seen: list[tuple[str, bool]] = []

        def answer(prompt: str, echo_off: bool) -> str:
            seen.append((prompt, echo_off))
            return "Ada" if not echo_off else "s3cret"

        result = await session.run(
            'read -p "Name: " n; read -s -p "Password: " p; echo; echo "$n ${#p}"',
            answerer=answer,
            timeout=10,
        )
        assert result.outcome == "finished" and result.output.endswith("Ada 6\n")
        assert seen == [("Name: ", False), ("Password: ", True)]
        result = await session.run('read -p "Again: " x', timeout=10)
        assert result.outcome == "unanswered_prompt" and result.prompt == "Again: "
        result = await session.run("sleep 30", timeout=0.5)
        assert result.outcome == "timeout"
        assert (await session.run("echo alive")).output == "alive\n"
        result = await session.run("exit 4")
        assert result.outcome == "shell_exited" and result.exit_status == 4
    finally:
        await session.close()


async def test_close_ends_everything_the_prefixed_shell_started(tmp_path: Path) -> None:
    session = ShellSession(cwd=tmp_path, argv_prefix=PREFIX)
    await session.start()
    await session.run("sleep 60 &")
    pid = session.pid
    assert pid is not None and len(session_processes(pid)) >= 2
    await session.close()
    assert session_processes(pid) == []
