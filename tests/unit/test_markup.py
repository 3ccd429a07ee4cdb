"""Step cards' text: long commands wrapped with a visible mark, hints as Markdown."""

from __future__ import annotations

from lab.tui.widgets.markup import CONTINUED, command_text, markdown_text, wrap_command


def test_a_long_line_is_cut_after_a_space_and_marked() -> None:
    lines = wrap_command("curl -s http://127.0.0.1:5000/v2/hello-world/tags/list", 30)
    assert lines[0] == ("curl -s", True)
    assert all(text.startswith("  ") for text, _ in lines[1:]), "the rest is indented"
    assert lines[-1][1] is False
    joined = "".join(text.strip() if n else text + " " for n, (text, _) in enumerate(lines))
    assert joined.replace(" ", "") == "curl-shttp://127.0.0.1:5000/v2/hello-world/tags/list"
    assert all(len(text) + 2 <= 30 for text, _ in lines)


def test_short_commands_and_their_lines_stay_as_they_are() -> None:
    assert wrap_command("echo one\necho two\n", 40) == [("echo one", False), ("echo two", False)]
    assert CONTINUED in command_text("x " * 40, 20).plain


def test_hints_render_as_markdown() -> None:
    text = markdown_text("if `curl` says *refused*, look at **logs**:\n\n- one\n- two")
    assert text.plain == "if curl says refused, look at logs:\n• one\n• two"
    styles = {text.plain[s.start : s.end]: str(s.style) for s in text.spans}
    assert styles == {"curl": "bold $accent", "refused": "italic", "logs": "bold"}
