"""A command that waits for terminal input: the prompt it shows, and the reply typed to it."""

from __future__ import annotations

from dataclasses import dataclass

from lab.shell import waiting
from lab.shell.capture import last_line, redact, to_text
from lab.shell.result import Answerer, RunRecord

PROMPT_IDLE = 0.150
"""Silence (s) before a running command is checked for waiting on input. Measured:
prompts are recognised ~155 ms after they appear; `sleep 1` is never taken for one."""
POLL_INTERVAL = 0.05
"""How often (s) a silent command is checked again (prompt detection only)."""
PROMPT_TAIL = 4096
"""Bytes of a command's latest output searched for the prompt line."""


@dataclass(frozen=True)
class Reply:
    """What to do about a command waiting for input."""

    text: str | None
    """The answer to type (then Enter); None: nobody answers (`run.prompt` says what it
    asked)."""


def reply_to_waiting(
    fd: int, tty: str, run: RunRecord, answerer: Answerer | None, last_output: float
) -> Reply | None:
    """If the run's command waits for tty input on the pty `fd` (whose name is `tty`), ask
    `answerer`; None when it is not waiting, or the same wait was answered already.
    `last_output` (when output last came) tells waits apart where the kernel gives no
    read-call counters."""
    if run.capture is None:
        return None
    key = waiting.waiting_for_tty_input(fd, tty)
    if key is None:
        return None
    # Read-call counters show the wait changed; without them, new output has to.
    counted = all(count is not None for _, count in key)
    wait_id = (key, None if counted else last_output)
    if wait_id == run.answered:
        return None
    prompt = redact(last_line(to_text(run.capture.tail(PROMPT_TAIL))), run.secrets)
    echo_off = waiting.echo_off(fd)
    answer = answerer(prompt, echo_off) if answerer is not None else None
    if answer is None:
        run.prompt, run.prompt_hidden = prompt, echo_off
        return Reply(None)
    if echo_off:
        run.secrets.append(answer)
    run.answered = wait_id
    return Reply(answer)
