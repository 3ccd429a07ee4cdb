"""Tell from /proc and termios what the processes on a pty are doing (Linux only)."""

from __future__ import annotations

import os
import termios
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_SYSCALLS: dict[str, tuple[int, frozenset[int]]] = {
    # machine: (read, the calls an interactive program waits for input in)
    # x86_64: read=0; poll=7, select=23, epoll_wait=232, pselect6=270, ppoll=271,
    # epoll_pwait=281, epoll_pwait2=441 (arch/x86/entry/syscalls/syscall_64.tbl).
    "x86_64": (0, frozenset({0, 7, 23, 232, 270, 271, 281, 441})),
    # aarch64 (asm-generic table): read=63; epoll_pwait=22, pselect6=72, ppoll=73,
    # epoll_pwait2=441.
    "aarch64": (63, frozenset({63, 22, 72, 73, 441})),
}
_READ, _INPUT_WAITS = _SYSCALLS.get(os.uname().machine, (-1, frozenset()))


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/PID/stat this module needs."""

    pid: int
    state: str
    """R running, S sleeping, D disk sleep, T stopped, Z zombie, ..."""
    pgrp: int
    session: int


def _read_text(path: str) -> str | None:
    """A /proc file's text, or None if the process is gone or not ours to read."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def proc_stat(pid: int, task: int | None = None) -> ProcStat | None:
    """Parse /proc/PID/stat (or one thread's /proc/PID/task/TID/stat)."""
    path = f"/proc/{pid}/task/{task}/stat" if task is not None else f"/proc/{pid}/stat"
    text = _read_text(path)
    if text is None:
        return None
    # "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')'.
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return ProcStat(pid, fields[0], int(fields[2]), int(fields[3]))
    except (IndexError, ValueError):
        return None


def _pids() -> Iterator[int]:
    """Every process id visible in /proc."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def _alive(pid: int) -> bool:
    stat = proc_stat(pid)
    return stat is not None and stat.state != "Z"


def _matching(key: Callable[[int], int], value: int) -> list[int]:
    """Live (non-zombie) processes whose key(pid) is value. The key is a system call
    (getsid, getpgid): reading every /proc/PID/stat took ~3 ms per look on a busy host."""
    found = []
    for pid in _pids():
        try:
            if key(pid) != value:
                continue
        except OSError:  # gone meanwhile
            continue
        if _alive(pid):
            found.append(pid)
    return found


def session_processes(sid: int) -> list[int]:
    """Live (non-zombie) processes of a session: a shell and everything it started."""
    return _matching(os.getsid, sid)


def foreground_processes(master_fd: int) -> list[int]:
    """The processes of the pty's foreground process group."""
    try:
        pgrp = os.tcgetpgrp(master_fd)
    except OSError:
        return []
    return _matching(os.getpgid, pgrp)


def tty_of(pid: int, fd: int = 0) -> str | None:
    """The path a process's file descriptor points at (e.g. `/dev/pts/3`)."""
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return None


def _threads(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def _syscall(pid: int, tid: int) -> list[str] | None:
    """The blocked system call of a thread: [number, arg1, ...] (None if running/unknown)."""
    text = _read_text(f"/proc/{pid}/task/{tid}/syscall")
    if text is None or text.startswith("running"):
        return None
    return text.split()


def _blocked_reading(pid: int, tty: str) -> bool:
    """A thread of `pid` sleeps in read() on `tty` and no thread is running."""
    reading = False
    for tid in _threads(pid):
        stat = proc_stat(pid, tid)
        if stat is None or stat.state == "R":
            return False
        call = _syscall(pid, tid)
        if call is None or len(call) < 2 or int(call[0]) != _READ:
            continue
        fd = int(call[1], 16)
        reading = reading or tty_of(pid, fd) == tty
    return reading


def _read_calls(pid: int) -> int | None:
    """How many read-family system calls the process has made (/proc/PID/io `syscr`)."""
    text = _read_text(f"/proc/{pid}/io")
    for line in (text or "").splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    return None


WaitKey = tuple[tuple[int, int | None], ...]
"""Identifies one wait for input: the waiting processes and their read-call counters.
It changes once a process has consumed input, so a new prompt gets a new key."""


def waiting_for_tty_input(master_fd: int, tty: str) -> WaitKey | None:
    """If every foreground process sleeps reading `tty` (a prompt), the key of that wait."""
    pids = foreground_processes(master_fd)
    if not pids or not all(_blocked_reading(pid, tty) for pid in pids):
        return None
    return tuple((pid, _read_calls(pid)) for pid in sorted(pids))


def idle_waiting_for_input(master_fd: int) -> bool:
    """Every foreground process sleeps in read/select/poll: an interactive program idles.

    Looser than `waiting_for_tty_input` (the fds of select/poll are not visible), used
    only to tell "another interactive shell took over" from "a process is stuck".
    """
    pids = foreground_processes(master_fd)
    if not pids:
        return False
    for pid in pids:
        for tid in _threads(pid):
            stat = proc_stat(pid, tid)
            if stat is None or stat.state == "R":
                return False
        main = _syscall(pid, pid)
        if main is None or int(main[0]) not in _INPUT_WAITS:
            return False
    return True


def echo_off(master_fd: int) -> bool:
    """The pty's ECHO flag is off: the program reads a secret (a password prompt)."""
    try:
        lflag = termios.tcgetattr(master_fd)[3]
    except termios.error:
        return False
    return not lflag & termios.ECHO
