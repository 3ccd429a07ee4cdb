"""`LessonView`: the lesson as a scrolling column of prose, step cards and quiz cards."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Union

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget

from lab.learner.session import LearnerSession
from lab.lesson.document import Prose, QuizBlock, StepBlock, lesson_blocks
from lab.tui.widgets.prose import ProseBlock
from lab.tui.widgets.step_card import StepCard

if TYPE_CHECKING:
    from lab.tui.widgets.quiz_card import QuizCard

Card = Union[StepCard, "QuizCard"]  # QuizCard is imported only by lessons with quizzes


class LessonView(VerticalScroll, can_focus=True):
    """The rendered lesson. `cards` follow the learner's items (steps and quizzes) in order;
    `sections` maps a heading's index in `lesson.headings` to the prose that starts with it."""

    DEFAULT_CSS = """
    LessonView {
        width: 1fr;
        height: 1fr;
        padding: 0 1 0 0;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
    }
    """

    FIRST_BLOCKS: ClassVar[int] = 8
    """Blocks mounted with the screen (about a screenful): the rest follow once the shells
    are up (`mount_rest()`), so the lesson and its prompt show sooner."""

    def __init__(
        self,
        learner: LearnerSession,
        *,
        lazy: bool = True,
        id: str | None = None,  # noqa: A002 - Textual's parameter name
    ) -> None:
        super().__init__(id=id)
        self.learner = learner
        self.sections: dict[int, Widget] = {}
        self.steps: dict[int, StepCard] = {}
        self.current = -1
        self.blocks = self._build()
        self._mounted = self.FIRST_BLOCKS if lazy else len(self.blocks)

    def _build(self) -> list[Widget]:
        learner = self.learner
        quizzes = {id(q): n for n, q in enumerate(learner.lesson.quizzes)}
        cards: dict[str, Card] = {}
        widgets: list[Widget] = []
        for block in lesson_blocks(learner.lesson):
            widget: Widget
            if isinstance(block, Prose):
                widget = ProseBlock(block.text, block.source)
                if block.heading is not None:
                    self.sections[block.heading] = widget
            elif isinstance(block, StepBlock):
                widget = self.steps[block.step.index] = StepCard(
                    block.step, record=learner.record(block.step)
                )
                cards[learner.key(block.step)] = widget
            elif isinstance(block, QuizBlock):
                from lab.tui.widgets.quiz_card import QuizCard  # its form widgets cost imports

                number = quizzes[id(block.quiz)]
                widget = QuizCard(block.quiz, number, learner.answer_of(block.quiz))
                cards[learner.key(block.quiz)] = widget
            widgets.append(widget)
        self.cards: list[Card] = [cards[key] for key, _ in learner.items]
        return widgets

    def compose(self) -> ComposeResult:
        yield from self.blocks[: self._mounted]

    async def mount_rest(self) -> None:
        """Mount the blocks left out of the first frame."""
        rest = self.blocks[self._mounted :]
        self._mounted = len(self.blocks)
        if rest:
            await self.mount_all(rest)

    def select(
        self, index: int, *, scroll: bool = True, animate: bool = True, center: bool = True
    ) -> Card | None:
        """Make item `index` the current one (highlighted) and bring it into view: centred,
        or scrolled only as far as needed (`center=False`, keeps what is above in view)."""
        if not self.cards:
            return None
        index = max(0, min(index, len(self.cards) - 1))
        if 0 <= self.current < len(self.cards):
            self.cards[self.current].set_current(False)
        self.current = index
        card = self.cards[index]
        card.set_current(True)
        if not card.is_mounted:
            return card  # the rest of the lesson is on its way: nothing to scroll to yet
        if scroll and center:
            self.scroll_to_center(card, animate=animate, origin_visible=True)
        elif scroll:
            self.scroll_to_widget(card, animate=animate)
        return card

    def index_of(self, card: Card) -> int:
        """Position of a card among the items."""
        return self.cards.index(card)

    def step_card(self, step_index: int) -> StepCard:
        """The card of step number `step_index` (0-based)."""
        return self.steps[step_index]

    def jump_to_section(self, heading: int) -> None:
        """Scroll a section's heading to the top, and select the first item after it."""
        widget = self.sections.get(heading)
        if widget is None or not widget.is_mounted:
            return
        self.scroll_to_widget(widget, top=True, animate=False)
        line = self.learner.lesson.headings[heading].line
        after = [n for n, (_, item) in enumerate(self.learner.items) if item.line > line]
        if after:
            self.select(after[0], scroll=False)
