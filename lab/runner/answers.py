"""Answering interactive prompts: from a step's answers, or from its expected-output transcript."""

from __future__ import annotations

from collections.abc import Callable

from lab.lesson.model import Answer, Step

Answerer = Callable[[str, bool], "str | None"]


class StepAnswerer:
    """Replies to a step's prompts in order, remembering which answers were secret.

    With no `answer=`/`secret=` options, the expected-output block is read as a transcript:
    a line that begins with the prompt text carries the author's reply after it
    (`Country Name (2 letter code) [AU]:US` answers the openssl prompt with `US`).
    """

    def __init__(self, step: Step) -> None:
        self._answers: list[Answer] = list(step.answers)
        self._transcript: list[str] = []
        if not self._answers and step.expected_output is not None:
            self._transcript = step.expected_output.text.splitlines()
        self.given: list[Answer] = []
        """Answers typed so far."""

    @property
    def secrets(self) -> list[str]:
        """Texts that must never be shown."""
        return [a.text for a in [*self._answers, *self.given] if a.secret and a.text]

    def __call__(self, prompt: str, echo_off: bool) -> str | None:
        """The reply to `prompt`, or None when there is none."""
        if self._answers:
            answer = self._answers.pop(0)
        else:
            reply = self._from_transcript(prompt)
            if reply is None:
                return None
            answer = Answer(reply, secret=echo_off)
        if echo_off and not answer.secret:
            answer = Answer(answer.text, secret=True)
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
