"""`TerminalPane`: the lesson's terminals (tabs when there are several), each a live shell."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from lab.errors import LabError
from lab.shell import ShellSession
from lab.tui.widgets.terminal import TerminalView

REDRAW = "\x0c"
"""Ctrl-L: readline clears the screen and draws the prompt again. The runner starts a shell
before its widget listens, so the first prompt went nowhere."""


class TerminalBox(Vertical):
    """One terminal: a placeholder until its shell is up, then the TerminalView; a bar over
    it when the shell exits (or cannot start) that offers a new one."""

    DEFAULT_CSS = """
    TerminalBox {
        height: 1fr;
        #starting { color: $text-muted; padding: 1 2; }
        #exited { height: auto; background: $warning-muted; padding: 0 1; display: none; }
        #exited Static { width: 1fr; padding: 0 1 0 0; }
    }
    """

    def __init__(self, number: int) -> None:
        super().__init__(id=f"term-box-{number}")
        self.number = number
        self.view: TerminalView | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="exited"):
            yield Static(id="exited-text")
            yield Button("Start a new shell", id="respawn", variant="warning", compact=True)
        yield Static(f"Starting the shell of term{self.number}…", id="starting")

    async def attach(self, session: ShellSession) -> TerminalView:
        """Show `session` here (a shell already started: its first prompt is drawn again)."""
        view = TerminalView(session, id=f"term-{self.number}")
        self.view = view
        await self.query_one("#starting").remove()
        await self.mount(view)
        if session.alive and not session.busy:
            session.send_text(REDRAW)
        return view

    def waiting(self, text: str) -> None:
        """Say what the terminal waits for (a sandbox node, the engine)."""
        if self.view is None:
            self.query_one("#starting", Static).update(Content(text))

    def problem(self, text: str) -> None:
        """Show what happened to the shell, with the button for a new one."""
        self.query_one("#exited-text", Static).update(Content(text))
        self.query_one("#exited").display = True

    def exited(self, status: int | None) -> None:
        """The shell exited: offer a new one."""
        how = f" with status {status}" if status is not None else ""
        self.problem(f"The shell of term{self.number} exited{how}.")
        self.query_one("#respawn").focus()

    def back(self) -> None:
        """A shell runs again (respawned here, or by a step the learner ran)."""
        if self.view is not None:
            self.view.reset()
        self.query_one("#exited").display = False

    @on(Button.Pressed, "#respawn")
    async def _respawn(self, event: Button.Pressed) -> None:
        event.stop()
        if self.view is None:
            self.post_message(TerminalPane.Retry())
            return
        self.back()
        try:
            await self.view.session.respawn()
        except LabError as exc:
            self.problem(str(exc))
            return
        self.view.focus()


class TerminalPane(Vertical):
    """The terminals of a lesson, numbered from 1."""

    DEFAULT_CSS = """
    TerminalPane {
        width: 1fr;
        height: 1fr;
        border: round $foreground 30%;
        border-title-color: $text-muted;
        &:focus-within { border: round $accent; border-title-color: $accent; }
        TabbedContent, ContentSwitcher, TabPane { height: 1fr; }
        TabPane { padding: 0; }
    }
    """

    class Retry(Message):
        """The learner asks to try starting the shells again."""

    def __init__(self, numbers: list[int], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.numbers = numbers
        self.border_title = "term1" if len(numbers) == 1 else "terminals"

    def compose(self) -> ComposeResult:
        if len(self.numbers) == 1:
            yield TerminalBox(self.numbers[0])
            return
        from textual.widgets import TabbedContent, TabPane

        with TabbedContent():
            for n in self.numbers:
                with TabPane(f"term{n}", id=f"tab-{n}"):
                    yield TerminalBox(n)

    def box(self, number: int) -> TerminalBox:
        """The box of terminal `number`."""
        return self.query_one(f"#term-box-{number}", TerminalBox)

    def view(self, number: int) -> TerminalView | None:
        """The TerminalView of terminal `number`, once its shell is up."""
        return self.box(number).view

    @property
    def active(self) -> int:
        """The terminal shown (the tab selected)."""
        if len(self.numbers) == 1:
            return self.numbers[0]
        from textual.widgets import TabbedContent

        tab = self.query_one(TabbedContent).active
        return int(tab.removeprefix("tab-")) if tab else self.numbers[0]

    def show(self, number: int) -> None:
        """Bring terminal `number` to the front."""
        if len(self.numbers) > 1 and number in self.numbers:
            from textual.widgets import TabbedContent

            self.query_one(TabbedContent).active = f"tab-{number}"

    def cycle(self) -> int:
        """Show the next terminal; returns its number."""
        n = self.numbers[(self.numbers.index(self.active) + 1) % len(self.numbers)]
        self.show(n)
        return n

    def focus_terminal(self, number: int | None = None) -> bool:
        """Put the keyboard on a terminal (the active one by default)."""
        number = number or self.active
        self.show(number)
        view = self.view(number)
        if view is None:
            return False
        view.focus()
        return True

    def on_terminal_view_shell_exited(self, message: TerminalView.ShellExited) -> None:
        message.stop()
        for n in self.numbers:
            if self.view(n) is message.view:
                self.show(n)
                self.box(n).exited(message.exit_status)
