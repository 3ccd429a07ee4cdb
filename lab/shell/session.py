"""A headless bash session in a pty: runs blocks line by line, completion told by marks.

Over 400 lines: one class, the session's whole life (start, run a block, answer, interrupt, keep
its state, close); its parts live beside it (tracker, channel, processes, keys, answer)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import ptyprocess

from lab.errors import ShellError
from lab.shell import processes, waiting
from lab.shell.answer import POLL_INTERVAL, PROMPT_IDLE, reply_to_waiting
from lab.shell.channel import PtyChannel
from lab.shell.integration import SYNC_KEY
from lab.shell.keys import CTRL_C, ENTER, block_lines, line_keys
from lab.shell.marks import Mark, MarkScanner
from lab.shell.result import Answerer, CommandResult, Outcome, RunRecord
from lab.shell.tracker import CommandEnded, CommandStarted, ShellTracker

log = logging.getLogger(__name__)

SETTLE_INTERVAL = 0.01
"""How often (s) to look whether readline waits for a key before sending it Ctrl-C."""
RECOVER_TIMEOUT = 3.0
"""After Ctrl-C (timeout, unanswered prompt), how long (s) the shell gets to show its
prompt before it is considered stuck (or taken over by another interactive program)."""

Listener = Callable[[bytes], None]
"""Gets raw pty output (marks removed), e.g. to feed a terminal screen."""


class ShellSession:
    """One bash in a pty. A single reader owns the pty and fans raw bytes out to listeners
    (screens) and to the block being run."""

    def __init__(
        self,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        rows: int = processes.DEFAULT_ROWS,
        cols: int = processes.DEFAULT_COLS,
        user_rc: bool = False,
        shell: str = "bash",
        name: str = "term1",
        argv_prefix: Sequence[str] = (),
        rc_dir: tuple[Path, str] | None = None,
        base_env: Mapping[str, str] | None = None,
        state_file: Path | None = None,
        state_file_as: str | None = None,
    ) -> None:
        """argv_prefix, rc_dir and base_env put the shell somewhere else, e.g. in a container:
        the shell is started as `argv_prefix + [shell, ...]` (`nsenter -t PID -a --`), its
        rcfile is written to rc_dir[0] (a directory as we see it) and named to the shell as
        rc_dir[1] (the same directory as the shell sees it), and its environment starts from
        base_env (the container's) instead of ours. The prefix must exec or wait for the
        shell on the same pty, so that prompts, Ctrl-C and hang-ups work as at home.

        state_file: the shell sources it at start-up and rewrites it at every prompt with its
        variables (those that differ from how it started) and its directory, so a later shell
        can take up where this one stopped. A shell somewhere else (rc_dir) keeps one only
        when state_file_as says where the shell sees it (state_file: where we see it)."""
        self.name = name
        self._cwd = Path(cwd)
        self._env = processes.session_env(env, base_env)
        self._argv_prefix = list(argv_prefix)
        self._rc_dir = rc_dir
        self._rows, self._cols = rows, cols
        self._user_rc = user_rc
        self._shell = shell
        self._listeners: list[Listener] = []
        self._proc: ptyprocess.PtyProcess | None = None
        self._fd: int | None = None
        self._channel: PtyChannel | None = None
        self._tty: str | None = None
        self._rcfile: str | None = None
        self.state_file = state_file if rc_dir is None or state_file_as else None
        self._state_as = state_file_as if rc_dir is not None else None
        self._vars_file: str | None = None
        """What SYNC_KEY makes the shell source (lab's variables), as we see it."""
        self._sync_pending = False
        self._scanner = MarkScanner()
        self._changed = asyncio.Event()
        self._run: RunRecord | None = None
        self._tracker = ShellTracker()
        self._exited = True
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
        return self._run is not None or self._tracker.in_command

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
        if self.state_file is not None:
            with contextlib.suppress(OSError):
                self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self._vars_file = processes.variables_file(self._rc_dir)
        try:
            proc, self._rcfile = processes.spawn_shell(
                shell=self._shell,
                cwd=self._cwd,
                env=self._env,
                dimensions=(self._rows, self._cols),
                user_rc=self._user_rc,
                argv_prefix=self._argv_prefix,
                rc_dir=self._rc_dir,
                state_file=self._state_as or (str(self.state_file) if self.state_file else None),
                sync_file=processes.as_shell_sees(self._vars_file, self._rc_dir),
            )
        except ShellError:
            processes.remove_rcfile(self._vars_file)
            self._vars_file = None
            raise
        self._attach(proc)
        outcome = await self._wait(lambda: self._tracker.ready, self._now() + ready_timeout)
        if outcome is None:
            processes.remove_rcfile(self._rcfile)  # bash has read it
            self._rcfile = None
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
            outcome = await self._drive(block_lines(block), started + timeout, answerer, run)
            if outcome in ("timeout", "unanswered_prompt"):
                outcome = await self._recover(outcome, run)
        finally:
            run.end_command(None)
            self._run = None
        exit_status: int | None = None
        if outcome == "finished":
            exit_status = next((s for s in run.statuses if s), 0)
        elif outcome == "shell_exited":
            if self._proc is not None:
                self._exit_status = await processes.reap(self._proc)
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

    def export(self, variables: Mapping[str, str]) -> None:
        """Set (and export) variables in the shell without typing a command: at once when it
        waits at its prompt, else when its prompt is next back (nothing shows on screen)."""
        if self._vars_file is None or not variables:
            return
        text = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in variables.items())
        with contextlib.suppress(OSError):
            Path(self._vars_file).write_text(text, encoding="utf-8")
        self._sync_pending = True
        if self._tracker.ready and self._run is None:
            self._sync()

    def _sync(self) -> None:
        """Press the key that makes readline source the variables file."""
        if self._sync_pending:
            self._sync_pending = False
            self._write(SYNC_KEY.encode("ascii"))

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
        if self._channel is not None:
            self._channel.close()
        self._channel = self._fd = None
        self._exited = True
        self._changed.set()
        await processes.hang_up(proc)
        processes.remove_rcfile(self._rcfile)
        processes.remove_rcfile(self._vars_file)  # the shell read it till its end
        self._rcfile = self._vars_file = None

    # -- running a block ----------------------------------------------------------------

    async def _drive(
        self, lines: list[str], deadline: float, answerer: Answerer | None, run: RunRecord
    ) -> Outcome:
        """Send each line once bash wants it; wait for the prompt after the last one."""
        tracker = self._tracker
        if tracker.integration_lost and not tracker.ready:
            return "integration_lost"

        def wants_input() -> bool:
            return tracker.wants_input

        for line in lines:
            outcome = await self._wait(wants_input, deadline, run, answerer)
            if outcome is not None:
                return outcome
            if tracker.ready:
                self._sync()  # lab's variables first: readline takes keys in order
            self._send_line(line)
        outcome = await self._wait(wants_input, deadline, run, answerer)
        if outcome is not None:
            return outcome
        if tracker.more:
            await self._interrupt_readline()
            await self._wait(lambda: self._tracker.ready, self._now() + RECOVER_TIMEOUT)
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
        pasted = self._scanner.bracketed_paste
        self._tracker.line_sent(bracketed_paste=pasted)
        self._write(line_keys(line, bracketed_paste=pasted))

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
        if self._fd is None or self._tty is None:
            return False
        try:
            reply = reply_to_waiting(self._fd, self._tty, run, answerer, self._last_output)
        except BaseException:
            self.interrupt()
            raise
        if reply is None:
            return False
        if reply.text is None:
            return True
        self._write(reply.text.encode("utf-8") + ENTER)
        return False

    async def _recover(self, outcome: Outcome, run: RunRecord) -> Outcome:
        """Ctrl-C and wait for the prompt; if it does not come, decide what took over."""
        self.interrupt()
        # No prompt detection here: the process may not have got the SIGINT yet.
        back = await self._wait(lambda: self._tracker.ready, self._now() + RECOVER_TIMEOUT)
        if back is None:
            return outcome
        if back == "shell_exited":
            return back
        if self._fd is not None and waiting.idle_waiting_for_input(self._fd):
            # Something interactive without our marks (`exec bash`, `su`, a REPL) answers
            # the terminal: leave it to the user; runs report this until the prompt is back.
            self._tracker.lose_integration()
            return "integration_lost"
        run.end_command(None)
        await self.respawn()  # stuck and deaf to Ctrl-C
        return outcome

    # -- the pty ------------------------------------------------------------------------

    def _attach(self, proc: ptyprocess.PtyProcess) -> None:
        self._proc = proc
        self._fd = proc.fd
        self._tty = waiting.tty_of(proc.pid)
        self._scanner = MarkScanner()
        self._tracker.reset()
        self._exited = False
        self._exit_status = None
        self._last_output = self._now()
        self._channel = PtyChannel(proc.fd, proc.pid, self._feed, self._on_process_exit)

    def _on_process_exit(self) -> None:
        """bash is gone (its last output is in): stop."""
        self._feed_screen(self._scanner.flush())
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
        change = self._tracker.on_mark(mark)
        if self._run is None and self._tracker.ready:
            self._sync()  # variables set while a command ran: now the prompt is back
        if self._run is None or change is None:
            return
        match change:
            case CommandStarted():
                self._run.begin_command()
            case CommandEnded(status=status):
                self._run.end_command(status)

    def _write(self, data: bytes) -> None:
        if self._channel is not None and not self._exited:
            self._channel.write(data)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()
