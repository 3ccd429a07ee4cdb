"""The app an attendee's browser drives: `python -m lab.serve.attendee`, started by the room
for each connection, with the attendee's seat, lessons and state directory in its environment
(lab.serve.handoff). It is lab's own Textual app, run by Textual's web driver."""

from __future__ import annotations

import sys

from lab.errors import LabError
from lab.lesson.load import load_lesson
from lab.serve.handoff import Handoff


def preload() -> None:
    """Import what the app needs before its first frame (lab.serve.zygote does it once)."""
    import lab.runner
    import lab.sandbox
    import lab.tui.app
    import lab.tui.screens.picker  # noqa: F401


def main() -> int:
    """Run the course picker (or the room's one lesson) on the attendee's seat."""
    from lab.tui.app import LabApp

    handoff = Handoff.from_environment()
    lessons = list(handoff.lessons)
    try:
        single = load_lesson(lessons[0]) if len(lessons) == 1 and lessons[0].is_file() else None
    except LabError:
        single = None  # the picker says why it cannot be opened
    app = LabApp(lesson=single, course=None if single else lessons, seat=handoff.seat)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
