"""A headless bash session in a pty: runs blocks line by line, completion told by marks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import ptyprocess

from lab.errors import ShellError
from lab.shell import waiting
from lab.shell.capture import last_line, redact, to_text
from lab.shell.integration import rcfile_text
from lab.shell.marks import Mark, MarkKind, MarkScanner
from lab.shell.result import Answerer, CommandResult, Outcome, RunRecord

log = logging.getLogger(__name__)

READ_SIZE = 65536
"""Bytes asked for a read; the pty hands over about 2 KiB at a time anyway."""
PROMPT_IDLE = 0.150
"""Silence (s) before a running command is checked for waiting on input. Measured:
prompts are recognised ~155 ms after they appear; `sleep 1` is never taken for one."""
POLL_INTERVAL = 0.05
"""How often (s) a silent command is checked again (prompt detection only)."""
SETTLE_INTERVAL = 0.01
"""How often (s) to look whether readline waits for a key before sending it Ctrl-C."""
RECOVER_TIMEOUT = 3.0
"""After Ctrl-C (timeout, unanswered prompt), how long (s) the shell gets to show its
prompt before it is considered stuck (or taken over by another interactive program)."""
REAP_TIMEOUT = 2.0
"""How long (s) an exited shell gets to be reaped, for its exit status."""
HANGUP_GRACE = 0.5
"""After SIGHUP at close, how long (s) the session's processes get before SIGKILL."""
PROMPT_TAIL = 4096
"""Bytes of a command's latest output searched for the prompt line."""

CTRL_C = b"\x03"
"""ETX: the tty turns it into SIGINT for the foreground process group."""
PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"
"""Bracketed paste: readline inserts what is between them as text (a TAB is no completion)."""
QUOTED_INSERT = b"\x16"
"""Ctrl-V: readline inserts the next key literally (TABs when bracketed paste is off)."""

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

Listener = Callable[[bytes], None]
"""Gets raw pty output (marks removed), e.g. to feed a terminal screen."""


def _session_env(
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


def _lines(block: str) -> list[str]:
    """The block's lines, without CRs and trailing blank lines."""
    lines = [line.rstrip("\r") for line in block.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


class ShellSession:
    """One bash in a pty. A single reader owns the pty and fans raw bytes out to listeners
    (screens) and to the block being run."""

    def __init__(
        self,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        rows: int = DEFAULT_ROWS,
        cols: int = DEFAULT_COLS,
        user_rc: bool = False,
        shell: str = "bash",
        name: str = "term1",
        argv_prefix: Sequence[str] = (),
        rc_dir: tuple[Path, str] | None = None,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        """argv_prefix, rc_dir and base_env put the shell somewhere else, e.g. in a container:
        the shell is started as `argv_prefix + [shell, ...]` (`nsenter -t PID -a --`), its
        rcfile is written to rc_dir[0] (a directory as we see it) and named to the shell as
        rc_dir[1] (the same directory as the shell sees it), and its environment starts from
        base_env (the container's) instead of ours. The prefix must exec or wait for the
        shell on the same pty, so that prompts, Ctrl-C and hang-ups work as at home."""
        self.name = name
        self._cwd = Path(cwd)
        self._env = _session_env(env, base_env)
        self._argv_prefix = list(argv_prefix)
        self._rc_dir = rc_dir
        self._rows, self._cols = rows, cols
        self._user_rc = user_rc
        self._shell = shell
        self._listeners: list[Listener] = []
        self._proc: ptyprocess.PtyProcess | None = None
        self._fd: int | None = None
        self._pidfd: int | None = None
        self._tty: str | None = None
        self._rcfile: str | None = None
        self._scanner = MarkScanner()
        self._changed = asyncio.Event()
        self._outbuf = bytearray()
        self._run: RunRecord | None = None
        self._ready = False  # prompt shown (133;B), nothing typed since
        self._more = False  # PS2 shown: bash wants the rest of the command
        # A prompt redrawn on SIGWINCH repeats its marks. So once a line is sent, a B counts
        # only after bash finished a command line (C or D: `_line_done`), and a PS2 mark
        # only after readline took the line (2004l, C or D: `_line_taken`).
        self._line_done = True
        self._line_taken = True
        self._in_command = False  # 133;C seen, 133;D not yet
        self._exited = True
        self._integration_lost = False
        self._exit_status: int | None = None
        self._last_output = 0.0

    # -- public API ---------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """The shell is running."""
        return self._proc is not None and not self._exited

    @property
    def busy(self) -> bool:
        """A block is being run, or a command (typed in a UI) is running."""
        return self._run is not None or self._in_command

    @property
    def idle(self) -> bool:
        """The shell waits at its prompt and nothing else runs in its session (no job left
        running in the background either)."""
        if not self.alive or self.busy or self._proc is None:
            return False
        return waiting.session_processes(self._proc.pid) == [self._proc.pid]

    @property
    def pid(self) -> int | None:
        """The shell's process id (None when not started)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def exit_status(self) -> int | None:
        """The exit status of the last shell that exited by itself, if known."""
        return self._exit_status

    async def start(self, ready_timeout: float = 10.0) -> None:
        """Spawn bash in a pty and wait for its first prompt."""
        if self.alive:
            return
        await self.close()  # the remains of a shell that exited by itself
        if not self._cwd.is_dir():
            raise ShellError(
                f"cannot start a shell in {self._cwd}: no such directory",
                hint="create the workspace directory first",
            )
        try:
            fd, self._rcfile = tempfile.mkstemp(
                prefix="lab-rc-",
                suffix=".bash",
                dir=self._rc_dir[0] if self._rc_dir is not None else None,
            )
        except OSError as e:
            raise ShellError(
                f"cannot write the shell's rcfile: {e}", hint="check that /tmp is writable"
            ) from e
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(rcfile_text(user_rc=self._user_rc))
        rcfile = self._rcfile
        if self._rc_dir is not None:
            rcfile = f"{self._rc_dir[1].rstrip('/')}/{os.path.basename(self._rcfile)}"
        # --noprofile: no /etc/profile or ~/.profile; --rcfile: ours instead of ~/.bashrc
        # (which ours sources only for user_rc); -i: interactive, so prompts are shown.
        argv = [*self._argv_prefix, self._shell, "--noprofile", "--rcfile", rcfile, "-i"]
        try:
            proc = ptyprocess.PtyProcess.spawn(
                argv, cwd=str(self._cwd), env=self._env, dimensions=(self._rows, self._cols)
            )
        except (OSError, ptyprocess.PtyProcessError) as e:
            self._remove_rcfile()
            raise ShellError(
                f"cannot start {self._shell}: {e}", hint="check that bash is installed"
            ) from e
        proc.delayafterclose = 0.0  # we reap the shell ourselves: no sleeps in close()
        proc.delayafterterminate = 0.0
        self._attach(proc)
        outcome = await self._wait(lambda: self._ready, self._now() + ready_timeout)
        if outcome is None:
            self._remove_rcfile()  # bash has read it
            return
        exited = outcome == "shell_exited"
        await self.close()
        what = "exited during start-up" if exited else f"showed no prompt in {ready_timeout:g} s"
        hint = (
            "check ~/.bashrc: it must not exit or replace the prompt hooks"
            if self._user_rc
            else "check that bash is installed and works"
        )
        raise ShellError(f"the shell {self.name!r} {what}", hint=hint)

    def add_listener(self, fn: Listener) -> Callable[[], None]:
        """Call `fn` with every chunk of raw output (marks removed); returns unsubscribe."""
        self._listeners.append(fn)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(fn)

        return unsubscribe

    async def run(
        self,
        block: str,
        *,
        timeout: float = 60.0,
        answerer: Answerer | None = None,
        secrets: Sequence[str] = (),
        on_output: Callable[[str], None] | None = None,
    ) -> CommandResult:
        """Type `block` line by line and wait until its last command has finished."""
        if not self.alive:
            raise ShellError(
                f"the shell {self.name!r} is not running",
                hint="respawn the session to get a fresh shell in the same directory",
            )
        if self._run is not None:
            raise ShellError(
                f"the shell {self.name!r} is already running a block",
                hint="wait for the previous run to finish",
            )
        started = self._now()
        run = self._run = RunRecord(list(secrets), on_output)
        try:
            outcome = await self._drive(_lines(block), started + timeout, answerer, run)
            if outcome in ("timeout", "unanswered_prompt"):
                outcome = await self._recover(outcome, run)
        finally:
            run.end_command(None)
            self._run = None
        exit_status: int | None = None
        if outcome == "finished":
            exit_status = next((s for s in run.statuses if s), 0)
        elif outcome == "shell_exited":
            await self._reap()
            exit_status = self._exit_status
            await self.close()
        return CommandResult(
            exit_status=exit_status,
            output=run.output(),
            duration=self._now() - started,
            outcome=outcome,
            statuses=tuple(run.statuses),
            prompt=run.prompt if outcome == "unanswered_prompt" else None,
            prompt_hidden=outcome == "unanswered_prompt" and run.prompt_hidden,
        )

    def send_text(self, data: str | bytes) -> None:
        """Type raw keystrokes (from a UI); returns at once."""
        self._write(data.encode("utf-8") if isinstance(data, str) else data)

    def interrupt(self) -> None:
        """Press Ctrl-C."""
        self._write(CTRL_C)

    def resize(self, rows: int, cols: int) -> None:
        """Change the pty size (the foreground program gets SIGWINCH)."""
        self._rows, self._cols = rows, cols
        if self._proc is not None and not self._exited:
            with contextlib.suppress(OSError):
                self._proc.setwinsize(rows, cols)

    async def respawn(self) -> None:
        """Close this shell (if any) and start a fresh one with the same settings."""
        await self.close()
        await self.start()

    async def close(self) -> None:
        """Hang up the shell and everything it started; idempotent."""
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        self._detach()
        self._fd = None
        self._exited = True
        self._changed.set()
        await self._hang_up(proc)
        self._remove_rcfile()

    # -- running a block ----------------------------------------------------------------

    async def _drive(
        self, lines: list[str], deadline: float, answerer: Answerer | None, run: RunRecord
    ) -> Outcome:
        """Send each line once bash wants it; wait for the prompt after the last one."""
        if self._integration_lost and not self._ready:
            return "integration_lost"

        def wants_input() -> bool:
            return self._ready or self._more

        for line in lines:
            outcome = await self._wait(wants_input, deadline, run, answerer)
            if outcome is not None:
                return outcome
            self._send_line(line)
        outcome = await self._wait(wants_input, deadline, run, answerer)
        if outcome is not None:
            return outcome
        if self._more:
            await self._interrupt_readline()
            await self._wait(lambda: self._ready, self._now() + RECOVER_TIMEOUT)
            raise ShellError(
                "the block ends in the middle of a command",
                hint="close the open quote, here-doc, `if`/`fi` or trailing `\\` in the block",
            )
        return "finished"

    async def _interrupt_readline(self) -> None:
        """Ctrl-C to readline, once it waits for a key.

        A SIGINT that lands before readline waits is only acted on at the next key, which
        it then swallows (measured under load: `echo ok` ran as `cho ok`).
        """
        end = self._now() + RECOVER_TIMEOUT
        while self._fd is not None and self._now() < end:
            if waiting.idle_waiting_for_input(self._fd):
                break
            await asyncio.sleep(SETTLE_INTERVAL)
        self.interrupt()

    def _send_line(self, line: str) -> None:
        data = line.encode("utf-8")
        if data and self._scanner.bracketed_paste:
            data = PASTE_START + data + PASTE_END
        else:
            data = data.replace(b"\t", QUOTED_INSERT + b"\t")
        self._ready = self._more = self._line_done = False
        # Without bracketed paste there is no sign readline took the line: trust PS2 marks.
        self._line_taken = not self._scanner.bracketed_paste
        self._write(data + b"\r")

    async def _wait(
        self,
        until: Callable[[], bool],
        deadline: float,
        run: RunRecord | None = None,
        answerer: Answerer | None = None,
    ) -> Outcome | None:
        """Wait until `until()` holds (None); with a `run`, handle its commands' prompts."""
        while True:
            if until():
                return None
            if self._exited:
                return "shell_exited"
            now = self._now()
            if now >= deadline:
                return "timeout"
            delay = deadline - now
            if run is not None and run.capture is not None:
                idle = now - self._last_output
                if idle >= PROMPT_IDLE:
                    if self._handle_prompt(run, answerer):
                        return "unanswered_prompt"
                    delay = min(delay, POLL_INTERVAL)
                else:
                    delay = min(delay, PROMPT_IDLE - idle)
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._changed.wait()

    def _handle_prompt(self, run: RunRecord, answerer: Answerer | None) -> bool:
        """If the command waits for tty input, answer it; True if it stays unanswered."""
        if self._fd is None or self._tty is None or run.capture is None:
            return False
        key = waiting.waiting_for_tty_input(self._fd, self._tty)
        if key is None:
            return False
        # Read-call counters show the wait changed; without them, new output has to.
        counted = all(count is not None for _, count in key)
        wait_id = (key, None if counted else self._last_output)
        if wait_id == run.answered:
            return False
        prompt = redact(last_line(to_text(run.capture.tail(PROMPT_TAIL))), run.secrets)
        echo_off = waiting.echo_off(self._fd)
        try:
            answer = answerer(prompt, echo_off) if answerer is not None else None
        except BaseException:
            self.interrupt()
            raise
        if answer is None:
            run.prompt, run.prompt_hidden = prompt, echo_off
            return True
        if echo_off:
            run.secrets.append(answer)
        run.answered = wait_id
        self._write(answer.encode("utf-8") + b"\r")
        return False

    async def _recover(self, outcome: Outcome, run: RunRecord) -> Outcome:
        """Ctrl-C and wait for the prompt; if it does not come, decide what took over."""
        self.interrupt()
        # No prompt detection here: the process may not have got the SIGINT yet.
        back = await self._wait(lambda: self._ready, self._now() + RECOVER_TIMEOUT)
        if back is None:
            return outcome
        if back == "shell_exited":
            return back
        if self._fd is not None and waiting.idle_waiting_for_input(self._fd):
            # Something interactive without our marks (`exec bash`, `su`, a REPL) answers
            # the terminal: leave it to the user; runs report this until the prompt is back.
            self._integration_lost = True
            return "integration_lost"
        run.end_command(None)
        await self.respawn()  # stuck and deaf to Ctrl-C
        return outcome

    # -- the pty ------------------------------------------------------------------------

    def _attach(self, proc: ptyprocess.PtyProcess) -> None:
        self._proc = proc
        self._fd = fd = proc.fd
        self._tty = waiting.tty_of(proc.pid)
        self._scanner = MarkScanner()
        self._outbuf.clear()
        self._ready = self._more = self._in_command = False
        self._line_done = self._line_taken = True
        self._exited = self._integration_lost = False
        self._exit_status = None
        self._last_output = self._now()
        os.set_blocking(fd, False)
        loop = asyncio.get_running_loop()
        loop.add_reader(fd, self._on_readable)
        try:  # the pty may stay open after bash exits (background jobs hold it)
            self._pidfd = os.pidfd_open(proc.pid)
            loop.add_reader(self._pidfd, self._on_process_exit)
        except OSError:
            self._pidfd = None

    def _detach(self) -> None:
        loop = asyncio.get_running_loop()
        if self._fd is not None:
            loop.remove_reader(self._fd)
            loop.remove_writer(self._fd)
        if self._pidfd is not None:
            loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        self._outbuf.clear()

    def _on_readable(self) -> None:
        if self._fd is None:
            return
        try:
            data = os.read(self._fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: every process let go of the pty
            data = b""
        if data:
            self._feed(data)
        else:
            self._on_process_exit()

    def _on_process_exit(self) -> None:
        """bash is gone: take the output still in the pty, then stop reading."""
        if self._exited:
            return
        while self._fd is not None:
            try:
                data = os.read(self._fd, READ_SIZE)
            except OSError:
                break
            if not data:
                break
            self._feed(data)
        self._feed_screen(self._scanner.flush())
        self._detach()
        self._exited = True
        self._changed.set()

    def _feed(self, data: bytes) -> None:
        self._last_output = self._now()
        pieces = self._scanner.feed(data)
        self._feed_screen(b"".join(p for p in pieces if isinstance(p, bytes)))
        for piece in pieces:
            if isinstance(piece, Mark):
                self._on_mark(piece)
            elif self._run is not None:
                self._run.feed(piece)
        self._changed.set()

    def _feed_screen(self, data: bytes) -> None:
        if not data:
            return
        for fn in list(self._listeners):
            try:
                fn(data)
            except Exception:
                log.exception("shell output listener failed")

    def _on_mark(self, mark: Mark) -> None:
        kind = mark.kind
        if kind in (MarkKind.COMMAND_START, MarkKind.COMMAND_END, MarkKind.PASTE_OFF):
            self._line_taken = True
        if kind is MarkKind.COMMAND_START:
            self._ready = self._more = False
            self._line_done = True
            if not self._in_command:  # a second C (a user's own integration) changes nothing
                self._in_command = True
                if self._run is not None:
                    self._run.begin_command()
        elif kind is MarkKind.COMMAND_END:
            self._line_done = True
            if self._in_command:  # D without C: an empty line, a comment, the first prompt
                self._in_command = False
                if self._run is not None:
                    self._run.end_command(mark.status)
        elif kind is MarkKind.PROMPT_START:
            if self._line_done:
                self._ready = self._more = False
        elif kind is MarkKind.PROMPT_END:
            if self._in_command:  # a prompt without D: the command is over all the same
                self._in_command = False
                if self._run is not None:
                    self._run.end_command(None)
            if self._line_done:
                self._ready = True
                self._integration_lost = False
        elif kind is MarkKind.MORE_INPUT and self._line_taken:
            self._more = True

    def _write(self, data: bytes) -> None:
        if self._fd is None or self._exited:
            return
        self._outbuf += data
        self._flush_writes()

    def _flush_writes(self) -> None:
        """Write what the pty takes now; the rest when it is writable again."""
        fd = self._fd
        if fd is None:
            return
        loop = asyncio.get_running_loop()
        while self._outbuf:
            try:
                written = os.write(fd, self._outbuf)
            except BlockingIOError:
                loop.add_writer(fd, self._flush_writes)
                return
            except OSError:
                self._outbuf.clear()
                break
            del self._outbuf[:written]
        loop.remove_writer(fd)

    # -- processes ----------------------------------------------------------------------

    @staticmethod
    def _running(proc: ptyprocess.PtyProcess) -> bool:
        """Whether the shell process still runs (reaps it once it has exited)."""
        try:
            return bool(proc.isalive())
        except ptyprocess.PtyProcessError:  # already reaped elsewhere
            return False

    async def _reap(self) -> None:
        """Wait (briefly) for the exited shell to be reaped, for its exit status."""
        proc = self._proc
        if proc is None:
            return
        end = self._now() + REAP_TIMEOUT
        while self._running(proc) and self._now() < end:
            await asyncio.sleep(0.01)
        if not self._running(proc):
            self._exit_status = proc.exitstatus

    async def _hang_up(self, proc: ptyprocess.PtyProcess) -> None:
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
        end = self._now() + HANGUP_GRACE
        pause = 0.001  # bash is usually gone within a millisecond or two: look again soon
        while self._now() < end:
            if not self._running(proc) and not waiting.session_processes(sid):
                break
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)
        else:
            for pid in waiting.session_processes(sid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            end = self._now() + REAP_TIMEOUT
            while self._now() < end and (
                self._running(proc) or waiting.session_processes(sid)
            ):  # a killed process takes a moment to become a zombie
                await asyncio.sleep(0.01)
        with contextlib.suppress(Exception):
            proc.close(force=True)  # bookkeeping only: the fd is closed, bash reaped

    def _remove_rcfile(self) -> None:
        if self._rcfile is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._rcfile)
            self._rcfile = None

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()
