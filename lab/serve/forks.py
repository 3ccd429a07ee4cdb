"""The server's side of lab.serve.zygote: start it, and ask it for an app with the pipes
textual-serve's AppService reads and writes (the shape of an asyncio subprocess)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT = 60.0
"""Seconds the zygote gets to import everything (about 0.5 s on an idle machine)."""


@dataclass
class ForkedApp:
    """An app forked by the zygote, as AppService uses a subprocess."""

    pid: int
    stdin: asyncio.StreamWriter
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader

    @property
    def returncode(self) -> int | None:
        """None while it runs (it is the zygote's child: it is gone, or a zombie, after)."""
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return 0
        return 0 if state == "Z" else None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


class Zygote:
    """The zygote process of a room (None of it when it could not start: apps are then
    started the ordinary way)."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="lab-serve-"))  # 0700: only root enters
        self.path = str(self._dir / "forks.sock")
        self._process: asyncio.subprocess.Process | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self, env: dict[str, str]) -> None:
        """Start it with the apps' environment; returns once it answers."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lab.serve.zygote",
            self.path,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # out of the terminal's reach: the server ends it
        )
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), READY_TIMEOUT)
        if line != b"ready\n":
            await self.stop()
            raise OSError(f"the zygote did not start: {line!r}")

    async def fork(self, env: dict[str, str]) -> ForkedApp:
        """A new app with this environment, on fresh pipes."""
        child_in, stdin_w = os.pipe()
        stdout_r, child_out = os.pipe()
        stderr_r, child_err = os.pipe()
        try:
            pid = await asyncio.to_thread(self._ask, env, [child_in, child_out, child_err])
        except BaseException:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            raise
        finally:
            for fd in (child_in, child_out, child_err):
                os.close(fd)
        loop = asyncio.get_running_loop()
        stdout, stderr = asyncio.StreamReader(), asyncio.StreamReader()
        for reader, fd in ((stdout, stdout_r), (stderr, stderr_r)):
            await loop.connect_read_pipe(
                lambda reader=reader: asyncio.StreamReaderProtocol(reader),  # type: ignore[misc]
                os.fdopen(fd, "rb", 0),
            )
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(stdin_w, "wb", 0)
        )
        stdin = asyncio.StreamWriter(transport, protocol, None, loop)
        return ForkedApp(pid, stdin, stdout, stderr)

    def _ask(self, env: dict[str, str], fds: list[int]) -> int:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(30)
            conn.connect(self.path)
            socket.send_fds(conn, [json.dumps(env).encode()], fds)
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = conn.recv(64)
                if not chunk:
                    raise OSError("the zygote did not fork the app")
                answer += chunk
        return int(answer)

    async def stop(self) -> None:
        """End it (the apps it forked end with their connections)."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)
