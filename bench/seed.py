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
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ptyprocess import PtyProcess

from lab.checks import connect
from lab.hoststate import restore, take_snapshot
from lab.lesson.load import load_lesson
from lab.shell.processes import DEFAULT_COLS, DEFAULT_ROWS

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "lessons" / "seed-registry-part1.md"
ROUNDS = 15
SETTLE = 1.0
"""Seconds between a clean-up and the next timed round."""
LESSON_IMAGES = ("hello-world:latest", "registry:2", "registry:latest")


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


def main() -> None:
    client = connect()
    lesson = load_lesson(SEED)
    script = "\n".join(step.command for step in lesson.steps)
    present = [ref for ref in LESSON_IMAGES if client.images.list(name=ref)]
    for ref in present:
        client.images.remove(ref)
    before = take_snapshot(client)
    times: dict[str, list[float]] = {"terminal": [], "pipe": [], "lab": []}
    cache = Path(tempfile.mkdtemp(prefix="lab-bench-pyc-"))
    env = lab_env(cache)
    for round_ in range(ROUNDS + 1):  # round 0: warm-up, not counted
        took: dict[str, float] = {}
        for kind in ("terminal", "pipe"):
            time.sleep(SETTLE)
            took[kind] = bash_round(script, terminal=kind == "terminal")
            report = restore(lambda: client, before)
            assert report.ok, report.failed
        time.sleep(SETTLE)
        took["lab"] = lab_round(env)  # lab run cleans up after itself
        if round_:
            for kind, seconds in took.items():
                times[kind].append(seconds)
    shutil.rmtree(cache, ignore_errors=True)
    for ref in present:
        client.images.pull(ref)
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


if __name__ == "__main__":
    main()
