"""Progress files: keys that survive edits, grading, tallies, resuming, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from lab.learner import progress
from lab.learner.progress import Progress, QuizAnswer
from lab.lesson.load import load_lesson
from lab.lesson.parser import parse_text
from tests.conftest import ROOT, fixture

LESSON = """\
# Two steps and a quiz

```.term1
echo one
```

{:.quiz}
Which?
- ( ) a
- (x) b

```.term1
echo two
```
"""


def test_keys_follow_the_steps_not_their_position() -> None:
    lesson = parse_text(LESSON, "l.md")
    edited = parse_text(LESSON.replace("# Two", "```.term1\necho zero\n```\n\n# Two"), "l.md")
    assert progress.step_keys(edited)[1:] == progress.step_keys(lesson)
    repeated = parse_text("```.term1\nls\n```\n\n```.term1\nls\n```\n", "r.md")
    first, second = progress.step_keys(repeated)
    assert first != second and second.endswith("#2")


def test_grading() -> None:
    single = parse_text(LESSON, "l.md").quizzes[0]
    assert progress.grade(single, [1]) and not progress.grade(single, [0])
    several = load_lesson(fixture("quiz-multiple.md")).quizzes[0]
    assert progress.grade(several, (0, 2)) and not progress.grade(several, (0,))


def test_tally_and_resume(state_dir: Path) -> None:
    lesson = replace(parse_text(LESSON, "l.md"), path=state_dir / "l.md")
    record = progress.load(lesson.path)
    assert progress.resume_at(lesson, record) == 0
    step1, step2 = progress.step_keys(lesson)
    (quiz,) = progress.quiz_keys(lesson)
    record.mark_verified(step1)
    assert progress.resume_at(lesson, record) == 1, "the quiz comes next"
    record.record_answer(quiz, QuizAnswer((0,), correct=False))
    tally = progress.tally(lesson, record)
    assert (tally.done, tally.total, tally.quizzes_right) == (2, 3, 0)
    assert progress.resume_at(lesson, record) == 2
    record.mark_verified(step2)
    record.move_to(quiz)
    assert progress.tally(lesson, record).complete
    assert progress.resume_at(lesson, record) == 1, "all done: where the learner was"


def test_saved_after_every_change_and_read_back(state_dir: Path) -> None:
    path = fixture("run-pass.md")
    record = progress.load(path)
    record.mark_verified("step:abc")
    record.record_answer("quiz:def", QuizAnswer((1, 2), "", True))
    record.move_to("step:abc")
    again = progress.load(path)
    assert again == record
    data = json.loads(record.path.read_text())
    assert data["version"] == progress.VERSION and data["lesson"] == str(path.resolve())
    assert record.path.parent == state_dir / "progress"
    progress.forget(path)
    assert progress.load(path) == Progress(path)


def test_an_unreadable_file_is_a_fresh_start() -> None:
    path = fixture("run-pass.md")
    record = Progress(path)
    record.path.parent.mkdir(parents=True)
    record.path.write_text("{not json")
    assert progress.load(path) == Progress(path)
    record.path.write_text(json.dumps({"version": 999, "verified": ["x"]}))
    assert progress.load(path) == Progress(path)


def test_progress_survives_kill_9(state_dir: Path) -> None:
    """A process killed right after recording (no clean exit) leaves its progress behind."""
    code = (
        "import os, signal\n"
        "from pathlib import Path\n"
        "from lab.learner import progress\n"
        f"p = progress.load(Path({str(fixture('run-pass.md'))!r}))\n"
        "for n in range(50):\n"
        "    p.mark_verified(f'step:{n}')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "LAB_STATE_DIR": str(state_dir)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env)
    assert proc.returncode == -signal.SIGKILL
    assert len(progress.load(fixture("run-pass.md")).verified) == 50
    leftovers = [p.name for p in (state_dir / "progress").iterdir() if p.name.startswith(".")]
    assert leftovers == [], "no half-written temporary files"


def test_step_states_are_counted_and_a_failed_step_is_never_verified(state_dir: Path) -> None:
    lesson = replace(parse_text(LESSON, "l.md"), path=state_dir / "l.md")
    record = progress.load(lesson.path)
    step1, step2 = progress.step_keys(lesson)
    record.mark_verified(step1)
    record.record_step(step2, progress.StepRecord("passed", output="two\n", cwd="/w", seq=2))
    record.record_step(step2, progress.StepRecord("failed", "exited with status 1", seq=3))
    record.invalidate(step1, "directory data does not exist")
    tally = progress.tally(lesson, record)
    assert (tally.steps_done, tally.steps_failed, tally.steps_invalidated) == (0, 1, 1)
    assert not tally.complete and tally.troubled == 2
    assert record.state(step1) == "invalidated" and record.verified == set()
    assert progress.load(lesson.path) == record, "saved after every change"
    assert progress.resume_at(lesson, record) == 0, "the first step not verified"


def test_a_version_1_file_is_taken_up(state_dir: Path) -> None:
    path = fixture("run-pass.md")
    record = Progress(path)
    record.path.parent.mkdir(parents=True, exist_ok=True)
    old = {"version": 1, "verified": ["step:a"], "answers": {}, "position": "step:a"}
    record.path.write_text(json.dumps(old))
    loaded = progress.load(path)
    assert loaded.verified == {"step:a"} and loaded.position == "step:a"


def test_the_whole_session_is_saved(state_dir: Path) -> None:
    path = fixture("run-pass.md")
    record = progress.load(path)
    record.captures["DIGEST"] = "sha256:abc"
    record.terminals[1] = 'declare -x MINE="kept"\ncd -- /w/work\n'
    record.workspace = "/w"
    output = progress.kept_output("x" * 40_000 + "latest: digest: sha256:abc")
    record.record_step("step:a", progress.StepRecord("passed", "", output, "/w", 1))
    again = progress.load(path)
    assert again == record
    assert len(output) < progress.OUTPUT_KEPT + 10 and output.endswith("sha256:abc")
