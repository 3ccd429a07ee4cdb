"""`lab run` on the seed lesson against the same commands as one bash script, in the same run.

Figures, not assertions. Each round starts from a learner's fresh machine: the lesson's
images are not present locally and come through the registry mirror. Whatever a round
leaves (the bash script leaves its containers and images) is removed before the next; the
images that were present before the benchmark are pulled back at the end.
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

from lab.checks import connect
from lab.hoststate import restore, take_snapshot
from lab.parser import read_lesson

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "lessons" / "seed-registry-part1.md"
ROUNDS = 5
LESSON_IMAGES = ("hello-world:latest", "registry:2", "registry:latest")


def bash_round(script: str) -> float:
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        subprocess.run(["bash", "-e", "-c", script], cwd=work, check=True, capture_output=True)
        return time.perf_counter() - t0


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
    lesson = read_lesson(SEED)
    script = "\n".join(step.command for step in lesson.steps)
    present = [ref for ref in LESSON_IMAGES if client.images.list(name=ref)]
    for ref in present:
        client.images.remove(ref)
    before = take_snapshot(client)
    bash_times, lab_times = [], []
    cache = Path(tempfile.mkdtemp(prefix="lab-bench-pyc-"))
    env = lab_env(cache)
    subprocess.run([sys.executable, "-m", "lab", "--help"], env=env, capture_output=True)
    for _ in range(ROUNDS):
        bash_times.append(bash_round(script))
        report = restore(lambda: client, before)
        assert report.ok, report.failed
        lab_times.append(lab_round(env))  # lab run cleans up after itself
    shutil.rmtree(cache, ignore_errors=True)
    for ref in present:
        client.images.pull(ref)
    bash_median, lab_median = statistics.median(bash_times), statistics.median(lab_times)
    print(f"seed lesson: {len(lesson.steps)} steps, {ROUNDS} rounds each, medians")
    print(
        f"bash script (baseline): {bash_median:.2f} s   "
        f"[{', '.join(f'{t:.2f}' for t in bash_times)}]"
    )
    print(
        f"lab run (process, incl. start-up, checks, cleanup): {lab_median:.2f} s   "
        f"[{', '.join(f'{t:.2f}' for t in lab_times)}]"
    )
    print(f"ratio lab/bash: {lab_median / bash_median:.2f}")


if __name__ == "__main__":
    main()
