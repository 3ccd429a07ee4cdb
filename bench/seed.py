"""`lab run` on the seed lesson against the same commands as one bash script, in the same run.

The baseline is the script run in a terminal (a pty of the size lab's shells get), as lab
runs each step and as a learner types it: the docker CLI draws progress there, which costs
it ~40 ms over this lesson. The same script with its output going to a pipe is timed too and
printed as a second ratio, for reference.

Figures, not assertions. Each round starts from a learner's fresh machine: the lesson's
images are not present locally and come through the registry mirror, and the engine is idle
(SETTLE seconds after the previous round's clean-up, whose removals the engine finishes in
the background). Whatever a round leaves (the bash script leaves its containers and images)
is removed before the next. One untimed round of each comes first (it compiles lab's
bytecode, as installing does, and warms the mirror). Rounds alternate; medians are printed.
The images that were present before the benchmark are pulled back at the end.

The engine guard's cost is measured apart, in this process, two ways: the seed lesson run by
lab's runner with the guard (as `lab run` does on this host) and without it
(RunOptions(guard=False), which no command line can ask for), alternately, after the same idle
time, printed as the median of each round's on/off ratio; and, steadier on a busy machine, the
time the guard adds to one API request (a kept-alive `GET /containers/json`, through the guard
and directly, alternately) times the number of requests the seed lesson's commands send.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ptyprocess import PtyProcess

from lab.checks import connect
from lab.engine.api import engine_address
from lab.hoststate import HostState, restore, take_snapshot
from lab.hoststate.guard.policy import Protected
from lab.hoststate.guard.server import EngineGuard
from lab.lesson.load import load_lesson
from lab.lesson.model import Lesson
from lab.runner import LessonRunner, RunOptions
from lab.shell.processes import DEFAULT_COLS, DEFAULT_ROWS

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "lessons" / "seed-registry-part1.md"
ROUNDS = 15
SETTLE = 1.0
"""Seconds between a clean-up and the next timed round."""
LESSON_IMAGES = ("hello-world:latest", "registry:2", "registry:latest")
REQUESTS = 400
"""Requests timed each way for the guard's cost per request."""


def bash_round(script: str, *, terminal: bool) -> float:
    """Seconds `bash -e` takes to run script, on a pty (terminal) or with output to a pipe."""
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        if not terminal:
            subprocess.run(["bash", "-e", "-c", script], cwd=work, check=True, capture_output=True)
            return time.perf_counter() - t0
        proc = PtyProcess.spawn(
            ["bash", "-e", "-c", script], cwd=work, dimensions=(DEFAULT_ROWS, DEFAULT_COLS)
        )
        output = []
        while True:
            try:
                output.append(proc.read(65536))
            except EOFError:
                break
        proc.wait()
        took = time.perf_counter() - t0
        if proc.exitstatus != 0:
            raise RuntimeError(b"".join(output).decode(errors="replace")[-2000:])
        return took


def lab_env(cache: Path) -> dict[str, str]:
    """lab as when installed: its bytecode compiled once (pip compiles an installed copy),
    also where PYTHONDONTWRITEBYTECODE is set (recompiling lab's modules costs ~60 ms)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def lab_round(env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lab", "run", str(SEED)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - t0


def runner_round(*, guard: bool) -> float:
    """Seconds lab's runner takes over the seed lesson in this process (no interpreter
    start-up), with or without the engine guard; cleanup included."""
    lesson = load_lesson(SEED)

    async def run() -> list[str]:
        runner = LessonRunner(lesson, RunOptions(guard=guard))
        async for _ in runner.events():
            pass
        finished = runner.finished
        assert finished is not None
        return [
            f"step {step.index + 1}: {result.status} {result.message}\n{result.output[-1000:]}"
            + "".join(f"\n  {c.label}: {c.message} {c.output[-300:]}" for c in result.checks)
            for step, result in finished.results
            if not result.ok
        ]

    t0 = time.perf_counter()
    failed = asyncio.run(run())
    took = time.perf_counter() - t0
    if failed:
        raise RuntimeError(f"the seed lesson failed (guard={guard}):\n" + "\n".join(failed))
    return took


def request_seconds(path: str, count: int) -> float:
    """Median seconds of `GET /containers/json` on one kept-alive connection to a socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    conn = http.client.HTTPConnection("docker")
    conn.sock = sock
    took = []
    for _ in range(count):
        t0 = time.perf_counter()
        conn.request("GET", "/containers/json")
        conn.getresponse().read()
        took.append(time.perf_counter() - t0)
    conn.close()
    return statistics.median(took)


def guard_per_request(script: str, client: Any, before: HostState) -> tuple[float, float, int]:
    """(seconds per request directly, through the guard, requests the seed's commands send);
    what the commands made is removed afterwards (back to before)."""
    guard = EngineGuard()
    guard.start(Protected.of(take_snapshot(client)))
    try:
        engine = engine_address().removeprefix("unix://")
        direct, guarded = [], []
        for _ in range(REQUESTS // 50):  # alternating blocks of 50
            direct.append(request_seconds(engine, 50))
            guarded.append(request_seconds(str(guard.socket_path), 50))
        counted = guard.requests()
        env = guard.client_env(os.environ)
        with tempfile.TemporaryDirectory() as work:
            subprocess.run(
                ["bash", "-e", "-c", script], cwd=work, env=env, check=True, capture_output=True
            )
        sent = guard.requests() - counted
    finally:
        guard.stop()
        report = restore(lambda: client, before)
        assert report.ok, report.failed
    return statistics.median(direct), statistics.median(guarded), sent


def main() -> None:
    client = connect()
    lesson = load_lesson(SEED)
    script = "\n".join(step.command for step in lesson.steps)
    present = [ref for ref in LESSON_IMAGES if client.images.list(name=ref)]
    removed = []
    try:
        for ref in present:
            client.images.remove(ref)
            removed.append(ref)
        measure(client, lesson, script)
    finally:
        for ref in removed:
            client.images.pull(ref)


def measure(client: Any, lesson: Lesson, script: str) -> None:
    """The rounds, and what they show (the lesson's images are not on the engine)."""
    before = take_snapshot(client)
    times: dict[str, list[float]] = {
        "terminal": [],
        "pipe": [],
        "lab": [],
        "guard on": [],
        "guard off": [],
    }
    cache = Path(tempfile.mkdtemp(prefix="lab-bench-pyc-"))
    env = lab_env(cache)
    for round_ in range(ROUNDS + 1):  # round 0: warm-up, not counted
        took: dict[str, float] = {}
        for kind in ("terminal", "pipe"):
            time.sleep(SETTLE)
            try:
                took[kind] = bash_round(script, terminal=kind == "terminal")
            finally:  # also when the script failed: the shared engine gets its state back
                report = restore(lambda: client, before)
            assert report.ok, report.failed
        time.sleep(SETTLE)
        took["lab"] = lab_round(env)  # lab run cleans up after itself
        for guard in (True, False) if round_ % 2 else (False, True):  # neither always first
            time.sleep(SETTLE)
            took["guard on" if guard else "guard off"] = runner_round(guard=guard)
        if round_:
            for kind, seconds in took.items():
                times[kind].append(seconds)
    shutil.rmtree(cache, ignore_errors=True)
    direct, guarded, sent = guard_per_request(script, client, before)
    median = {kind: statistics.median(values) for kind, values in times.items()}
    print(
        f"seed lesson: {len(lesson.steps)} steps, {ROUNDS} rounds each (after a warm-up round; "
        f"engine idle {SETTLE:g} s before each), medians"
    )
    labels = {
        "terminal": "bash script in a terminal (baseline)",
        "pipe": "bash script, output to a pipe",
        "lab": "lab run (process, incl. start-up, checks, cleanup)",
    }
    for kind, label in labels.items():
        shown = ", ".join(f"{t:.2f}" for t in times[kind])
        print(f"{label}: {median[kind]:.2f} s   [{shown}]")
    print(f"ratio lab/bash: {median['lab'] / median['terminal']:.2f}")
    print(f"ratio lab/bash with output to a pipe: {median['lab'] / median['pipe']:.2f}")
    for kind in ("guard on", "guard off"):
        shown = ", ".join(f"{t:.2f}" for t in times[kind])
        print(f"lab's runner in this process, engine {kind}: {median[kind]:.3f} s   [{shown}]")
    paired = [on / off for on, off in zip(times["guard on"], times["guard off"], strict=True)]
    print(
        f"ratio engine guard on/off (median of each round's ratio): {statistics.median(paired):.3f}"
    )
    added = guarded - direct
    print(
        f"one API request directly: {direct * 1000:.2f} ms, through the guard: "
        f"{guarded * 1000:.2f} ms (+{added * 1000:.2f} ms); the seed's commands send {sent} "
        f"requests: +{sent * added * 1000:.0f} ms, "
        f"{100 * sent * added / median['guard off']:.1f}% of the runner's median without the guard"
    )


if __name__ == "__main__":
    main()
