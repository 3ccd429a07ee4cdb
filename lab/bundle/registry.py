"""A registry process on a bundle's storage: the Distribution project's registry (Debian's
`docker-registry`), the registry Docker Hub itself descends from, run on a port we pick."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from lab.errors import EnvironmentNotReady, UsageError

PROGRAMS = ("docker-registry", "registry")
"""The registry's program: Debian's package name, then upstream's."""
PROGRAM_ENV = "LAB_REGISTRY_PROGRAM"
"""Another registry program to run (the same `serve CONFIG` command line)."""
INSTALL_HINT = (
    "install the Distribution registry: on Debian/Ubuntu `apt-get install docker-registry`; "
    "elsewhere put its `registry` program on the PATH (or name it in LAB_REGISTRY_PROGRAM)"
)
READY_TIMEOUT = 15.0
"""Seconds the registry gets to answer /v2/ (it answers in well under a second here)."""
STOP_TIMEOUT = 10.0
ALL_INTERFACES = ("0.0.0.0", "::", "")


def registry_program() -> str:
    """The registry program to run; EnvironmentNotReady when there is none."""
    named = os.environ.get(PROGRAM_ENV)
    for name in [named] if named else PROGRAMS:
        path = shutil.which(name)
        if path:
            return path
    raise EnvironmentNotReady(
        "bundles are written and served by the Distribution registry, which is not installed"
        + (f" ({PROGRAM_ENV}={named} is not a program)" if named else ""),
        INSTALL_HINT,
    )


def split_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` (or `:PORT`, or `PORT`) → (host, port); port 0: pick a free one."""
    host, sep, port = address.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", address
    host = host.strip("[]") or "0.0.0.0"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(
            f"'{address}' is not an address to listen on",
            "write HOST:PORT, e.g. 127.0.0.1:5050, or 0.0.0.0:5050 to be reached from other "
            "machines and from sandbox nodes",
        )
    return host, int(port)


def free_port(host: str) -> int:
    """A TCP port nothing listens on at host (the kernel's pick)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _config(storage: Path, host: str, port: int, *, read_only: bool) -> str:
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"""# written by lab: a registry on a lab bundle's storage
version: 0.1
log:
  level: warn  # the access log (one line per request) stays on
  fields:
    service: lab-bundle
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: false
  maintenance:
    uploadpurging:
      enabled: false  # never remove anything from the bundle
    readonly:
      enabled: {"true" if read_only else "false"}
http:
  addr: {listen}
  headers:
    X-Content-Type-Options: [nosniff]
"""


class RegistryServer:
    """The registry serving (or, read_only=False, receiving) a storage directory at
    host:port until stop(); a context manager. Its log (one line per request) is kept in
    `log` (by default a file next to its configuration, removed by stop())."""

    def __init__(
        self,
        storage: Path,
        address: str = "127.0.0.1:0",
        *,
        read_only: bool = True,
        log: Path | None = None,
    ) -> None:
        self.storage = storage.resolve()
        self.host, self.port = split_address(address)
        self._pick = self.port == 0
        self.read_only = read_only
        self._workdir = Path(tempfile.mkdtemp(prefix="lab-registry-"))
        self.log = log or self._workdir / "registry.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where this machine reaches it (`http://127.0.0.1:PORT` when it listens on every
        interface)."""
        host = "127.0.0.1" if self.host in ALL_INTERFACES else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def address(self) -> str:
        """host:port as an engine names it (`127.0.0.1:PORT/…` in image references)."""
        return self.url.removeprefix("http://")

    @property
    def running(self) -> bool:
        """The registry process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> RegistryServer:
        """Start it and wait until it answers; EnvironmentNotReady with its log if it cannot."""
        program = registry_program()
        for attempt in range(3):
            if self._pick:
                self.port = free_port("127.0.0.1" if self.host in ALL_INTERFACES else self.host)
            config = self._workdir / "config.yml"
            config.write_text(_config(self.storage, self.host, self.port, read_only=self.read_only))
            with open(self.log, "ab") as log:
                self._proc = subprocess.Popen(
                    [program, "serve", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C in a terminal reaches lab, which stops it
                )
            try:
                self._wait_ready()
                return self
            except EnvironmentNotReady:
                self._end()
                if not (self._pick and "address already in use" in self.log_tail() and attempt < 2):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                raise EnvironmentNotReady(
                    f"the registry for the bundle stopped at once (exit {self._proc.returncode}): "
                    f"{self.log_tail()}",
                    "is the address free? (`ss -ltnp`)",
                )
            try:
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise EnvironmentNotReady(
                    f"the registry for the bundle did not answer at {self.url} within "
                    f"{READY_TIMEOUT:g} s: {self.log_tail()}",
                    INSTALL_HINT,
                )
            time.sleep(0.05)

    def log_tail(self, lines: int = 3) -> str:
        """The last lines of its log, on one line."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(nothing logged)"

    def _end(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        """Stop the registry; its configuration (and its log, unless one was named) go."""
        self._end()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
