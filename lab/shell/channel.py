"""The pty's master side on the event loop: reads as they come, buffered writes, bash's exit."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

READ_SIZE = 65536
"""Bytes asked for a read; the pty hands over about 2 KiB at a time anyway."""


class PtyChannel:
    """Reads hand each chunk to `on_data`; the shell's exit (its pidfd, or the pty's end of
    file) drains what is left and calls `on_exit` once; writes wait for a full pty."""

    def __init__(
        self, fd: int, pid: int, on_data: Callable[[bytes], None], on_exit: Callable[[], None]
    ) -> None:
        self.fd = fd
        """The pty master (non-blocking); stays set after the exit, for questions about it."""
        self._on_data = on_data
        self._on_exit = on_exit
        self._outbuf = bytearray()
        self._open = True
        os.set_blocking(fd, False)
        loop = asyncio.get_running_loop()
        loop.add_reader(fd, self._readable)
        self._pidfd: int | None
        try:  # the pty may stay open after bash exits (background jobs hold it)
            self._pidfd = os.pidfd_open(pid)
            loop.add_reader(self._pidfd, self._exited)
        except OSError:
            self._pidfd = None

    def write(self, data: bytes) -> None:
        """Write what the pty takes now; the rest when it is writable again."""
        if not self._open:
            return
        self._outbuf += data
        self._flush()

    def close(self) -> None:
        """Stop reading and writing (the fd itself belongs to the process object)."""
        self._open = False
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.fd)
        loop.remove_writer(self.fd)
        if self._pidfd is not None:
            loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        self._outbuf.clear()

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: every process let go of the pty
            data = b""
        if data:
            self._on_data(data)
        else:
            self._exited()

    def _exited(self) -> None:
        """bash is gone: take the output still in the pty, then stop reading."""
        if not self._open:
            return
        while True:
            try:
                data = os.read(self.fd, READ_SIZE)
            except OSError:
                break
            if not data:
                break
            self._on_data(data)
        self.close()
        self._on_exit()

    def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._outbuf:
            try:
                written = os.write(self.fd, self._outbuf)
            except BlockingIOError:
                loop.add_writer(self.fd, self._flush)
                return
            except OSError:
                self._outbuf.clear()
                break
            del self._outbuf[:written]
        loop.remove_writer(self.fd)
