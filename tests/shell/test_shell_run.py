"""Running blocks in a real bash: exit statuses, output capture, multi-line input."""

from __future__ import annotations

import pytest

from lab.shell import ShellSession

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("status", [0, 1, 2, 42])
async def test_exit_status(shell: ShellSession, status: int) -> None:
    result = await shell.run(f"(exit {status})")
    assert result.outcome == "finished"
    assert result.exit_status == status
    assert result.statuses == (status,)


async def test_pipeline_reports_last_status(shell: ShellSession) -> None:
    assert (await shell.run("false | true")).exit_status == 0
    assert (await shell.run("true | false")).exit_status == 1


async def test_one_line_reports_its_last_command(shell: ShellSession) -> None:
    result = await shell.run("false; true")
    assert (result.exit_status, result.statuses) == (0, (0,))


async def test_block_records_every_status_and_first_failure(shell: ShellSession) -> None:
    result = await shell.run("false\necho after\n(exit 7)\ntrue")
    assert result.statuses == (1, 0, 7, 0)
    assert result.exit_status == 1
    assert result.output == "after\n"


async def test_output_has_no_echo_and_no_prompt(shell: ShellSession) -> None:
    result = await shell.run("echo hi")
    assert result.output == "hi\n"
    assert result.duration >= 0


async def test_empty_and_comment_lines_are_ignored(shell: ShellSession) -> None:
    result = await shell.run("echo a\n\n# a comment\necho b\n\n")
    assert result.statuses == (0, 0)
    assert result.output == "a\nb\n"


async def test_empty_block(shell: ShellSession) -> None:
    result = await shell.run("")
    assert (result.outcome, result.exit_status, result.output) == ("finished", 0, "")


async def test_backslash_continuation(shell: ShellSession) -> None:
    result = await shell.run("echo one \\\n  two \\\n  three")
    assert result.output == "one two three\n"
    assert result.statuses == (0,)


async def test_here_doc(shell: ShellSession) -> None:
    result = await shell.run("cat <<EOF\nfirst line\n  indented\nEOF")
    assert result.output == "first line\n  indented\n"


async def test_if_block(shell: ShellSession) -> None:
    block = 'if [ -d / ]; then\n  echo "root is a dir"\nelse\n  echo no\nfi'
    result = await shell.run(block)
    assert (result.output, result.statuses) == ("root is a dir\n", (0,))


async def test_open_quote_spans_lines(shell: ShellSession) -> None:
    result = await shell.run("echo 'a\nb'")
    assert result.output == "a\nb\n"


async def test_tab_in_command_is_not_completion(shell: ShellSession) -> None:
    result = await shell.run("printf 'a\\tb\\n'\necho 'x\ty'")
    assert result.output == "a\tb\nx\ty\n"


async def test_unfinished_block_raises_and_shell_recovers(shell: ShellSession) -> None:
    from lab.errors import ShellError

    with pytest.raises(ShellError, match="middle of a command"):
        await shell.run("echo 'never closed", timeout=10)
    assert (await shell.run("echo ok")).output == "ok\n"


async def test_colored_ls(shell: ShellSession) -> None:
    await shell.run("mkdir adir && touch afile")
    result = await shell.run("ls --color=always")
    assert result.exit_status == 0
    assert "\x1b[" in result.output
    assert "adir" in result.output and "afile" in result.output


async def test_large_output_completes_with_correct_tail(shell: ShellSession) -> None:
    seen: list[str] = []
    result = await shell.run("seq 1 200000", on_output=seen.append)
    assert result.exit_status == 0
    lines = result.output.splitlines()
    assert len(lines) == 200000
    assert lines[-3:] == ["199998", "199999", "200000"]
    assert "".join(seen) == result.output


async def test_secrets_are_redacted(shell: ShellSession) -> None:
    seen: list[str] = []
    result = await shell.run(
        "echo token=hunter2-xyz; echo done", secrets=["hunter2-xyz"], on_output=seen.append
    )
    assert result.output == "token=******\ndone\n"
    assert "hunter2" not in "".join(seen)
