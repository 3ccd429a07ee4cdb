"""The shell's prompt/command cycle from its marks, without a shell: marks in, states and
per-command results out. The mark sequences are the ones bash prints with lab's rcfile
(recorded from bash 5: `2004l` is readline ending bracketed paste as it takes a line)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lab.shell.marks import Mark, MarkKind
from lab.shell.tracker import Change, CommandEnded, CommandStarted, ShellState, ShellTracker

AT_PROMPT, MORE, RUNNING, WORKING = (
    ShellState.AT_PROMPT,
    ShellState.MORE_INPUT,
    ShellState.RUNNING,
    ShellState.WORKING,
)
STARTED = CommandStarted()


def mark(token: str) -> Mark:
    """`A`, `B`, `C`, `D` (no status), `D<status>`, `more` (PS2), `2004l` (line taken)."""
    if token.startswith("D"):
        return Mark(MarkKind.COMMAND_END, int(token[1:]) if token[1:] else None)
    return Mark(MarkKind(token))


def play(
    script: str, tracker: ShellTracker | None = None
) -> tuple[ShellTracker, list[Change], list[ShellState]]:
    """Feed a space-separated script of marks and `send` (a line typed, readline in
    bracketed-paste mode) or `send-raw` (typed without it): the tracker, every change in
    order, and the state after each token."""
    tracker = tracker or ShellTracker()
    changes: list[Change] = []
    states: list[ShellState] = []
    for token in script.split():
        if token in ("send", "send-raw"):
            tracker.line_sent(bracketed_paste=token == "send")
        else:
            change = tracker.on_mark(mark(token))
            if change is not None:
                changes.append(change)
        states.append(tracker.state)
    return tracker, changes, states


def at_prompt() -> ShellTracker:
    """A tracker that saw a shell start: its first prompt (a D with no command before)."""
    tracker, changes, _ = play("D0 A B")
    assert changes == [] and tracker.state is AT_PROMPT
    return tracker


def test_a_new_shell_is_working_until_its_first_prompt() -> None:
    tracker, changes, states = play("D0 A B")
    assert states == [WORKING, WORKING, AT_PROMPT]
    assert changes == [], "the first prompt's D ends no command"
    assert tracker.wants_input


def test_one_command_starts_and_ends_with_its_status() -> None:
    tracker, changes, states = play("send 2004l C D0 A B", at_prompt())
    assert changes == [STARTED, CommandEnded(0)]
    assert states == [WORKING, WORKING, RUNNING, WORKING, WORKING, AT_PROMPT]
    _, changes, _ = play("send 2004l C D1 A B", tracker)
    assert changes == [STARTED, CommandEnded(1)]


def test_empty_and_comment_lines_give_d_without_c_and_no_result() -> None:
    tracker, changes, states = play("send 2004l D0 A B", at_prompt())
    assert changes == [], "no command ran: no status for it"
    assert states[-1] is AT_PROMPT
    _, changes, _ = play("send 2004l D0 A B send 2004l C D0 A B", tracker)
    assert changes == [STARTED, CommandEnded(0)], "the next command still counts"


def test_continuation_lines_want_more_input_then_run_as_one_command() -> None:
    tracker = at_prompt()
    _, changes, states = play("send 2004l more", tracker)
    assert states[-1] is MORE and tracker.wants_input and not tracker.ready
    _, changes, states = play("send 2004l more send 2004l C D0 A B", tracker)
    assert states == [
        WORKING,
        WORKING,
        MORE,
        WORKING,
        WORKING,
        RUNNING,
        WORKING,
        WORKING,
        AT_PROMPT,
    ]
    assert changes == [STARTED, CommandEnded(0)]


def test_a_background_job_ends_its_command_line_at_once() -> None:
    """`sleep 30 &`: the line's command is over at once; the job runs on without marks."""
    tracker, changes, states = play("send 2004l C D0 A B", at_prompt())
    assert changes == [STARTED, CommandEnded(0)] and states[-1] is AT_PROMPT
    assert not tracker.in_command


def test_ctrl_c_in_a_running_command_and_at_ps2() -> None:
    _, changes, states = play("send 2004l C D130 A B", at_prompt())
    assert changes == [STARTED, CommandEnded(130)] and states[-1] is AT_PROMPT
    _, changes, states = play("send 2004l more D130 A B", at_prompt())
    assert changes == [] and states[-2:] == [WORKING, AT_PROMPT], "an unfinished line: no result"


def test_a_prompt_redrawn_before_the_line_ran_does_not_count() -> None:
    """A resize makes readline redraw its prompt, marks and all: that is no new prompt."""
    tracker, changes, states = play("send A B", at_prompt())
    assert states == [WORKING, WORKING, WORKING] and not tracker.wants_input
    _, changes, states = play("2004l C D0 A B", tracker)
    assert changes == [STARTED, CommandEnded(0)] and states[-1] is AT_PROMPT


def test_a_redrawn_ps2_counts_only_once_readline_took_the_line() -> None:
    tracker = at_prompt()
    _, _, states = play("send 2004l more send more", tracker)
    assert states[-1] is WORKING, "the old PS2 redrawn: the new line is not taken yet"
    _, _, states = play("2004l more", tracker)
    assert states[-1] is MORE


def test_without_bracketed_paste_ps2_is_trusted_at_once() -> None:
    _, _, states = play("send-raw more", at_prompt())
    assert states[-1] is MORE


def test_a_prompt_without_d_ends_the_command_with_no_status() -> None:
    _, changes, states = play("send 2004l C A B", at_prompt())
    assert changes == [STARTED, CommandEnded(None)] and states[-1] is AT_PROMPT


def test_a_second_c_changes_nothing() -> None:
    """A user's own shell integration may print its C too."""
    _, changes, _ = play("send 2004l C C D0 A B", at_prompt())
    assert changes == [STARTED, CommandEnded(0)]


def test_a_command_typed_by_hand_is_followed_too() -> None:
    """Keys typed in a UI are no `line_sent`: the marks alone tell the command's course."""
    _, changes, states = play("2004l C D0 A B", at_prompt())
    assert changes == [STARTED, CommandEnded(0)]
    assert states == [AT_PROMPT, RUNNING, WORKING, WORKING, AT_PROMPT]


def test_lost_integration_lasts_until_our_prompt_is_back() -> None:
    """A REPL took the terminal over (no marks while it runs); once it exits, bash's next
    prompt gives the shell back."""
    tracker, _, _ = play("send 2004l C", at_prompt())
    tracker.lose_integration()
    assert tracker.integration_lost and tracker.state is RUNNING
    _, changes, states = play("D0 A B", tracker)
    assert changes == [CommandEnded(0)] and states[-1] is AT_PROMPT
    assert not tracker.integration_lost


def test_a_redrawn_prompt_does_not_give_lost_integration_back() -> None:
    tracker = at_prompt()
    play("send", tracker)
    tracker.lose_integration()
    play("A B", tracker)
    assert tracker.integration_lost, "a prompt redrawn before the line ran is no new one"
    play("2004l C D0 A B", tracker)
    assert not tracker.integration_lost


def test_reset_is_a_new_shell() -> None:
    tracker, _, _ = play("send 2004l C", at_prompt())
    tracker.lose_integration()
    tracker.reset()
    assert tracker.state is WORKING and not tracker.integration_lost
    _, changes, _ = play("D0 A B", tracker)
    assert changes == [] and tracker.state is AT_PROMPT


TOKENS = st.sampled_from(["A", "B", "C", "D", "D0", "D1", "more", "2004l", "send", "send-raw"])


@given(st.lists(TOKENS, max_size=60))
def test_commands_start_and_end_in_turn_whatever_the_marks(script: list[str]) -> None:
    """Each command line is reported once started and once ended, never overlapping, and
    RUNNING holds exactly between the two."""
    tracker, changes, _ = play(" ".join(script))
    assert all(
        isinstance(c, CommandStarted if i % 2 == 0 else CommandEnded) for i, c in enumerate(changes)
    )
    assert (tracker.state is RUNNING) == (len(changes) % 2 == 1)
    assert not (tracker.ready and tracker.in_command)
