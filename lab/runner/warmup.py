"""A head start for the checks and cleanup of a run, taken while its first step runs."""

from __future__ import annotations

import contextlib
import os
import threading

from lab.engine.api import engine_address

_warmed = threading.Event()
WARM_UP_NICENESS = 10
"""The warm-up yields the CPU to the step's own commands (a `docker pull` unpacking layers):
measured on the seed lesson, the first step no longer slows down while it runs."""


def warm_up() -> None:
    """Import and connect, in a background thread, what checks and cleanup will need (the
    docker SDK, requests, the registry client, the default TLS context), so that the first
    check after a step does not pay for it. Meant to run while a step waits on its command,
    at a lower CPU priority; harmless to call more than once, and failures are left for the
    real use to report."""
    if _warmed.is_set():
        return
    _warmed.set()

    def work() -> None:
        with contextlib.suppress(OSError, AttributeError):  # Linux: this thread only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WARM_UP_NICENESS)
        with contextlib.suppress(Exception):  # a head start only: checks report problems
            from lab.checks import containers, images, ports, remote  # noqa: F401
            from lab.checks.httputil import tls_context
            from lab.engine.sdk import connect
            from lab.runner import drift  # noqa: F401

            tls_context()
            if engine_address().startswith("unix://"):
                connect()

    threading.Thread(target=work, name="lab-warm-up", daemon=True).start()
