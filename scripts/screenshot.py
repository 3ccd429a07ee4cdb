#!/usr/bin/env python3
"""Make assets/lesson-screen.svg: the lesson screen of the seed lesson after its first step.

    python scripts/screenshot.py [--lesson FILE] [--steps N] [--out assets/lesson-screen.svg]

The steps run for real (the seed lesson needs the Docker engine); whatever they create is
removed afterwards, as `lab reset` would. Progress goes to a temporary state directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (150, 42)
"""Columns, rows of the screenshot."""


async def shoot(lesson_path: Path, steps: int, out: Path) -> None:
    from lab.learner.session import reset_lesson
    from lab.lesson.load import load_lesson
    from lab.tui.app import LabApp
    from lab.tui.screens.lesson import LessonScreen

    app = LabApp(lesson=load_lesson(lesson_path))
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, LessonScreen)
            await until(lambda: screen.learner.started and screen.pane.view(1) is not None)
            for n in range(steps):
                await pilot.press("enter")
                card = screen.lesson_view.step_card(n)
                await until(lambda card=card: card.state not in ("ready", "running"), 120)
                if card.state != "passed":
                    raise SystemExit(f"step {n + 1} {card.state}: {card.result}")
            await until(lambda: screen._busy is None)
            await pilot.pause(0.3)
            app.save_screenshot(filename=out.name, path=str(out.parent))
    finally:
        reset_lesson(lesson_path)


async def until(done: object, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        if time.monotonic() > end:
            raise SystemExit("timed out")
        await asyncio.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lesson", type=Path, default=ROOT / "tests/fixtures/lessons/seed-registry-part1.md"
    )
    parser.add_argument("--steps", type=int, default=1, help="steps to run first (default 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "lesson-screen.svg")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lab-screenshot-") as state:
        os.environ["LAB_STATE_DIR"] = state
        asyncio.run(shoot(args.lesson.resolve(), args.steps, args.out.resolve()))
    sys.stdout.write(f"wrote {args.out}\n")


if __name__ == "__main__":
    main()
