"""What is in a lesson's way when it opens (containers with its names or ports), as a dialog:
another lesson's session made it (reset that session?), or something lab did not make."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lab.tui.screens.problem import ProblemScreen

if TYPE_CHECKING:
    from lab.hoststate.clashes import Clash


def owners(found: Sequence[Clash]) -> list[str]:
    """The lessons whose lab sessions made what is in the way."""
    return sorted({c.owner.lesson for c in found if c.owner is not None})


def clash_dialog(found: Sequence[Clash]) -> ProblemScreen:
    """The dialog: with owners, it dismisses with "reset" or "keep"; else it only tells."""
    lines = [
        f"This lesson makes containers with these names or ports, and {len(found)} already exist:\n"
    ]
    for clash in found:
        whose = clash.describe() or "it was not made by lab"
        lines.append(f"• container '{clash.container}' ({clash.what}): {whose}")
    lessons = owners(found)
    if not lessons:
        lines.append(
            "\nRemove it yourself if you no longer need it (`docker rm -f NAME` in the "
            "terminal): lab never removes what it did not make."
        )
        return ProblemScreen("Something is in the way", "\n".join(lines))
    lines.append(
        f"\nReset {', '.join(lessons)}? That removes only what its session made (by ID) and "
        "its progress. Keep it, and this lesson's steps that need the name or port will fail."
    )
    buttons = (("reset", "Reset that lesson"), ("keep", "Keep it"))
    return ProblemScreen("Another lesson is in the way", "\n".join(lines), buttons=buttons)
