"""`lab assert` inside a node: the node's `lab` command (node-bin/lab) hands its arguments,
directory and environment to this relay through a pipe in the node's /run/lab; the relay runs
them in this lab, on the host, with the node's engine, network and files, and hands back the
output and exit status. So a written check reads the same on the host and in a node."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from lab.engine.api import engine_address
from lab.sandbox.node import DOCKER_SOCKET, Node, nsenter
from lab.sandbox.place import CWD_ENV, HOST_ENGINE_ENV, ROOT_ENV, TTY_ENV

RELAY_DIR = "/run/lab"
"""The relay's directory inside the node (node-bin/lab knows it too)."""
REQUESTS = "requests"
"""The pipe of request names in RELAY_DIR: one line per request, the name of its directory."""
REQUEST_NAME = re.compile(r"req\.[A-Za-z0-9]+")
COMMANDS = ("assert",)
"""What `lab` may do inside a node (checks); everything else is refused with a reason."""
TIMEOUT = 300.0
"""Seconds one relayed command may take (a check's own timeout is usually shorter)."""
ANSWER_WAIT = 5.0
"""Seconds the relay tries to hand an exit status to a `lab` that has not opened its pipe."""
NODE_ONLY = ("PATH", "HOME", "PWD", "OLDPWD", "SHELL", "SHLVL", "_", "TERM", "TMPDIR")
"""Variables of the node's process that the host's lab must not take over (it keeps its own);
DOCKER_*, LD_* and PYTHON* variables are not taken either."""


class Relay:
    """Serves the `lab` command of one node while it runs; start() and stop()."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._fd: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def directory(self) -> Path:
        """RELAY_DIR as a host path."""
        return self.node.path(RELAY_DIR)

    def start(self) -> None:
        """Make the request pipe and serve it from a thread."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        pipe = self.directory / REQUESTS
        with contextlib.suppress(FileNotFoundError):
            pipe.unlink()
        os.mkfifo(pipe, 0o600)
        # read and write: never at end of file while no `lab` writes, and stop() can wake it
        self._fd = os.open(pipe, os.O_RDWR | os.O_CLOEXEC)
        self._thread = threading.Thread(
            target=self._serve, name=f"lab-relay-{self.node.hostname}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; a `lab` started later in the node says that nothing serves it."""
        if self._fd is None:
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            os.write(self._fd, b"\n")
        if self._thread is not None:
            self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            (self.directory / REQUESTS).unlink()
        os.close(self._fd)
        self._fd = None

    def _serve(self) -> None:
        assert self._fd is not None
        pending = b""
        while not self._stopping.is_set():
            try:
                chunk = os.read(self._fd, 4096)
            except OSError:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                name = line.decode("ascii", "replace").strip()
                if self._stopping.is_set():
                    return
                if REQUEST_NAME.fullmatch(name):
                    threading.Thread(
                        target=self.answer, args=(name,), name=f"lab-relay-{name}", daemon=True
                    ).start()

    # ------------------------------------------------------------------ one request
    def answer(self, name: str) -> None:
        """Run the request in RELAY_DIR/name and hand back its output and status."""
        request = self.directory / name
        try:
            status, output = self._run(request)
        except OSError as exc:  # the request vanished (its `lab` was stopped)
            status, output = 3, f"lab: the request could not be read ({exc.strerror})\n".encode()
        try:
            (request / "out").write_bytes(output)
            self._hand_status(request / "done", status)
        except OSError:
            shutil.rmtree(request, ignore_errors=True)

    def _run(self, request: Path) -> tuple[int, bytes]:
        args = [a.decode("utf-8", "surrogateescape") for a in _fields(request / "args")]
        if not args or args[0] not in COMMANDS:
            word = args[0] if args else "(nothing)"
            return 2, (
                f"lab: inside a sandbox node, lab runs only `lab assert ...`, not `lab {word}`; "
                "run other lab commands on the host\n"
            ).encode()
        inside = (request / "cwd").read_text(encoding="utf-8", errors="replace").strip() or "/"
        env = self._env(_fields(request / "env"), inside, tty=(request / "tty").exists())
        cwd = self.node.path(inside)
        if not cwd.is_dir():
            cwd = self.node.root
        argv = [nsenter(), "-t", str(self.node.pid), "-n", "--", sys.executable, "-m", "lab"]
        try:
            done = subprocess.run(
                [*argv, *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.output or b""
            return 3, output + f"lab: no answer within {TIMEOUT:g} s\n".encode()
        return done.returncode, done.stdout

    def _env(self, node_env: list[bytes], inside: str, *, tty: bool) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("DOCKER_") and k != "LAB_NODE"
        }
        for item in node_env:
            key, sep, value = item.decode("utf-8", "surrogateescape").partition("=")
            if sep and key not in NODE_ONLY and not key.startswith(("DOCKER_", "LD_", "PYTHON")):
                env[key] = value
        env.update(
            {
                "DOCKER_HOST": f"unix://{self.node.path(DOCKER_SOCKET)}",
                HOST_ENGINE_ENV: engine_address(),
                ROOT_ENV: str(self.node.root),
                CWD_ENV: inside,
                "LAB_NODE": self.node.hostname,
            }
        )
        if tty:
            env[TTY_ENV] = "1"
        return env

    def _hand_status(self, pipe: Path, status: int) -> None:
        """Write the status into the request's pipe, which its `lab` opened before asking."""
        deadline = time.monotonic() + ANSWER_WAIT
        while True:
            try:
                fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)  # no reader yet
        try:
            os.write(fd, f"{status}\n".encode())
        finally:
            os.close(fd)


def _fields(path: Path) -> list[bytes]:
    """The NUL-separated fields of a file (the last one may lack its NUL)."""
    data = path.read_bytes()
    fields = data.split(b"\0")
    if fields and fields[-1] == b"":
        fields.pop()
    return fields
