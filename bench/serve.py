"""`lab serve` with K simulated attendees (K=8 by default; `python bench/serve.py K`).

Each attendee is a websocket client that speaks textual-serve's protocol as textual.js does
and reads the screen it is sent through pyte (tests/serve/wsclient.py). They all join at
once; then attendee 1 types into its terminal while the others run every step of the seed
lesson in their own sandbox nodes. Printed:

- join → first prompt: from the join form's POST to term1's prompt on the attendee's screen
  (a new app process, a new sandbox node and its inner dockerd, the shell in it);
- keystroke echo: from a key sent on the websocket to the character drawn on the screen
  sent back (app → pty in the node → bash → pty → app → Textual → websocket), while the
  others run their steps;
- memory per attendee once everyone ran the lesson: the app process (PSS, shared pages
  split between the processes that share them) and its node (its cgroup's memory, inner
  containers included, as `docker stats` counts it), plus a share of the server;
- the seats this machine could hold by memory: MemAvailable before the room / per attendee.

Figures, not assertions. Needs root, the engine and the docker:dind stand-in of
`scripts/test-env up`. `--cold`: no warm seats (each attendee's app makes its node on joining).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.checks import connect  # noqa: E402
from lab.sandbox.owner import ROOM  # noqa: E402
from lab.sandbox.usage import memory_bytes  # noqa: E402
from tests.serve.room_process import Served, room_objects, start_room  # noqa: E402
from tests.serve.wsclient import Attendee, terminal_lines  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "lessons" / "seed-registry-part1.md"
PROMPT = r"│\$ "
KEYS = 80
"""Keystrokes timed on attendee 1 while the others run the lesson (fewer if they finish)."""
QUIET_KEYS = 30
"""Keystrokes timed on attendee 1 before the others start (everyone at a prompt)."""
MiB = 1 << 20


def meminfo(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def pss(pid: int) -> int:
    """Proportional set size of a process (bytes)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def apps_of(server_pid: int) -> tuple[list[int], int | None]:
    """The attendees' app processes (the zygote's children, or the server's own when it
    runs without one) and the zygote's pid."""
    apps, zygote = [], None
    for pid in children(server_pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"lab.serve.zygote" in cmdline:
            zygote = pid
            apps += children(pid)
        elif b"lab.serve.attendee" in cmdline:
            apps.append(pid)
    return apps, zygote


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def arrive(who: Attendee, code: str) -> tuple[float, float, float]:
    """Join and wait for term1's prompt: seconds to the app's first frame, to the lesson
    screen, to the prompt."""
    started = time.perf_counter()
    await who.join(code)
    await who.connect()
    await who.wait_for(r"\S", timeout=180)
    frame = time.perf_counter() - started
    await who.wait_for(r"\d+/\d+ done", timeout=180)  # the lesson screen's header
    lesson = time.perf_counter() - started
    await who.wait_for(PROMPT, timeout=180)
    return frame, lesson, time.perf_counter() - started


async def run_lesson(who: Attendee, steps: int) -> float:
    """Each step in turn: Enter runs it (and stays), `n` moves to the next; the header's
    `N/7 done` is found in the bytes received, without drawing the screen."""
    who.draw, who.raw[:] = False, b""
    started = time.perf_counter()
    for n in range(1, steps + 1):
        await who.press("\r")
        await who.wait_bytes(rb"(?<![0-9])%d(?:\x1b\[[0-9;]*m)*/%d done" % (n, steps), timeout=180)
        await who.press("n")
    return time.perf_counter() - started


def typed_line(who: Attendee) -> str:
    lines = [line for line in terminal_lines(who.text()) if line.startswith("$")]
    return lines[-1][1:].strip() if lines else ""


async def echo(who: Attendee, keys: int, others: asyncio.Future[object] | None) -> list[float]:
    """Seconds from each key sent to its character on the screen (until others are done)."""
    await who.focus_terminal()
    times: list[float] = []
    typed = ""
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    for n in range(keys):
        if len(typed) >= 40:
            await who.press("\x15")  # ctrl-U: an empty line again
            typed = ""
            await wait_line(who, "")
        char = alphabet[n % len(alphabet)]
        started = time.perf_counter()
        await who.press(char)
        typed += char
        await wait_line(who, typed)
        times.append(time.perf_counter() - started)
        if others is not None and others.done():
            break
    await who.press("\x15")
    await who.focus_lesson()
    return times


async def wait_line(who: Attendee, text: str, timeout: float = 10.0) -> None:
    def echoed(screen: str) -> bool | None:
        return True if typed_line(who) == text else None

    await who.until(echoed, timeout, f"{text!r} echoed")


@dataclass
class Figures:
    joins: list[tuple[float, float, float]]
    """Seconds, join to the first frame, to step 1, to the first prompt, per attendee."""
    quiet: list[float]
    """Seconds per keystroke echoed while the others are idle."""
    keys: list[float]
    """Seconds per keystroke echoed while the others run the lesson."""
    lesson_times: list[float]
    """Seconds each of the other attendees took for the whole lesson."""
    node_memory: list[int]
    app_memory: list[int]
    server_memory: int


async def measure(served: Served, k: int, steps: int) -> Figures:
    attendees = [Attendee(served.base, f"attendee {n + 1}") for n in range(k)]
    try:
        joins = await asyncio.gather(*(arrive(a, served.code) for a in attendees))
        quiet = await echo(attendees[0], QUIET_KEYS, None)
        others = asyncio.ensure_future(
            asyncio.gather(*(run_lesson(a, steps) for a in attendees[1:]))
        )
        keys = await echo(attendees[0], KEYS, others)
        lesson_times = await others
        await run_lesson(attendees[0], steps)  # every attendee's node did the same work
        nodes = connect().containers.list(filters={"label": f"{ROOM}={served.room}"})
        apps, zygote = apps_of(served.process.pid)
        server = pss(served.process.pid) + (pss(zygote) if zygote else 0)
        return Figures(
            list(joins),
            quiet,
            keys,
            list(lesson_times),
            [memory_bytes(c.id) or 0 for c in nodes],
            [pss(pid) for pid in apps],
            server,
        )
    finally:
        for who in attendees:
            await who.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="lab serve with K simulated attendees")
    parser.add_argument("k", nargs="?", type=int, default=8, help="attendees (default 8)")
    parser.add_argument(
        "--cold", action="store_true", help="no warm seats: each app makes its node as it joins"
    )
    args = parser.parse_args()
    k = args.k
    from lab.lesson.load import load_lesson

    steps = len(load_lesson(SEED).steps)
    available = meminfo("MemAvailable")
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "LAB_STATE_DIR": state}
        warm_seats = "0" if args.cold else str(k)
        served = start_room(
            "--seats", str(k), "--idle", "0", "--warm", warm_seats, env=env, lesson=SEED
        )
        warm = "no seat warmed (--cold)"
        if not args.cold:
            warm = served.wait_line(r"seat\(s\) warm in (\d+) s").split("] ", 1)[-1].strip()
        try:
            got = asyncio.run(measure(served, k, steps))
        finally:
            status, _ = served.stop(signal.SIGINT)
        left = room_objects(connect(), served.room)
    keys = [t * 1000 for t in got.keys]
    per_node = statistics.mean(got.node_memory)
    per_app = statistics.mean(got.app_memory) if got.app_memory else 0.0
    per_attendee = per_node + per_app + got.server_memory / k
    print(f"lab serve, {k} attendees, seed lesson ({steps} steps), {os.cpu_count()} cores")
    print(f"  before anyone joins: {warm}")
    frames, lessons, prompts = zip(*got.joins, strict=True)
    print(
        f"  join → first prompt (node included): median {statistics.median(prompts):.2f} s, "
        f"max {max(prompts):.2f} s (first frame: median {statistics.median(frames):.2f} s; "
        f"lesson screen: {statistics.median(lessons):.2f} s)"
    )
    quiet = [t * 1000 for t in got.quiet]
    print(
        f"  keystroke echo, the others idle: p50 {pct(quiet, 50):.1f} ms, "
        f"p95 {pct(quiet, 95):.1f} ms ({len(quiet)} keys)"
    )
    print(
        f"  keystroke echo while {k - 1} others run the lesson: p50 {pct(keys, 50):.1f} ms, "
        f"p95 {pct(keys, 95):.1f} ms, max {max(keys):.1f} ms ({len(keys)} keys)"
    )
    if got.lesson_times:
        print(
            f"  the lesson's {steps} steps, {k - 1} attendees at once: median "
            f"{statistics.median(got.lesson_times):.1f} s, max {max(got.lesson_times):.1f} s"
        )
    print(
        f"  memory per attendee: {per_attendee / MiB:.0f} MiB = node {per_node / MiB:.0f} MiB "
        f"(max {max(got.node_memory) / MiB:.0f}) + app {per_app / MiB:.0f} MiB (PSS) + "
        f"server share {got.server_memory / k / MiB:.1f} MiB "
        f"(server and zygote {got.server_memory / MiB:.0f} MiB)"
    )
    print(
        f"  seats by memory: {int(available // per_attendee)} "
        f"(MemAvailable {available / MiB / 1024:.1f} GiB before the room / per attendee)"
    )
    print(f"  after Ctrl-C: exit {status}, room objects left: {len(left)}")
    return 0 if status == 0 and not left else 1


if __name__ == "__main__":
    sys.exit(main())
