"""TerminalView over a real bash, driven by Pilot: keys, resize, alt screen, colours, exit.

Also scrollback, bracketed paste, terminal queries, the focus key and respawning.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from tests.tui.conftest import Term, at_prompt
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)


async def test_typed_command_output_appears(term: Term) -> None:
    lines = await term.run("echo hi")
    assert lines[:3] == ["$ echo hi", "hi", "$"]


async def test_ctrl_c_interrupts_a_command(term: Term) -> None:
    await term.type("sleep 100")
    await term.pilot.press("enter")
    await wait_until(lambda: term.view.session.busy, 10, "sleep to start")
    await term.pilot.press("ctrl+c")
    await wait_until(lambda: not term.view.session.busy, 3, "the prompt after ctrl+c")
    await wait_until(lambda: at_prompt(term.lines()), 3, "the prompt on screen")
    assert term.lines()[:3] == ["$ sleep 100", "^C", "$"]


async def test_tab_reaches_the_shell(term: Term, tmp_path: Path) -> None:
    (tmp_path / "unique-lesson-file.txt").write_text("from the workspace\n")
    await term.type("cat uniq")
    await term.pilot.press("tab")
    await wait_until(
        lambda: term.lines()[0] == "$ cat unique-lesson-file.txt", 10, "completion of the file name"
    )
    await term.pilot.press("enter")
    await wait_until(lambda: "from the workspace" in term.lines(), 10, "the file's content")


async def test_arrow_up_recalls_history(term: Term) -> None:
    await term.run("echo first")
    await term.pilot.press("up")
    await wait_until(lambda: term.lines()[2] == "$ echo first", 10, "the recalled command")
    await term.pilot.press("enter")
    await wait_until(lambda: term.lines()[3] == "first", 10, "the command's output again")


async def test_resize_keeps_the_prompt_visible(term: Term) -> None:
    await term.run("seq 1 40")  # fills the screen: the prompt is on the last row
    assert term.lines()[-1] == "$"
    await term.pilot.resize_terminal(60, 12)
    rows = term.view.size.height
    await wait_until(lambda: term.view.term.lines == rows, 10, "the screen to shrink")
    lines = term.lines()
    assert lines[-2:] == ["40", "$"], lines  # the prompt stays, rows above it scrolled off
    assert term.view.term.cursor.y == rows - 1
    await term.run("stty size")
    assert term.lines()[-2] == f"{rows} 60"  # the pty has the widget's size too


async def test_alternate_screen_restores_the_shell_screen(term: Term) -> None:
    await term.run("echo before")
    # %s%s AL T: "ALT" appears only where printf draws it, not in the echoed command.
    await term.paste("printf '\\e[?1049h\\e[H%s%s' AL T; read x; printf '\\e[?1049l'")
    await term.pilot.press("enter")
    await wait_until(lambda: term.lines()[0] == "ALT", 10, "the alternate screen")
    assert term.view.term.alternate
    assert "before" not in term.lines()
    await term.pilot.press("enter")  # ends `read`: the program leaves the alternate screen
    await wait_until(lambda: at_prompt(term.lines()), 10, "the prompt back")
    lines = term.lines()
    assert not term.view.term.alternate
    assert lines[:2] == ["$ echo before", "before"]
    assert "ALT" not in lines


async def test_sgr_colours_render_as_styles(term: Term) -> None:
    command = "printf '\\e[31mR\\e[0m \\e[1;38;5;33mB\\e[0m \\e[48;2;1;2;3mT\\n'"
    lines = await term.run(command, paste=True)
    row = lines.index("R B T")
    segments = {s.text.strip(): s.style for s in term.view.render_line(row) if s.text.strip()}
    assert segments["R"] is not None and segments["R"].color is not None
    assert segments["R"].color.name == "red"
    assert segments["B"] is not None and segments["B"].bold
    assert segments["B"].color is not None and segments["B"].color.name == "#0087ff"
    assert segments["T"] is not None and segments["T"].bgcolor is not None
    assert segments["T"].bgcolor.name == "#010203"


async def test_shift_pageup_scrolls_back_and_typing_snaps_back(term: Term) -> None:
    await term.run("seq 1 100")
    await term.pilot.press("shift+pageup")
    assert term.view.scrolled_back > 0
    first = term.view.render_line(0).text.strip()
    assert first.isdigit() and int(first) < 100 - term.view.size.height
    await term.pilot.press("x")
    assert term.view.scrolled_back == 0


async def test_paste_is_bracketed_so_tabs_are_text(term: Term) -> None:
    term.view.post_message(events.Paste("echo 'a\tb'"))
    await wait_until(lambda: term.lines()[0].startswith("$ echo 'a"), 10, "the pasted text")
    await term.pilot.press("enter")
    await wait_until(lambda: at_prompt(term.lines()), 10, "the prompt")
    assert term.lines()[1] == "a       b"  # a literal TAB, not a completion


async def test_cursor_position_query_is_answered(term: Term) -> None:
    command = "printf '\\e[6n'; read -rs -d R pos; echo \"at ${pos#*[}\""
    lines = await term.run(command, paste=True)
    assert lines[1] == "at 2;1"


async def test_focus_key_is_not_swallowed(term: Term) -> None:
    assert term.view.has_focus
    await term.pilot.press(term.view.FOCUS_KEY)
    assert term.app.query_one(Input).has_focus
    await term.pilot.press(term.view.FOCUS_KEY)
    assert term.view.has_focus
    await term.run("echo still here")
    assert term.lines()[0] == "$ echo still here"  # F6 sent nothing to the shell


async def test_shell_exit_posts_shell_exited(term: Term) -> None:
    await term.type("exit 3")
    await term.pilot.press("enter")
    await wait_until(lambda: bool(term.app.exits), 10, "ShellExited")
    assert term.app.exits[0].exit_status == 3
    assert term.app.exits[0].view is term.view
    assert not term.view.session.alive


async def test_respawn_after_exit_reuses_the_view(term: Term) -> None:
    await term.type("exit")
    await term.pilot.press("enter")
    await wait_until(lambda: bool(term.app.exits), 10, "ShellExited")
    term.view.reset()  # first: the new shell's prompt comes while respawn() awaits it
    await term.view.session.respawn()  # closing it is no exit: no second message
    await wait_until(lambda: at_prompt(term.lines()), 10, "the new shell's prompt")
    assert (await term.run("echo again"))[:2] == ["$ echo again", "again"]
    assert len(term.app.exits) == 1
