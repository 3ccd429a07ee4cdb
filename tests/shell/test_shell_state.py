"""A shell's state kept in a file (variables, directory) and variables set without a command."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lab.shell import ShellSession

pytestmark = pytest.mark.timeout(60)


async def test_a_later_shell_takes_up_variables_and_directory(tmp_path: Path) -> None:
    state = tmp_path / "state" / "term1.sh"
    (tmp_path / "sub dir").mkdir()
    first = ShellSession(cwd=tmp_path, state_file=state, env={"GIVEN": "1"})
    await first.start()
    try:
        await first.run("cd 'sub dir'; export A=1; B=\"it's two\nlines\"; arr=(x 'y z')")
    finally:
        await first.close()
    saved = state.read_text()
    assert "GIVEN" not in saved and "PATH" not in saved, "only what differs from the start"
    assert "declare -x A=" in saved and "LAB_" not in saved

    second = ShellSession(cwd=tmp_path, state_file=state, env={"GIVEN": "1"})
    await second.start()
    try:
        out = await second.run('echo "$A|$B|${arr[1]}|$PWD"; env | grep -c "^A=1$"')
        assert out.output == f"1|it's two\nlines|y z|{tmp_path / 'sub dir'}\n1\n"
    finally:
        await second.close()


async def test_export_sets_variables_with_nothing_on_screen(tmp_path: Path) -> None:
    shell = ShellSession(cwd=tmp_path)
    screen = bytearray()
    shell.add_listener(screen.extend)
    await shell.start()
    try:
        shell.send_text("echo half")  # half typed: kept as it was
        await asyncio.sleep(0.1)
        shell.export({"DIGEST": "sha256:abc", "QUOTE": "a'b"})
        await asyncio.sleep(0.2)
        assert b"export" not in screen and b"DIGEST" not in screen
        shell.send_text(' "$DIGEST $QUOTE"\r')
        await asyncio.sleep(0.3)
        assert b"half sha256:abc a'b" in screen
        result = await shell.run("bash -c 'echo \"$DIGEST\"'")  # exported: children see it
        assert result.output == "sha256:abc\n"
    finally:
        await shell.close()


async def test_export_while_a_command_runs_waits_for_the_prompt(tmp_path: Path) -> None:
    shell = ShellSession(cwd=tmp_path)
    await shell.start()
    try:
        shell.send_text("read line\r")  # a program that would swallow the key
        await asyncio.sleep(0.2)
        shell.export({"LATER": "yes"})
        shell.send_text("typed\r")
        result = await shell.run('echo "$line $LATER"')
        assert result.output == "typed yes\n"
    finally:
        await shell.close()
