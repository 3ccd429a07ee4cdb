"""Answering prompts from step options or from the expected-output transcript."""

from __future__ import annotations

from lab.lesson.model import Answer, ExpectedOutput, Step
from lab.runner.answers import StepAnswerer


def step(**kw: object) -> Step:
    return Step(index=0, terminal=1, command="x\n", line=1, **kw)  # type: ignore[arg-type]


def test_answers_in_order_and_secret_tracking() -> None:
    a = StepAnswerer(step(answers=(Answer("US"), Answer("pw", secret=True))))
    assert a("Country:", False) == "US"
    assert a("Password:", True) == "pw"
    assert a("More:", False) is None
    assert a.secrets == ["pw"]


def test_echo_off_makes_an_answer_secret() -> None:
    a = StepAnswerer(step(answers=(Answer("typed"),)))
    assert a("Password:", True) == "typed"
    assert a.secrets == ["typed"]


def test_transcript_gives_replies_including_empty_ones() -> None:
    transcript = (
        "Generating a RSA private key\n"
        "Country Name (2 letter code) [AU]:US\n"
        "State or Province Name (full name) [Some-State]:\n"
        "Common Name (e.g. server FQDN or YOUR name) []:registry.local\n"
    )
    a = StepAnswerer(step(expected_output=ExpectedOutput(transcript, 5)))
    assert a("Country Name (2 letter code) [AU]:", False) == "US"
    assert a("State or Province Name (full name) [Some-State]:", False) == ""
    assert a("Common Name (e.g. server FQDN or YOUR name) []:", False) == "registry.local"
    assert a("Email Address []:", False) is None


def test_explicit_answers_win_over_transcript() -> None:
    a = StepAnswerer(step(answers=(Answer("x"),), expected_output=ExpectedOutput("Name: y\n", 3)))
    assert a("Name:", False) == "x"
