"""The shell's processes: starting bash on a pty, reaping it, hanging up its whole session."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import ptyprocess

from lab.errors import ShellError
from lab.shell import waiting
from lab.shell.integration import rcfile_text

TERM = "xterm-256color"
"""What the TUI's screen emulates closely enough; programs may use colour and cursor keys."""
DEFAULT_ROWS = 24
DEFAULT_COLS = 1000
"""A very wide pty: programs that fit their output to the width (ls, ps, tables) do not
wrap or cut lines in captured output. The TUI resizes to its real size."""
_NOT_INHERITED = frozenset(
    {"PROMPT_COMMAND", "PS0", "PS1", "PS2", "PS3", "PS4", "BASH_ENV", "ENV", "COLUMNS", "LINES"}
)
"""Variables of our own environment that would make the session depend on who runs it."""

REAP_TIMEOUT = 2.0
"""How long (s) an exited shell gets to be reaped, for its exit status."""
HANGUP_GRACE = 0.5
"""After SIGHUP at close, how long (s) the session's processes get before SIGKILL."""


def session_env(
    env: Mapping[str, str] | None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Our environment (or `base`) minus prompt settings, fixed terminal settings, then the
    caller's."""
    given = dict(env or {})
    result = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if k not in _NOT_INHERITED and not k.startswith("BASH_FUNC_")
    }
    result.update(TERM=TERM, PAGER="cat", GIT_PAGER="cat", HISTFILE="/dev/null")
    if "LC_ALL" not in given and "LANG" not in given:
        result.update(LC_ALL="C.UTF-8", LANG="C.UTF-8")  # UTF-8 everywhere, no translations
    else:
        result.pop("LC_ALL", None)  # the caller's LANG must not be overridden by ours
    result.update(given)
    return result


RESET_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ)
"""Signals a terminal's shell must get with their default action, whatever lab inherited: a
lab started in the background (`cmd &` in a script, nohup, some CI runners) ignores SIGINT
and SIGQUIT, Python ignores SIGPIPE and SIGXFSZ, and bash cannot undo a signal ignored when it
started — Ctrl-C (a step's timeout, the learner's key) would then do nothing."""


def default_signals() -> None:
    """In the shell's process, before it runs bash: every signal of RESET_SIGNALS as default."""
    for sig in RESET_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)


def spawn_shell(
    *,
    shell: str,
    cwd: Path,
    env: Mapping[str, str],
    dimensions: tuple[int, int],
    user_rc: bool,
    argv_prefix: Sequence[str],
    rc_dir: tuple[Path, str] | None,
    state_file: str | None = None,
    sync_file: str | None = None,
) -> tuple[ptyprocess.PtyProcess, str]:
    """Write the session's rcfile and start `shell` with it on a new pty: the process and
    the rcfile's path (to remove once bash has read it). See ShellSession for rc_dir;
    `rcfile_text` for state_file and sync_file (as the shell names them)."""
    if not cwd.is_dir():
        raise ShellError(
            f"cannot start a shell in {cwd}: no such directory",
            hint="create the workspace directory first",
        )
    try:
        fd, path = tempfile.mkstemp(
            prefix="lab-rc-", suffix=".bash", dir=rc_dir[0] if rc_dir is not None else None
        )
    except OSError as e:
        raise ShellError(
            f"cannot write the shell's rcfile: {e}", hint="check that /tmp is writable"
        ) from e
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(rcfile_text(user_rc=user_rc, state_file=state_file, sync_file=sync_file))
    rcfile = as_shell_sees(path, rc_dir)
    # --noprofile: no /etc/profile or ~/.profile; --rcfile: ours instead of ~/.bashrc
    # (which ours sources only for user_rc); -i: interactive, so prompts are shown.
    argv = [*argv_prefix, shell, "--noprofile", "--rcfile", rcfile, "-i"]
    try:
        proc = ptyprocess.PtyProcess.spawn(
            argv, cwd=str(cwd), env=env, dimensions=dimensions, preexec_fn=default_signals
        )
    except (OSError, ptyprocess.PtyProcessError) as e:
        remove_rcfile(path)
        raise ShellError(f"cannot start {shell}: {e}", hint="check that bash is installed") from e
    proc.delayafterclose = 0.0  # we reap the shell ourselves: no sleeps in close()
    proc.delayafterterminate = 0.0
    return proc, path


def as_shell_sees(path: str, rc_dir: tuple[Path, str] | None) -> str:
    """A file of ours in rc_dir as the shell names it."""
    if rc_dir is None:
        return path
    return f"{rc_dir[1].rstrip('/')}/{os.path.basename(path)}"


def variables_file(rc_dir: tuple[Path, str] | None) -> str:
    """A new, empty file for the variables lab sets in a shell (next to its rcfile)."""
    try:
        fd, path = tempfile.mkstemp(prefix="lab-vars-", dir=rc_dir[0] if rc_dir else None)
    except OSError as e:
        raise ShellError(
            f"cannot write the shell's variables file: {e}", hint="check that /tmp is writable"
        ) from e
    os.close(fd)
    return path


def remove_rcfile(path: str | None) -> None:
    """Remove a session's rcfile (bash reads it once, at start-up)."""
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


def running(proc: ptyprocess.PtyProcess) -> bool:
    """Whether the shell process still runs (reaps it once it has exited)."""
    try:
        return bool(proc.isalive())
    except ptyprocess.PtyProcessError:  # already reaped elsewhere
        return False


async def reap(proc: ptyprocess.PtyProcess) -> int | None:
    """Wait (briefly) for the exited shell to be reaped: its exit status, if known."""
    end = _now() + REAP_TIMEOUT
    while running(proc) and _now() < end:
        await asyncio.sleep(0.01)
    return None if running(proc) else proc.exitstatus


async def hang_up(proc: ptyprocess.PtyProcess) -> None:
    """Hang up the pty and SIGHUP the session (bash, its jobs); SIGKILL stragglers.

    Closing the master is what hangs bash up reliably: a SIGHUP alone can land just
    before readline waits for input and be left pending (measured: ~1 close in 3).
    """
    sid = proc.pid  # bash leads the pty's session
    others = set(waiting.session_processes(sid)) - {sid}
    proc.fileobj.close()  # the kernel sends SIGHUP; bash's reads fail with EIO
    for pid in {sid, *others}:
        for sig in (signal.SIGHUP, signal.SIGCONT):  # CONT wakes stopped jobs to die
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
    end = _now() + HANGUP_GRACE
    pause = 0.001  # bash is usually gone within a millisecond or two: look again soon
    while _now() < end:
        if not running(proc) and not waiting.session_processes(sid):
            break
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.01)
    else:
        for pid in waiting.session_processes(sid):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        end = _now() + REAP_TIMEOUT
        while _now() < end and (
            running(proc) or waiting.session_processes(sid)
        ):  # a killed process takes a moment to become a zombie
            await asyncio.sleep(0.01)
    with contextlib.suppress(Exception):
        proc.close(force=True)  # bookkeeping only: the fd is closed, bash reaped


def _now() -> float:
    return asyncio.get_running_loop().time()
