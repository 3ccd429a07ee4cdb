"""Commands waiting for input, timeouts and lost integration, in a real bash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.shell import ShellSession

pytestmark = pytest.mark.timeout(90)


async def test_read_prompt_is_answered(shell: ShellSession) -> None:
    asked: list[tuple[str, bool]] = []

    def answer(prompt: str, echo_off: bool) -> str:
        asked.append((prompt, echo_off))
        return "Ada"

    result = await shell.run('read -p "Name: " x; echo "got $x"', answerer=answer)
    assert asked == [("Name: ", False)]
    assert (result.outcome, result.exit_status) == ("finished", 0)
    assert result.output.endswith("got Ada\n")


async def test_password_prompt_is_answered_and_redacted(shell: ShellSession) -> None:
    asked: list[tuple[str, bool]] = []
    streamed: list[str] = []

    def answer(prompt: str, echo_off: bool) -> str:
        asked.append((prompt, echo_off))
        return "s3cr3t-pw"

    result = await shell.run(
        'read -s -p "Password: " p; echo ${#p}; echo "$p"',
        answerer=answer,
        on_output=streamed.append,
    )
    assert asked == [("Password: ", True)]
    assert result.output == "Password: 9\n******\n"
    assert "s3cr3t" not in "".join(streamed)


async def test_two_silent_reads_are_answered_separately(shell: ShellSession) -> None:
    answers = iter(["one", "two"])
    asked: list[str] = []

    def answer(prompt: str, echo_off: bool) -> str:
        asked.append(prompt)
        return next(answers)

    result = await shell.run('read -s a; read -s b; echo "$a-$b"', answerer=answer)
    assert len(asked) == 2
    assert result.exit_status == 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
async def test_openssl_dn_prompts_are_answered(shell: ShellSession, tmp_path: Path) -> None:
    answers = {
        "Country Name": "DE",
        "State or Province Name": "Berlin",
        "Locality Name": "Berlin",
        "Organization Name": "Lab Ltd",
        "Organizational Unit Name": "Docs",
        "Common Name": "lab.example",
        "Email Address": "lab@example.org",
    }
    asked: list[str] = []

    def answer(prompt: str, echo_off: bool) -> str:
        asked.append(prompt)
        return next((v for k, v in answers.items() if prompt.startswith(k)), "")

    result = await shell.run(
        "openssl req -new -newkey rsa:2048 -nodes -keyout k.pem -out r.csr",
        answerer=answer,
        timeout=60,
    )
    assert (result.outcome, result.exit_status) == ("finished", 0), result
    assert [k for k in answers if any(p.startswith(k) for p in asked)] == list(answers)
    assert (tmp_path / "r.csr").exists()
    subject = (await shell.run("openssl req -in r.csr -noout -subject")).output
    assert "CN = lab.example" in subject and "O = Lab Ltd" in subject


async def test_unanswered_prompt_returns_before_the_timeout(shell: ShellSession) -> None:
    result = await shell.run('echo start; read -p "Your choice? " x; echo never', timeout=30)
    assert result.outcome == "unanswered_prompt"
    assert result.prompt == "Your choice? "
    assert result.exit_status is None
    assert result.duration < 30
    assert "never" not in result.output
    assert (await shell.run("echo ok")).output == "ok\n"


async def test_answerer_returning_none_leaves_it_unanswered(shell: ShellSession) -> None:
    result = await shell.run("read x", timeout=30, answerer=lambda prompt, echo_off: None)
    assert (result.outcome, result.prompt) == ("unanswered_prompt", "")


async def test_sleep_is_not_a_prompt(shell: ShellSession) -> None:
    asked: list[str] = []

    def answer(prompt: str, echo_off: bool) -> str:
        asked.append(prompt)
        return ""

    result = await shell.run("echo waiting; sleep 1; echo done", answerer=answer)
    assert (result.outcome, result.output, asked) == ("finished", "waiting\ndone\n", [])


async def test_timeout_interrupts_and_session_survives(shell: ShellSession) -> None:
    result = await shell.run("echo before; sleep 30", timeout=1)
    assert result.outcome == "timeout"
    assert result.exit_status is None
    assert result.output.startswith("before\n")
    assert result.duration < 30
    assert (await shell.run("echo ok")).output == "ok\n"


async def test_timeout_of_a_command_deaf_to_ctrl_c_respawns(shell: ShellSession) -> None:
    pid = shell.pid
    result = await shell.run("trap '' INT; sleep 30", timeout=1)
    assert result.outcome == "timeout"
    assert shell.alive and shell.pid != pid
    assert (await shell.run("echo ok")).output == "ok\n"


async def test_lost_integration_is_reported(shell: ShellSession) -> None:
    result = await shell.run("exec bash --norc --noprofile", timeout=2)
    assert result.outcome == "integration_lost"
    again = await shell.run("echo hi", timeout=5)
    assert again.outcome == "integration_lost"
    await shell.respawn()
    assert (await shell.run("echo back")).output == "back\n"
