"""Answering interactive prompts: from a step's answers, or from its expected-output transcript."""

from __future__ import annotations

from collections.abc import Callable

from lab.lesson.model import Answer, Step

Answerer = Callable[[str, bool], "str | None"]


class StepAnswerer:
    """Replies to a step's prompts: `secret=` values to prompts with echo off (passwords),
    `answer=` values to visible ones, each kind in order.

    A prompt the step's options do not answer is answered from the expected-output block,
    read as a transcript: a line that begins with the prompt text carries the author's reply
    after it (`Country Name (2 letter code) [AU]:US` answers the openssl prompt with `US`;
    `Username: moby` answers `docker login`'s first prompt). A transcript cannot show what
    was typed with echo off, so it never answers a password prompt: that prompt needs a
    `secret=` and stays unanswered (the step fails at once) without one.
    """

    def __init__(self, step: Step) -> None:
        self._visible: list[Answer] = [a for a in step.answers if not a.secret]
        self._hidden: list[Answer] = [a for a in step.answers if a.secret]
        self._secrets = [a.text for a in self._hidden if a.text]
        self._transcript: list[str] = []
        if step.expected_output is not None:
            self._transcript = step.expected_output.text.splitlines()
        self.given: list[Answer] = []
        """Answers typed so far."""

    @property
    def secrets(self) -> list[str]:
        """Texts that must never be shown."""
        typed = [a.text for a in self.given if a.secret and a.text]
        return [*self._secrets, *(t for t in typed if t not in self._secrets)]

    def __call__(self, prompt: str, echo_off: bool) -> str | None:
        """The reply to `prompt`, or None when there is none."""
        recorded = self._from_transcript(prompt)  # read past it, whoever answers
        queue = self._hidden if echo_off else self._visible
        if queue:
            answer = queue.pop(0)
        elif recorded is None or echo_off:
            return None
        else:
            answer = Answer(recorded, secret=echo_off)
        self.given.append(answer)
        return answer.text

    def _from_transcript(self, prompt: str) -> str | None:
        wanted = prompt.strip()
        if not wanted:
            return None
        for i, line in enumerate(self._transcript):
            if line.strip().startswith(wanted):
                del self._transcript[: i + 1]
                return line.strip()[len(wanted) :].strip()
        return None
