"""The lesson screen, driven by Pilot over real shells (no Docker): keys, steps, checks."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from lab.learner.progress import Progress
from lab.learner.session import workspace_dir
from lab.tui.screens.confirm import ConfirmScreen
from lab.tui.screens.help import HelpScreen
from lab.tui.screens.outline import OutlineScreen
from lab.tui.screens.problem import ProblemScreen
from lab.tui.widgets.header import LabHeader
from lab.tui.widgets.lesson_view import LessonView
from lab.tui.widgets.terminal import TerminalView
from tests.conftest import fixture
from tests.tui.conftest import at_prompt
from tests.tui.lessons import open_lab
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


def progress_file(name: str) -> dict[str, object]:
    data = json.loads(Progress(fixture(name)).path.read_text())
    assert isinstance(data, dict)
    return data


def card_text(lab: object, step: int) -> str:
    return str(lab.card(step).render())  # type: ignore[attr-defined]


def squeeze(text: str) -> str:
    """text without its whitespace: what a wrapped line still says."""
    return "".join(text.split())


def actions_row(lab: object, step: int) -> int:
    """The row of a step card's ▶ link (counting its top border)."""
    lines = card_text(lab, step).splitlines()
    return next(n for n, line in enumerate(lines) if line.startswith("▶")) + 1


async def test_n_p_and_ctrl_arrows_move_the_current_step() -> None:
    async with open_lab("run-failing-step.md") as lab:
        view = lab.view
        assert view.current == 0 and lab.card(0).has_class("-current")
        for key, expected in [("n", 1), ("ctrl+down", 2), ("n", 2), ("p", 1), ("ctrl+up", 0)]:
            await lab.pilot.press(key)
            assert view.current == expected, key
        assert lab.card(0).has_class("-current") and not lab.card(1).has_class("-current")
        assert all(lab.card(n).state == "not run" for n in range(3)), "moving runs nothing"


async def test_f6_switches_focus_and_the_terminal_takes_other_keys() -> None:
    async with open_lab("run-failing-step.md") as lab:
        assert isinstance(lab.app.focused, LessonView)
        await lab.pilot.press("f6")
        assert isinstance(lab.app.focused, TerminalView)
        await lab.pilot.press("n", "p")  # typed into the shell, not navigation
        await wait_until(lambda: lab.terminal().screen_text()[0] == "$ np", 10, "the typed keys")
        assert lab.view.current == 0
        await lab.pilot.press("f6")
        assert isinstance(lab.app.focused, LessonView)


@pytest.mark.docker  # the seed lesson runs docker: the app asks the engine first
async def test_help_and_section_outline() -> None:
    async with open_lab("seed-registry-part1.md") as lab:
        if isinstance(lab.app.screen, ProblemScreen):  # a `registry` of someone else's is
            await lab.pilot.press("escape")  # in the seed's way on a shared engine: said first
        await lab.pilot.press("question_mark")
        assert isinstance(lab.app.screen, HelpScreen)
        await lab.pilot.press("escape")
        await lab.pilot.press("f1")
        assert isinstance(lab.app.screen, HelpScreen)
        await lab.pilot.press("escape")
        await lab.pilot.press("o")
        assert isinstance(lab.app.screen, OutlineScreen)
        titles = [h.title for h in lab.screen.learner.lesson.headings]
        target = titles.index("Running a Registry Container with External Storage")
        await lab.pilot.press(*["down"] * target, "enter")
        await lab.pilot.pause()
        assert lab.view.current == 4, "the first step after that heading"
        assert lab.view.scroll_y > 0


async def test_enter_runs_the_step_verifies_it_and_saves_progress() -> None:
    async with open_lab("run-pass.md") as lab:
        await lab.pilot.press("enter")
        assert await lab.finished(0) == "passed"
        text = card_text(lab, 0)
        assert "✓ greeting written" in text and "(inferred)" in text
        assert "$ mkdir -p data && echo hello > data/greeting" in lab.terminal().screen_text()
        assert lab.view.current == 0, "Enter runs and stays: `n` moves on"
        assert "1/2" in str(lab.screen.query_one(LabHeader).query_one("#progress").render())
        steps = progress_file("run-pass.md")["steps"]
        assert [s["state"] for s in steps.values()] == ["passed"]  # type: ignore[attr-defined]


async def test_enter_n_enter_runs_steps_1_and_2() -> None:
    async with open_lab("run-failing-step.md") as lab:
        await lab.pilot.press("enter")
        assert await lab.finished(0) == "passed"
        await lab.pilot.press("n", "enter")
        assert await lab.finished(1) == "failed"
        assert lab.card(2).state == "not run", "nothing was skipped or run twice"
        assert lab.view.current == 1


async def test_half_typed_input_is_cleared_before_a_step() -> None:
    async with open_lab("run-pass.md") as lab:
        await lab.pilot.press("f6", *"echo half", "f6")
        await wait_until(lambda: "echo half" in lab.terminal().screen_text()[0], 10, "typed text")
        await lab.pilot.press("enter")
        assert await lab.finished(0) == "passed"
        assert lab.terminal().screen_text()[0] == "$ mkdir -p data && echo hello > data/greeting"


async def test_a_failing_step_says_why() -> None:
    async with open_lab("run-failing-step.md") as lab:
        await lab.pilot.press("n", "enter")
        assert await lab.finished(1) == "failed"
        assert "exited with status 2 (expected 0)" in card_text(lab, 1)
        assert "No such file or directory" in card_text(lab, 1)
        assert lab.view.current == 1, "a failed step stays current"


async def test_clicking_the_run_link_runs_that_step() -> None:
    async with open_lab("run-failing-step.md") as lab:
        card = lab.card(2)
        await lab.pilot.click(card, offset=(4, 2))  # the card's first line: select it
        assert lab.view.current == 2 and card.state == "not run"
        await lab.pilot.click(card, offset=(3, actions_row(lab, 2)))
        assert await lab.finished(2) == "passed"


@pytest.mark.docker  # hints.md runs `docker ps`: the app asks the engine first
async def test_hints_and_drift_show_on_request() -> None:
    async with open_lab("hints.md") as lab:
        assert "is the engine running?" not in card_text(lab, 0)
        await lab.pilot.press("h")
        assert "💡 is the engine running? Try docker info." in card_text(lab, 0)  # Markdown
        await lab.pilot.press("h")
        assert "is the engine running?" not in card_text(lab, 0)
    async with open_lab("run-drift.md") as lab:
        await lab.pilot.press("enter")
        assert await lab.finished(0) == "passed"
        assert "+this line is new" not in card_text(lab, 0)
        await lab.pilot.press("escape")  # the lesson's only step: close its summary
        await lab.pilot.press("d")
        assert "+this line is new" in card_text(lab, 0)
    async with open_lab("run-failing-step.md") as lab:
        await lab.pilot.press("n", "enter")  # fails: what to try shows by itself
        assert await lab.finished(1) == "failed"
        await lab.pilot.press("d")  # its lesson gives no expected output
        assert "no expected output" in " ".join(n.message for n in lab.app._notifications)


async def test_progress_resumes_at_the_next_unverified_step() -> None:
    async with open_lab("run-failing-step.md") as lab:
        await lab.pilot.press("enter")
        assert await lab.finished(0) == "passed"
    async with open_lab("run-failing-step.md") as lab:
        assert lab.view.current == 1
        assert lab.card(0).state == "passed" and lab.card(1).state == "not run"
        assert "passed earlier" in lab.card(0).border_subtitle
        assert "1/3" in str(lab.screen.query_one(LabHeader).query_one("#progress").render())


async def test_reset_undoes_the_session_after_confirmation() -> None:
    workspace = workspace_dir(fixture("run-pass.md"))
    async with open_lab("run-pass.md") as lab:
        await lab.pilot.press("enter")
        assert await lab.finished(0) == "passed"
        assert (workspace / "data" / "greeting").exists()
        await lab.pilot.press("R")
        assert isinstance(lab.app.screen, ConfirmScreen)
        await lab.pilot.press("escape")  # cancelled: nothing changes
        assert lab.card(0).state == "passed"
        await lab.pilot.press("R", "y")
        await wait_until(lambda: not (workspace / "data").exists(), 10, "the workspace to go")
        await lab.ready()
        assert lab.card(0).state == "not run" and lab.view.current == 0
        assert not Progress(fixture("run-pass.md")).path.exists()
        await lab.pilot.press("enter")
        assert await lab.finished(0) == "passed", "a fresh shell runs steps again"


async def test_a_shell_that_exits_can_be_started_again() -> None:
    async with open_lab("run-pass.md") as lab:
        await lab.pilot.press("f6", *"exit 3", "enter")
        exited = lab.screen.query_one("#exited")
        await wait_until(lambda: exited.display, 10, "the exited bar")
        assert "exited with status 3" in str(lab.screen.query_one("#exited-text").render())
        await lab.pilot.click("#respawn")
        await wait_until(lambda: at_prompt(lab.terminal().screen_text()), 10, "a new prompt")
        assert not exited.display
        await lab.pilot.press("f6", "enter")
        assert await lab.finished(0) == "passed"


async def test_engine_down_shows_the_doctors_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab.lesson.load import load_lesson
    from lab.tui.app import LabApp
    from lab.tui.screens.problem import ProblemScreen

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    app = LabApp(lesson=load_lesson(fixture("hints.md")))  # `docker ps`: needs the engine
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(lambda: bool(app.screen.query("#dialog Static")), 20, "the problem")
        assert isinstance(app.screen, ProblemScreen)
        text = str(app.screen.query_one("#dialog Static").render())
        assert "cannot reach the Docker engine" in text and "lab doctor" in text
        assert "hint:" in text
        await wait_until(lambda: bool(app.screen.query("#read")), 20, "the dialog's buttons")
        await pilot.click("#read")
        await pilot.press("enter")  # a step cannot run: the advice comes again
        await wait_until(lambda: isinstance(app.screen, ProblemScreen), 20, "the problem again")


async def test_two_terminals_in_tabs_each_step_in_its_own() -> None:
    async with open_lab("multi-term.md") as lab:
        await lab.ready(2)
        assert isinstance(lab.app.focused, LessonView)
        await lab.pilot.press("n", "enter")  # step 2 runs on term2: its tab comes forward
        assert await lab.finished(1) == "passed"
        assert lab.screen.pane.active == 2
        assert lab.terminal(2).screen_text()[0] == "$ hostname"
        assert lab.terminal(1).screen_text()[0] == "$"
        await lab.pilot.press("t")
        assert lab.screen.pane.active == 1
        await lab.pilot.press("f6")
        assert lab.app.focused is lab.terminal(1)


@pytest.mark.docker  # the seed lesson runs docker: the app asks the engine first
async def test_a_long_lesson_shows_its_start_first_then_the_rest() -> None:
    from lab.learner.session import LearnerSession
    from lab.lesson.load import load_lesson

    lesson = load_lesson(fixture("seed-registry-part1.md"))
    view = LessonView(LearnerSession(lesson))
    assert len(view.blocks) > view.FIRST_BLOCKS, "the seed lesson is long enough"
    async with open_lab("seed-registry-part1.md") as lab:
        assert all(b.is_mounted for b in lab.view.blocks)
        assert [c.step.index for c in lab.view.cards] == list(range(7))  # type: ignore[union-attr]


@pytest.mark.docker  # hints.md runs `docker ps`: the app asks the engine first
async def test_the_hint_link_shows_the_hint() -> None:
    async with open_lab("hints.md") as lab:
        card = lab.card(0)
        row = actions_row(lab, 0)
        link = card_text(lab, 0).splitlines()[row - 1].index("hint") + 2  # border, padding
        await lab.pilot.click(card, offset=(link + 1, row))
        assert "is the engine running?" in card_text(lab, 0)
        assert card.state == "not run", "showing a hint runs nothing"


async def test_help_comes_on_every_screen_even_a_dialog() -> None:
    async with open_lab("run-pass.md") as lab:
        await lab.pilot.press("R")
        assert isinstance(lab.app.screen, ConfirmScreen)
        await lab.pilot.press("f1")
        assert isinstance(lab.app.screen, HelpScreen)
        assert "back to the course" not in str(lab.app.screen.rows), "lab open: no course"
        await lab.pilot.press("escape", "escape")
        assert not isinstance(lab.app.screen, ConfirmScreen | HelpScreen)


@pytest.mark.docker  # a volume of the user's, kept by the engine guard
async def test_a_step_the_engine_guard_refused_says_why(tmp_path: Path) -> None:
    volume = f"lab-test-keep-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "volume", "create", volume], check=True, capture_output=True)
    lesson = tmp_path / "guarded.md"
    lesson.write_text(f"```.term1\ndocker volume rm {volume}\n```\n")
    try:
        async with open_lab(lesson) as lab:
            await lab.pilot.press("enter")
            assert await lab.finished(0) == "failed"
            said = f"lab protected volume '{volume}': it existed before this lesson"
            assert squeeze(said) in squeeze(card_text(lab, 0))  # (wrapped in both)
            shown = squeeze("".join(lab.terminal().screen_text()))
            assert squeeze(f"Error response from daemon: {said}") in shown
        probe = subprocess.run(["docker", "volume", "inspect", volume], capture_output=True)
        assert probe.returncode == 0, "the user's volume is still there"
    finally:
        subprocess.run(["docker", "volume", "rm", volume], capture_output=True)
