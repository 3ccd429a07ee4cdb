"""Session life cycle in a real bash: workspace, env, listeners, exit, respawn, close."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lab.errors import ShellError
from lab.shell import ShellSession
from lab.shell.waiting import session_processes
from tests.waiting import runs_a_command, wait_until

pytestmark = pytest.mark.timeout(60)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as f:  # a zombie not yet reaped by its parent
        return f.read().rsplit(")", 1)[1].split()[0] == "Z"


async def test_cwd_is_the_workspace(shell: ShellSession, tmp_path: Path) -> None:
    assert (await shell.run("pwd")).output == f"{tmp_path}\n"


async def test_env_is_passed_through(tmp_path: Path) -> None:
    session = ShellSession(cwd=tmp_path, env={"LAB_GREETING": "hello there"})
    await session.start()
    try:
        result = await session.run('echo "$LAB_GREETING|$TERM|$PAGER|$LC_ALL"')
        assert result.output == "hello there|xterm-256color|cat|C.UTF-8\n"
    finally:
        await session.close()


async def test_listener_gets_bytes_without_marks(shell: ShellSession) -> None:
    chunks: list[bytes] = []
    unsubscribe = shell.add_listener(chunks.append)
    await shell.run("echo listened")
    unsubscribe()
    seen = b"".join(chunks)
    assert b"listened" in seen
    assert b"$ " in seen  # the prompt is on screen, just not in captured output
    assert b"\x1b]133;" not in seen and b"\x1b]6973;" not in seen
    count = len(chunks)
    await shell.run("echo after")
    assert len(chunks) == count


async def test_exit_ends_the_session_and_respawn_starts_fresh(shell: ShellSession) -> None:
    await shell.run("export GONE_AFTER_RESPAWN=1")
    old_pid = shell.pid
    result = await shell.run("exit 3")
    assert result.outcome == "shell_exited"
    assert result.exit_status == 3
    assert not shell.alive
    with pytest.raises(ShellError) as info:
        await shell.run("echo dead")
    assert info.value.hint
    await shell.respawn()
    assert shell.alive and shell.pid != old_pid
    result = await shell.run('echo "ok${GONE_AFTER_RESPAWN:-}"')
    assert (result.outcome, result.output) == ("finished", "ok\n")


async def test_plain_exit_reports_status_zero(shell: ShellSession) -> None:
    result = await shell.run("exit")
    assert (result.outcome, result.exit_status) == ("shell_exited", 0)


async def test_exit_with_a_background_job_still_holding_the_pty(shell: ShellSession) -> None:
    await shell.run("sleep 30 &")
    result = await shell.run("exit 5", timeout=20)
    assert (result.outcome, result.exit_status) == ("shell_exited", 5)


async def test_close_leaves_no_process_behind(tmp_path: Path) -> None:
    session = ShellSession(cwd=tmp_path)
    await session.start()
    pid = session.pid
    assert pid is not None
    await session.run("sleep 300 &\nnohup sleep 301 >/dev/null 2>&1 &")
    assert len(session_processes(pid)) >= 3
    await session.close()
    assert _gone(pid)
    assert session_processes(pid) == []
    assert not session.alive
    await session.close()  # idempotent


async def test_close_while_a_command_runs(tmp_path: Path) -> None:
    session = ShellSession(cwd=tmp_path)
    await session.start()
    pid = session.pid
    assert pid is not None
    task = asyncio.create_task(session.run("sleep 60", timeout=50))
    await wait_until(lambda: runs_a_command(session, "sleep"), 10, "sleep 60 to start")
    await session.close()
    result = await task
    assert result.outcome == "shell_exited"
    assert _gone(pid)


async def test_start_in_a_missing_directory_fails(tmp_path: Path) -> None:
    session = ShellSession(cwd=tmp_path / "nope")
    with pytest.raises(ShellError, match="no such directory"):
        await session.start()


async def test_interrupt_and_send_text(shell: ShellSession) -> None:
    chunks: list[bytes] = []
    shell.add_listener(chunks.append)
    shell.send_text("echo typed-by-hand\r")
    # Its echo, then its output, then its end (a block sent earlier would be typed ahead).
    await wait_until(
        lambda: b"".join(chunks).count(b"typed-by-hand\r\n") == 2 and not shell.busy,
        10,
        "the typed command to run",
    )
    assert (await shell.run("echo next")).output == "next\n"
    task = asyncio.create_task(shell.run("sleep 30", timeout=50))
    await wait_until(lambda: runs_a_command(shell, "sleep"), 10, "sleep 30 to start")
    assert shell.busy
    shell.interrupt()
    result = await task
    assert (result.outcome, result.exit_status) == ("finished", 130)


async def test_resize_reaches_the_shell(shell: ShellSession) -> None:
    # readline redraws its prompt (marks included) on SIGWINCH: that must not end a run.
    for rows, cols in [(30, 120), (31, 121), (40, 200)]:
        shell.resize(rows, cols)
        result = await shell.run("stty size\necho done")
        assert (result.output, result.statuses) == (f"{rows} {cols}\ndone\n", (0, 0))


async def test_resize_while_a_block_runs(shell: ShellSession) -> None:
    task = asyncio.create_task(shell.run("sleep 0.3\nif true; then\n  stty size\nfi"))
    for cols in range(100, 140):  # spread over the block's run: pacing, not waiting
        shell.resize(24, cols)
        await asyncio.sleep(0.01)
    result = await task
    assert (result.outcome, result.statuses) == ("finished", (0, 0))
    rows, width = result.output.split()
    assert rows == "24" and 100 <= int(width) < 140


async def test_user_rc_prompt_framework_is_rewrapped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # Like a prompt framework: rewrites PS1 from PROMPT_COMMAND before every prompt.
    (home / ".bashrc").write_text(
        "PS1='plain> '\nPROMPT_COMMAND='PS1=\"[fancy \\$?] \"'\nexport FROM_RC=yes\n"
    )
    session = ShellSession(cwd=tmp_path, env={"HOME": str(home)}, user_rc=True)
    await session.start()
    chunks: list[bytes] = []
    session.add_listener(chunks.append)
    try:
        for status in (3, 0):
            result = await session.run(f'echo "rc=$FROM_RC"; (exit {status})')
            assert (result.output, result.exit_status) == ("rc=yes\n", status)
        assert b"[fancy 3] " in b"".join(chunks)
    finally:
        await session.close()


def test_core_does_not_import_textual() -> None:
    code = "import sys, lab.shell; assert 'textual' not in sys.modules, 'textual imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_idle_only_at_the_prompt_with_nothing_left_running(shell: ShellSession) -> None:
    """Cleanup may run beside the closing of an idle shell only: one with a job still
    running in it could make more Docker objects meanwhile."""
    assert shell.idle
    await shell.run("sleep 30 &", timeout=10)
    assert not shell.idle  # at the prompt, but its job runs on
    await shell.run("kill %1; wait", timeout=10)
    assert shell.idle
    await shell.close()
    assert not shell.idle


async def test_ctrl_c_works_when_lab_itself_ignores_sigint(tmp_path: Path) -> None:
    """A lab started in the background (`lab run … &` in a script, nohup) inherits SIGINT
    ignored; its shells must not, or a step's timeout and the learner's Ctrl-C do nothing."""
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        session = ShellSession(cwd=tmp_path)
        await session.start()
    finally:
        signal.signal(signal.SIGINT, before)
    try:
        task = asyncio.create_task(session.run("sleep 30", timeout=50))
        await wait_until(lambda: runs_a_command(session, "sleep"), 10, "sleep 30 to start")
        session.interrupt()
        result = await asyncio.wait_for(task, 10)
        assert (result.outcome, result.exit_status) == ("finished", 130)
    finally:
        await session.close()
