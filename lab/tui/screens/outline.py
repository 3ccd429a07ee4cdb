"""`OutlineScreen`: the lesson's sections, to jump to one."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lab.learner.session import LearnerSession


def section_label(learner: LearnerSession, heading: int) -> Content:
    """`  Title   2/3 steps` for one heading (its steps: those under it, before the next)."""
    headings = learner.lesson.headings
    h = headings[heading]
    end = next((x.line for x in headings[heading + 1 :] if x.level <= h.level), 1 << 30)
    steps = [s for s in learner.lesson.steps if h.line < s.line < end]
    done = sum(learner.verified(s) for s in steps)
    indent = "  " * (h.level - 1)
    if not steps:
        return Content.from_markup("$i$t", i=indent, t=h.title)
    style = "$success" if done == len(steps) else "dim"
    return Content.from_markup(
        f"$i$t  [{style}]$d/$n steps[/]", i=indent, t=h.title, d=str(done), n=str(len(steps))
    )


class OutlineScreen(ModalScreen[int | None]):
    """Dismisses with the index of the chosen heading (None: cancelled)."""

    DEFAULT_CSS = """
    OutlineScreen {
        align: center middle;
        OptionList {
            width: 80; max-width: 90%; height: auto; max-height: 80%;
            border: thick $accent; background: $surface; padding: 0 1;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,o,q", "cancel", "Close"),
        Binding("question_mark,f1", "app.help", "Help", show=False),
    ]

    def __init__(self, learner: LearnerSession) -> None:
        super().__init__()
        self.learner = learner

    def compose(self) -> ComposeResult:
        options = [
            Option(section_label(self.learner, n), id=str(n))
            for n in range(len(self.learner.lesson.headings))
        ]
        menu = OptionList(*options)
        menu.border_title = "Sections"
        yield menu

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
