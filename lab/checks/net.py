"""Probing a TCP port: does a server answer there (not just docker-proxy accepting)?"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

ANSWER_WAIT = 5.0
"""Seconds to keep trying: a freshly started server needs a moment to listen. Bounded."""
RETRY_EVERY = 0.25
"""Seconds between attempts."""
CONNECT_TIMEOUT = 2.0
"""Seconds one connect may take (a filtered port never answers)."""
SETTLE = 0.2
"""Seconds to watch a fresh connection: docker-proxy accepts on a published port even when
nothing listens in the container, then closes at once (< 1 ms here); a real server does not."""


@dataclass(frozen=True)
class Probe:
    """What trying a TCP port found."""

    answered: bool
    """True when a server accepted and kept the connection (or sent something)."""
    reason: str = ""
    """Why not, from the last attempt: `connection refused`, `closed at once ...`."""
    seconds: float = 0.0
    """How long the probe took."""


DIRECT_RETRY_EVERY = 0.005
"""Seconds between attempts on a container's own address: a refusal there is instant."""
UNREACHABLE = ("no route to host", "network is unreachable", "timed out")
"""Reasons that say the address itself cannot be reached from here (not a closed port)."""


def probe_tcp(host: str, port: int, *, wait: float = ANSWER_WAIT, direct: bool = False) -> Probe:
    """Try to connect until a server answers or wait seconds have passed.

    direct=True: host is the server's own address (a container's IP on its network), with no
    docker-proxy in between, so an accepted connection means a server listens: no settling,
    and quick retries while it starts.
    """
    started = time.monotonic()
    deadline = started + max(wait, 0.0)
    every = DIRECT_RETRY_EVERY if direct else RETRY_EVERY
    while True:
        reason = _attempt(host, port, settle=0.0 if direct else SETTLE)
        if direct and reason in UNREACHABLE:
            return Probe(False, reason, time.monotonic() - started)
        elapsed = time.monotonic() - started
        if reason is None:
            return Probe(True, seconds=elapsed)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Probe(False, reason, elapsed)
        time.sleep(min(every, remaining))


def _attempt(host: str, port: int, *, settle: float = SETTLE) -> str | None:
    """None when a server answers, else the reason it did not."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
            if settle <= 0:
                return None
            sock.settimeout(settle)
            try:
                data = sock.recv(1)
            except TimeoutError:
                return None  # connected and kept open: a server is there
            except ConnectionResetError:
                return "the connection was reset at once"
            if data:
                return None
            return "the connection was accepted but closed at once (nothing listens behind it)"
    except TimeoutError:
        return "timed out"
    except OSError as exc:
        return (exc.strerror or str(exc) or type(exc).__name__).lower()
