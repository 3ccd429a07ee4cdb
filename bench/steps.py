"""Per-step overhead of `lab run`: 200 trivial steps against the same commands as one bash script.

Figures, not assertions. Both are measured in this process, one after the other, so the
ratio holds on a noisy machine.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.lesson.parser import parse_text
from lab.runner import LessonRunner, StepFinished, StepStarted

STEPS = 200
COMMAND = "true"


def lesson_text(steps: int) -> str:
    return "\n".join(f"```.term1\n{COMMAND}\n```\n" for _ in range(steps))


async def lab_step_times(steps: int) -> tuple[list[float], float]:
    lesson = parse_text(lesson_text(steps), "bench.md")
    runner = LessonRunner(lesson)
    started: dict[int, float] = {}
    durations: list[float] = []
    t0 = time.perf_counter()
    async for event in runner.events():
        if isinstance(event, StepStarted):
            started[event.step.index] = time.perf_counter()
        elif isinstance(event, StepFinished):
            durations.append(time.perf_counter() - started[event.step.index])
            if not event.result.ok:
                raise SystemExit(f"step {event.step.index + 1} did not pass: {event.result}")
    return durations, time.perf_counter() - t0


def bash_script_time(steps: int) -> float:
    script = "\n".join([COMMAND] * steps) + "\n"
    t0 = time.perf_counter()
    subprocess.run(["bash", "--noprofile", "--norc", "-c", script], check=True)
    return time.perf_counter() - t0


def lab_run_process_time(steps: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.md"
        path.write_text(lesson_text(steps))
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lab", "run", str(path)], check=True, capture_output=True
        )
        return time.perf_counter() - t0


def main() -> None:
    asyncio.run(lab_step_times(10))  # warm-up: imports, first shell
    bash_total = bash_script_time(STEPS)
    durations, lab_total = asyncio.run(lab_step_times(STEPS))
    process_total = lab_run_process_time(STEPS)
    bash_per_step = bash_total / STEPS
    median = statistics.median(durations)
    p90 = statistics.quantiles(durations, n=10)[-1]
    overhead = median - bash_per_step
    print(f"steps: {STEPS} x `{COMMAND}`")
    print(
        f"bash script (baseline):  {bash_total * 1000:8.1f} ms total, "
        f"{bash_per_step * 1000:.3f} ms a command"
    )
    print(
        f"lab runner in-process:   {lab_total * 1000:8.1f} ms total, "
        f"median step {median * 1000:.3f} ms, p90 {p90 * 1000:.3f} ms"
    )
    print(f"`lab run` as a process:  {process_total * 1000:8.1f} ms total (incl. start-up)")
    print(f"median per-step overhead: {overhead * 1000:.3f} ms")
    print(f"ratio (lab runner / bash script): {lab_total / bash_total:.1f}x")


if __name__ == "__main__":
    main()
