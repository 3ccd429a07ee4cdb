"""The engine guard: a Docker Engine API proxy on a socket of lab's own, in a thread of lab's.

The lesson's shells and written checks get `DOCKER_HOST=unix://…/docker.sock` pointing at it.
It forwards every request to the real engine, except those the policy refuses (removing,
stopping, renaming or overwriting what existed before the lesson; prunes), which get a
Docker-style error instead, and are recorded so the runner can fail the step that made them.

It runs an asyncio loop in a daemon thread of lab's process: it ends with lab, also when lab
is killed; the socket's directory left behind then is removed by the next guard (or `lab
reset`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from lab.engine.api import engine_address
from lab.hoststate.guard.address import check_relayable
from lab.hoststate.guard.leftovers import directory_prefix, sweep
from lab.hoststate.guard.policy import Policy, Protected, Refusal
from lab.hoststate.guard.proxy import READ, Engine, Link

SOCKET_NAME = "docker.sock"
STOP_TIMEOUT = 5.0
"""Seconds stopping may take (connections are cancelled, not drained)."""
CLIENT_ONLY = ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT")
"""Client settings that would send a shell's docker CLI elsewhere than the guard's socket
(the guard itself talks to the engine lab uses)."""


class EngineGuard:
    """A guard in front of the engine (see the module): made (which checks that it can relay
    to the engine's address), then start() and stop()."""

    def __init__(self, address: str | None = None) -> None:
        self.protected = Protected()
        self.engine_address = address or engine_address()
        check_relayable(self.engine_address)
        self._engine = Engine(self.engine_address)
        self.directory: Path | None = None
        self._refusals: list[Refusal] = []
        self._requests = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._links: set[asyncio.Task[None]] = set()

    @property
    def socket_path(self) -> Path:
        """The guard's unix socket (in a directory only this user can enter)."""
        if self.directory is None:
            raise RuntimeError("the engine guard is not started")
        return self.directory / SOCKET_NAME

    @property
    def address(self) -> str:
        """What DOCKER_HOST says to reach the engine through the guard."""
        return f"unix://{self.socket_path}"

    def client_env(self, env: Mapping[str, str]) -> dict[str, str]:
        """env for a docker client that goes through the guard."""
        out = {k: v for k, v in env.items() if k not in CLIENT_ONLY}
        out["DOCKER_HOST"] = self.address
        return out

    def start(self, protected: Protected) -> EngineGuard:
        """Listen, keeping what protected names (leftovers of dead lab processes are removed
        first); returns self."""
        self.protected = protected
        sweep()
        self.directory = Path(tempfile.mkdtemp(prefix=directory_prefix()))  # mode 0700
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.socket_path))
            os.chmod(self.socket_path, 0o600)
            listener.listen(128)
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="lab-engine-guard", daemon=True
            )
            self._thread.start()
            started = asyncio.run_coroutine_threadsafe(self._serve(listener), self._loop)
            started.result(timeout=STOP_TIMEOUT)
        except BaseException:
            listener.close()
            self.stop()
            raise
        return self

    async def _serve(self, listener: socket.socket) -> None:
        self._server = await asyncio.start_unix_server(self._handle, sock=listener, limit=READ)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        policy = Policy(self.protected, self._engine.get_json)

        async def judge(method: str, target: str, body: bytes | None) -> Refusal | None:
            with self._lock:
                self._requests += 1
            return await policy.judge(method, target, body)

        try:
            await Link(reader, writer, self._engine, judge, self._record).run()
        except asyncio.CancelledError:
            pass  # stop(): the connection is closed, nothing more to say
        finally:
            self._links.discard(task)

    def _record(self, refusal: Refusal) -> None:
        with self._lock:
            self._refusals.append(refusal)

    def mark(self) -> int:
        """A position in the record of refusals (see refusals())."""
        with self._lock:
            return len(self._refusals)

    def connections(self) -> int:
        """How many client connections are open now."""
        return len(self._links)

    def requests(self) -> int:
        """How many requests clients have sent through the guard so far."""
        with self._lock:
            return self._requests

    def refusals(self, since: int = 0) -> list[Refusal]:
        """The requests refused so far (since a mark()), oldest first."""
        with self._lock:
            return self._refusals[since:]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        links = list(self._links)
        for task in links:
            task.cancel()
        await asyncio.gather(*links, return_exceptions=True)

    def stop(self) -> None:
        """Stop listening, end every connection, remove the socket and its directory."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is not None and thread is not None:
            if loop.is_running():
                done = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                # on a timeout the directory goes all the same; the thread ends with lab
                with contextlib.suppress(TimeoutError, RuntimeError):
                    done.result(timeout=STOP_TIMEOUT)
                loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=STOP_TIMEOUT)
            if not thread.is_alive():
                loop.close()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
