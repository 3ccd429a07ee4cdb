"""The parser on one-feature fixture lessons."""

from __future__ import annotations

from lab.lesson.load import lint_file
from lab.lesson.model import Diagnostic, Lesson
from lab.lesson.parser import parse_text, read_lesson
from tests.conftest import fixture


def errors(name: str) -> list[str]:
    _, diags = lint_file(fixture(name))
    return [f"{d.line}: {d.message}" for d in diags if d.severity == "error"]


def warnings(name: str) -> list[str]:
    _, diags = lint_file(fixture(name))
    return [f"{d.line}: {d.message}" for d in diags if d.severity == "warning"]


def diagnosed(lesson: Lesson, severity: str) -> list[Diagnostic]:
    """What parsing found in a lesson, of one severity."""
    return [d for d in lesson.diagnostics if d.severity == severity]


def test_seed_lesson_has_seven_steps_on_terminal_one() -> None:
    lesson = read_lesson(fixture("seed-registry-part1.md"))
    assert len(lesson.steps) == 7
    assert {s.terminal for s in lesson.steps} == {1}
    assert [s.line for s in lesson.steps] == [63, 68, 87, 102, 111, 118, 123]
    assert lesson.title == "Docker registry for Linux Part 1"
    assert lesson.front_matter.terms == 1
    assert lesson.front_matter.tags == ("linux", "operations", "developer")


def test_seed_push_step_carries_expected_output_with_digest() -> None:
    lesson = read_lesson(fixture("seed-registry-part1.md"))
    push = [s for s in lesson.steps if "docker push" in s.command]
    assert push[0].expected_output is not None
    assert "latest: digest: sha256:79e0283988" in push[0].expected_output.text
    assert push[0].expected_output.line == 94
    # The second push in the lesson has no transcript after it.
    assert push[1].expected_output is None


def test_seed_vi_block_is_display_only() -> None:
    lesson = read_lesson(fixture("seed-registry-part1.md"))
    vi = [b for b in lesson.display_blocks if b.code.startswith("vi /etc/docker/docker")]
    assert len(vi) == 1
    assert not any("vi /etc" in s.command for s in lesson.steps)


def test_seed_sections() -> None:
    lesson = read_lesson(fixture("seed-registry-part1.md"))
    assert lesson.steps[0].section == (
        "Part 1 - Running a Registry Container in Linux",
        "Testing the Registry Image",
    )


def test_basic_step_keeps_exact_command_and_section() -> None:
    lesson = read_lesson(fixture("basic-step.md"))
    (step,) = lesson.steps
    assert step.command == "echo hello\n"
    assert step.terminal == 1 and step.line == 9
    assert step.section == ("Basics", "Say hello")
    assert step.expect_exit == 0


def test_multi_term() -> None:
    lesson = read_lesson(fixture("multi-term.md"))
    assert [s.terminal for s in lesson.steps] == [1, 2]
    assert lesson.front_matter.terms == 2
    assert warnings("multi-term.md") == []


def test_term_beyond_declared_terms_warns() -> None:
    assert warnings("term-beyond-terms.md") == [
        "6: step uses .term3 but the lesson declares terms: 2"
    ]


def test_term_out_of_range_is_an_error() -> None:
    assert errors("bad-term.md") == ["5: '.term7' is not a terminal: use .term1 to .term6"]


def test_expected_output_plain_and_console_fences() -> None:
    lesson = read_lesson(fixture("expected-output.md"))
    first, second = lesson.steps
    assert first.expected_output is not None and first.expected_output.text == "hello\n"
    assert second.expected_output is not None and second.expected_output.text == "a\nb\n"
    assert lesson.display_blocks == ()


def test_display_only_blocks() -> None:
    lesson = read_lesson(fixture("display-only.md"))
    assert [b.info for b in lesson.display_blocks] == ["", "json", ""]
    assert lesson.steps[0].expected_output is None


def test_step_options() -> None:
    lesson = read_lesson(fixture("step-options.md"))
    ask, bg, anyexit = lesson.steps
    assert ask.name == "ask"
    assert ask.timeout == 120
    assert ask.expect_exit == 3
    assert [(a.text, a.secret) for a in ask.answers] == [
        ("US", False),
        ("San Francisco", False),
        ("hunter2", True),
    ]
    assert [(c.name, c.pattern) for c in ask.captures] == [("WHO", r"name is (\w+)")]
    assert bg.background and not bg.infer and bg.timeout == 0.5
    assert anyexit.expect_exit is None
    assert errors("step-options.md") == [] and warnings("step-options.md") == []


def test_unknown_option_is_an_error_with_did_you_mean() -> None:
    assert errors("unknown-option.md") == ["5: unknown option 'timout'; did you mean 'timeout'?"]


def test_bad_option_values() -> None:
    assert errors("bad-option-value.md") == [
        "5: timeout must be a positive duration, not 'soon'",
        "5: exit must be 0-255 or 'any', not '999'",
    ]


def test_unterminated_fence() -> None:
    assert errors("unterminated-fence.md") == ["7: code fence opened here with ``` is never closed"]


def test_broken_yaml_names_the_line() -> None:
    (msg,) = errors("broken-yaml.md")
    assert msg.startswith("4: front matter is not valid YAML")


def test_unclosed_front_matter() -> None:
    assert errors("front-matter-unclosed.md") == [
        "1: front matter opened with '---' is never closed"
    ]


def test_quiz_single() -> None:
    (quiz,) = read_lesson(fixture("quiz-single.md")).quizzes
    assert quiz.kind == "single"
    assert quiz.question == "Which port does the registry listen on by default?"
    assert [(c.text, c.correct) for c in quiz.choices] == [
        ("80", False),
        ("5000", True),
        ("443", False),
    ]
    assert quiz.line == 5


def test_quiz_multiple_with_separate_question_paragraph() -> None:
    (quiz,) = read_lesson(fixture("quiz-multiple.md")).quizzes
    assert quiz.kind == "multiple"
    assert quiz.question == "Which of these name a registry?"
    assert [c.correct for c in quiz.choices] == [True, False, True]
    assert quiz.choices[0].text == "`127.0.0.1:5000/hello-world`"


def test_quiz_open() -> None:
    (quiz,) = read_lesson(fixture("quiz-open.md")).quizzes
    assert quiz.kind == "open" and quiz.choices == ()
    assert "writable layer" in quiz.explanation


def test_quiz_without_correct_answer_warns() -> None:
    assert warnings("quiz-no-correct.md") == ["5: quiz has no correct answer"]


def test_app_link() -> None:
    (link,) = read_lesson(fixture("app-link.md")).app_links
    assert (link.text, link.terminal, link.port, link.line) == ("the web page", 2, 8080, 10)


def test_check_blocks_attach_to_previous_step() -> None:
    (step,) = read_lesson(fixture("check-block.md")).steps
    assert [(c.terminal, c.name, c.timeout, c.line) for c in step.checks] == [
        (None, "data directory exists", None, 10),
        (2, None, None, 14),
        (1, None, 10.0, 18),
    ]
    assert step.checks[0].code == "test -d data\n"


def test_check_before_any_step_is_an_error() -> None:
    assert errors("check-before-step.md") == ["5: check block before any step"]


def test_hints() -> None:
    (step,) = read_lesson(fixture("hints.md")).steps
    assert step.hints == ("is the engine running? Try `docker info`.",)


def test_capture_unused_warns_and_used_does_not() -> None:
    assert warnings("capture-unused.md") == ["5: capture ID is never used"]
    assert warnings("capture-used.md") == []


def test_lab_settings() -> None:
    lab = read_lesson(fixture("lab-settings.md")).front_matter.lab
    assert (lab.estimate, lab.timeout, lab.order, lab.infer, lab.strict_output) == (
        15,
        90.0,
        3,
        False,
        True,
    )


def test_unknown_lab_setting_warns_with_did_you_mean() -> None:
    assert warnings("lab-unknown-setting.md") == [
        "4: unknown lab setting 'estimmate' (ignored); did you mean 'estimate'?"
    ]


def test_crlf_and_bom() -> None:
    lesson = read_lesson(fixture("crlf-bom.md"))
    assert lesson.title == "CRLF and BOM"
    assert lesson.steps[0].command == "echo crlf\n"
    assert lesson.steps[0].line == 5


def test_no_front_matter_uses_first_heading_as_title() -> None:
    lesson = read_lesson(fixture("no-front-matter.md"))
    assert lesson.title == "A lesson without front matter"
    assert lesson.front_matter.terms == 1


def test_tilde_fence_keeps_tab() -> None:
    (step,) = read_lesson(fixture("tilde-fence.md")).steps
    assert step.command == "printf 'a\\tb\\n'\n"


def test_non_utf8_file_names_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lab.errors import LessonError

    bad = tmp_path / "bad.md"
    bad.write_bytes(b"# ok\n\nline three \xff\n")
    try:
        read_lesson(bad)
    except LessonError as exc:
        assert exc.line == 3 and "UTF-8" in str(exc)
    else:
        raise AssertionError("expected LessonError")


def test_parse_text_in_memory() -> None:
    lesson = parse_text("```.term2 name=x\nls\n```\n", "mem.md")
    assert lesson.steps[0].terminal == 2 and lesson.steps[0].name == "x"


def test_a_closed_fence_inside_a_blockquote_is_closed() -> None:
    assert errors("fence-in-blockquote.md") == []
    lesson = read_lesson(fixture("fence-in-blockquote.md"))
    assert [(b.code, b.line) for b in lesson.display_blocks] == [("docker container ls --all\n", 7)]
    assert [s.command for s in lesson.steps] == ["echo after the quote\n"]


def test_an_unclosed_fence_inside_a_blockquote_is_still_reported() -> None:
    lesson = parse_text("> ```\n> echo hi\n\nafter\n", "q.md")
    assert [(d.line, d.message) for d in diagnosed(lesson, "error")] == [
        (1, "code fence opened here with ``` is never closed")
    ]


def test_a_quiz_inside_a_list_item_is_a_quiz() -> None:
    assert errors("quiz-in-list-item.md") == [] and warnings("quiz-in-list-item.md") == []
    lesson = read_lesson(fixture("quiz-in-list-item.md"))
    (quiz,) = lesson.quizzes
    assert quiz.question == "Which port does the registry listen on by default?"
    assert quiz.line == 13 and quiz.kind == "single"
    assert [(c.text, c.correct) for c in quiz.choices] == [("80", False), ("5000", True)]
    assert [s.command for s in lesson.steps] == ["echo registry\n"]


def test_a_quiz_in_a_list_item_without_choices_in_that_item_says_so() -> None:
    lesson = parse_text("1. {:.quiz}\n   Which port?\n\n- ( ) 80\n", "q.md")
    assert [(d.line, d.message) for d in diagnosed(lesson, "error")] == [(1, "quiz has no choices")]


def test_extra_words_after_the_terminal_are_a_warning() -> None:
    assert errors("term-extra-words.md") == []
    assert warnings("term-extra-words.md") == ["7: 'click to run' is not an option: ignored"]
    (step,) = read_lesson(fixture("term-extra-words.md")).steps
    assert step.terminal == 1 and step.command == "echo hi\n"


def test_a_bare_word_close_to_a_flag_says_which() -> None:
    lesson = parse_text("```.term1 backgroud name=x\nsleep 1\n```\n", "b.md")
    assert diagnosed(lesson, "error") == []
    (warning,) = diagnosed(lesson, "warning")
    assert warning.message == "'backgroud' is not an option: ignored (did you mean 'background'?)"
    assert lesson.steps[0].name == "x" and not lesson.steps[0].background


def test_quiz_choices_written_as_lines_of_the_question() -> None:
    assert errors("quiz-choices-without-list.md") == []
    (quiz,) = read_lesson(fixture("quiz-choices-without-list.md")).quizzes
    assert quiz.question == "True or False: a registry runs only on port 5000"
    assert [(c.text, c.correct) for c in quiz.choices] == [("True", False), ("False", True)]


def test_a_repeated_quiz_marker_is_not_part_of_the_question() -> None:
    assert errors("quiz-repeated-marker.md") == []
    (quiz,) = read_lesson(fixture("quiz-repeated-marker.md")).quizzes
    assert quiz.question == "Which command lists running containers?"
    assert [c.correct for c in quiz.choices] == [True, False]


def test_a_closing_fence_outdented_out_of_its_list_item_is_named() -> None:
    assert errors("fence-close-outdented.md") == [
        "7: code fence opened here with ``` is never closed: the ``` on line 9 is indented "
        "less than the opening fence, so it ends the list item instead of the block"
    ]


def test_escaped_quiz_markers_are_markers() -> None:
    assert errors("quiz-escaped-markers.md") == []
    (quiz,) = read_lesson(fixture("quiz-escaped-markers.md")).quizzes
    assert quiz.kind == "multiple"
    assert [(c.text, c.correct) for c in quiz.choices] == [
        ("be deployed from the command line", True),
        ("run a Dockerfile", False),
    ]


ERROR_TRANSCRIPTS = """\
---
title: Errors the author shows
---

```.term1
docker pull 127.0.0.1:5000/hello-world
```
```
Using default tag: latest
Error response from daemon: Get https://127.0.0.1:5000/v2/: no basic auth credentials
```

```.term1 exit=1
docker rm nothing
```
```
Error: No such container: nothing
```

```.term1
docker ps
```
```
CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES
```

```.term1
docker run --rm alpine echo
```
Nothing is shown when a fence is not right after the step:

    Error: not a transcript
"""


def test_a_transcript_showing_docker_s_error_accepts_any_exit_status() -> None:
    """PWD posts show a command failing by its transcript (`Error response from daemon: ...`);
    such a step runs unchanged. An explicit exit= wins; other transcripts expect success."""
    lesson = parse_text(ERROR_TRANSCRIPTS, "errors.md")
    assert [s.expect_exit for s in lesson.steps] == [None, 1, 0, 0]
