"""Answering prompts: `secret=` values at password prompts, `answer=` values at visible ones,
and the expected-output transcript for whatever the step does not answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lab.lesson.model import Answer, ExpectedOutput, Step
from lab.lesson.overlay import read_overlay
from lab.lesson.parser import read_lesson
from lab.runner.answers import StepAnswerer
from tests.conftest import pwd_post

VISIBLE, HIDDEN = False, True
"""The second argument of an answerer call: is the terminal's echo off at the prompt?"""


def step(**kw: object) -> Step:
    return Step(index=0, terminal=1, command="x\n", line=1, **kw)  # type: ignore[arg-type]


def test_each_kind_goes_to_its_own_prompts_in_order() -> None:
    a = StepAnswerer(
        step(
            answers=(
                Answer("pw1", secret=True),
                Answer("Ada"),
                Answer("pw2", secret=True),
                Answer("Lovelace"),
            )
        )
    )
    assert a("Password:", HIDDEN) == "pw1"
    assert a("First name:", VISIBLE) == "Ada"
    assert a("Last name:", VISIBLE) == "Lovelace"
    assert a("Again:", HIDDEN) == "pw2"
    assert a("More:", VISIBLE) is None and a("Another password:", HIDDEN) is None
    assert a.secrets == ["pw1", "pw2"]
    assert [(g.text, g.secret) for g in a.given] == [
        ("pw1", True),
        ("Ada", False),
        ("Lovelace", False),
        ("pw2", True),
    ]


def test_an_answer_is_never_typed_at_a_password_prompt_nor_a_secret_shown() -> None:
    a = StepAnswerer(step(answers=(Answer("moby"),)))
    assert a("Password:", HIDDEN) is None, "answer= is for visible prompts"
    assert a("Username:", VISIBLE) == "moby"
    b = StepAnswerer(step(answers=(Answer("s3cret", secret=True),)))
    assert b("Username:", VISIBLE) is None, "a secret is never typed where it would show"
    assert b.secrets == ["s3cret"], "known secret: redacted even before it is typed"


def test_transcript_gives_replies_including_empty_ones() -> None:
    transcript = (
        "Generating a RSA private key\n"
        "Country Name (2 letter code) [AU]:US\n"
        "State or Province Name (full name) [Some-State]:\n"
        "Common Name (e.g. server FQDN or YOUR name) []:registry.local\n"
    )
    a = StepAnswerer(step(expected_output=ExpectedOutput(transcript, 5)))
    assert a("Country Name (2 letter code) [AU]:", VISIBLE) == "US"
    assert a("State or Province Name (full name) [Some-State]:", VISIBLE) == ""
    assert a("Common Name (e.g. server FQDN or YOUR name) []:", VISIBLE) == "registry.local"
    assert a("Email Address []:", VISIBLE) is None


def test_explicit_answers_win_over_transcript() -> None:
    a = StepAnswerer(step(answers=(Answer("x"),), expected_output=ExpectedOutput("Name: y\n", 3)))
    assert a("Name:", VISIBLE) == "x"


def test_a_transcript_never_answers_a_password_prompt() -> None:
    """What was typed with echo off is not in a transcript: `Password:` alone is no reply."""
    a = StepAnswerer(step(expected_output=ExpectedOutput("Username: moby\nPassword:\n", 3)))
    assert a("Username:", VISIBLE) == "moby"
    assert a("Password:", HIDDEN) is None, "unanswered: the step fails at once"


def test_pwd_docker_login_with_only_a_secret_added(tmp_path: Path) -> None:
    """PWD's registry part 2 logs in with `docker login 127.0.0.1:5000` and shows the
    transcript `Username: moby` / `Password:`. An overlay adds only the password: the
    transcript still answers the username, the secret goes to the password prompt."""
    lesson = read_lesson(pwd_post("2017-02-27-linux-registry-part2.markdown"))
    overlay = tmp_path / "part2.lab.yml"
    overlay.write_text("steps:\n  - match: docker login\n    secret: gordon\n")
    lesson, problems = read_overlay(lesson, overlay)
    assert problems == []
    (login,) = [s for s in lesson.steps if s.command.startswith("docker login")]
    assert login.expected_output is not None
    assert login.expected_output.text.startswith("Username: moby\nPassword:\n")
    a = StepAnswerer(login)
    assert a("Username: ", VISIBLE) == "moby"
    assert a("Password: ", HIDDEN) == "gordon"
    assert a.secrets == ["gordon"]
    assert [(g.text, g.secret) for g in a.given] == [("moby", False), ("gordon", True)]

    without = StepAnswerer(replace(login, answers=()))
    assert without("Username: ", VISIBLE) == "moby"
    assert without("Password: ", HIDDEN) is None, "no secret: fails fast, never types ''"
