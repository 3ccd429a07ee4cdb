"""Sandbox nodes: start to first prompt, and `lab run -j 2` against serial on two lessons.

Figures, not assertions. Baselines are measured in the same run: a local bash to its first
prompt for the node start, the serial run of the same two lessons for `-j 2`. Needs the
engine and the docker:dind stand-in of `scripts/test-env up`, and root.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.checks import connect
from lab.sandbox import Sandbox
from lab.shell import ShellSession

ROOT = Path(__file__).resolve().parent.parent
LESSONS = [
    ROOT / "tests" / "fixtures" / "lessons" / "sandbox-basic.md",
    ROOT / "tests" / "fixtures" / "lessons" / "sandbox-dockerd-restart.md",
]
ROUNDS = 3


async def local_prompt() -> float:
    """Baseline: a bash on this host, spawn to first prompt."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        shell = ShellSession(cwd=Path(tmp))
        await shell.start()
        elapsed = time.perf_counter() - t0
        await shell.close()
    return elapsed


async def node_prompt(nodes: int) -> tuple[float, float, float]:
    """Nodes up (every inner engine answers), then node1's shell to its first prompt;
    returns (total, up, shell) seconds, and the time to remove them is not counted."""
    box = Sandbox(connect, lesson=LESSONS[0], nodes=nodes)
    t0 = time.perf_counter()
    try:
        await asyncio.to_thread(box.up)
        t1 = time.perf_counter()
        shell = box.node(1).shell("term1", {})
        await shell.start()
        t2 = time.perf_counter()
        await shell.close()
    finally:
        await asyncio.to_thread(box.down)
    return t2 - t0, t1 - t0, t2 - t1


def lab_run(*args: str) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lab", "run", *args, "--json", str(report)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - t0
        lessons = json.loads(report.read_text())["lessons"]
    return elapsed, [f"{Path(run['path']).name}: {run['passed']}" for run in lessons]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


async def prompts() -> None:
    await node_prompt(1)  # warm-up: the node image is pulled and cached, imports are done
    local = [await local_prompt() for _ in range(ROUNDS)]
    one = [await node_prompt(1) for _ in range(ROUNDS)]
    two = [await node_prompt(2) for _ in range(ROUNDS)]
    base = statistics.median(local)
    print(f"start to first prompt, median of {ROUNDS}:")
    print(f"  local bash (baseline):         {ms(base)}")
    for label, runs in (("1 node", one), ("2 nodes", two)):
        total = statistics.median(r[0] for r in runs)
        up = statistics.median(r[1] for r in runs)
        shell = statistics.median(r[2] for r in runs)
        print(
            f"  {label + ' up + node1 prompt:':<30} {ms(total)}  (nodes up {ms(up).strip()}, "
            f"shell {ms(shell).strip()}; {total / base:.0f}x the baseline)"
        )


def parallel() -> None:
    paths = [str(p) for p in LESSONS]
    lab_run(paths[0])  # warm-up
    serial, results = lab_run(*paths)
    jobs, results_j = lab_run("-j", "2", *paths)
    print(f"two sandboxed lessons ({', '.join(p.name for p in LESSONS)}):")
    print(f"  serial `lab run A B` (baseline): {serial:6.2f} s  {results}")
    print(f"  `lab run -j 2 A B`:              {jobs:6.2f} s  {results_j}")
    print(f"  ratio (-j 2 / serial): {jobs / serial:.2f}  (2 cores)")


def main() -> None:
    asyncio.run(prompts())
    parallel()


if __name__ == "__main__":
    main()
