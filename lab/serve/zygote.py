"""The parent of attendees' apps: a process that has imported lab, Textual and the docker SDK
once, and forks an app for each connection. A fork starts drawing at once, where a fresh
interpreter spends ~0.5 s of CPU importing (seconds when a room of attendees joins at once
on a small machine), and the forks share the imported modules' memory.

`python -m lab.serve.zygote SOCKET` is started by the room's server with the environment
textual-serve gives its apps (Textual reads its driver and frame rate at import). It
answers on a unix socket in a directory only root may enter: each request is the app's
environment (JSON) with its stdin, stdout and stderr (SCM_RIGHTS); the answer is the pid."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket
import sys
from typing import NoReturn

MAX_REQUEST = 1 << 20
"""Bytes of one request (an environment)."""


def preload() -> None:
    """Import what an attendee's app uses before it draws (the forks inherit it)."""
    from lab.serve.attendee import preload as app_modules

    app_modules()


def _child(
    env: dict[str, str], fds: list[int], *ours: socket.socket | selectors.BaseSelector
) -> NoReturn:
    """In the fork: become the app, on the pipes the server handed over (the zygote's own
    sockets and selector closed first)."""
    status = 1
    try:
        for thing in ours:
            thing.close()
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(env)
        from lab.serve.attendee import main

        status = main()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
    os._exit(status)


def serve(path: str) -> None:
    """Fork apps on request until the server (our stdin) goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the server's to act on
    preload()
    gc.freeze()  # the imported objects: never touched by a fork's collections, so shared longer
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select; children reaped below
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin, selectors.EVENT_READ, "server")
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        for key, _ in selector.select(timeout=1.0):
            if key.data == "server":
                if not os.read(sys.stdin.fileno(), 1):
                    return  # the server is gone: so are we (apps end at their stdin's EOF)
                continue
            conn, _ = listener.accept()
            with conn:
                message, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 3)
                if len(fds) != 3:
                    for fd in fds:
                        os.close(fd)
                    continue
                env = json.loads(message)
                pid = os.fork()
                if pid == 0:
                    _child(env, fds, conn, listener, selector)
                for fd in fds:
                    os.close(fd)
                conn.sendall(f"{pid}\n".encode())
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass


if __name__ == "__main__":
    serve(sys.argv[1])
