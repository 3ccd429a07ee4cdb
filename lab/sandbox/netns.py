"""Running a function inside a node's network namespace (127.0.0.1 is then the node's)."""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
"""setns(2) namespace type of a network namespace (linux/sched.h)."""


def _setns(fd: int, nstype: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, nstype) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def call_in_netns(pid: int, fn: Callable[[], T]) -> T:
    """fn() in the network namespace of process pid; its sockets (HTTP, TCP probes) connect
    from inside. Blocking. A network namespace belongs to a thread, so fn runs in a new
    thread that never goes back into a pool. Unix sockets are reached by path as usual."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                _setns(fd, CLONE_NEWNET)
            finally:
                os.close(fd)
            result.append(fn())
        except BaseException as exc:  # handed to the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name=f"lab-netns-{pid}", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
