"""The lesson screen is driven by the run's events, through the learner's session: one event of
each kind, fed as the runner would, moves a step card through running, its check and passed; a
step the runner could not even start ends its card through the same handler."""

from __future__ import annotations

import pytest

from lab.learner import progress
from lab.tui.widgets.header import LabHeader
from tests.events import one_of_each
from tests.tui.lessons import open_lab
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_every_kind_of_event_reaches_the_step_card() -> None:
    async with open_lab("run-pass.md") as lab:
        learner = lab.screen.learner
        seen: list[tuple[str, str, bool]] = []
        for event in one_of_each(learner.lesson):
            learner.handle(event)  # what the runner's listener calls
            await lab.pilot.pause()
            card = lab.card(0)
            seen.append(
                (type(event).__name__, card.state, "greeting written" in str(card.render()))
            )
        assert seen == [
            ("LessonStarted", "not run", False),
            ("SandboxReady", "not run", False),
            ("StepStarted", "running", False),
            ("StepOutput", "running", False),
            ("CheckFinished", "running", True),  # shown while the step runs
            ("StepFinished", "passed", True),
            ("LessonFinished", "passed", True),
        ]
        assert lab.view.current == 0, "Enter runs and stays: `n` moves on"
        assert "1/2" in str(lab.screen.query_one(LabHeader).query_one("#progress").render())
        assert len(progress.load(learner.lesson.path).verified) == 1, "saved by the session"


async def test_a_step_the_runner_could_not_start_ends_its_card_the_same_way() -> None:
    async with open_lab("run-pass.md") as lab:
        await lab.pilot.press("f6", *"sleep 30", "enter", "f6")
        await wait_until(lambda: lab.terminal().session.busy, 10, "sleep to start")
        await lab.pilot.press("enter")  # the step's terminal is busy: no StepStarted, no run
        assert await lab.finished(0) == "error"
        assert "terminal 1 is busy with another command" in str(lab.card(0).render())
        assert lab.view.current == 0 and not lab.screen.learner.verified(lab.card(0).step)
