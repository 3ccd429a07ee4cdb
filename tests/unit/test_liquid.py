"""Jekyll's Liquid in lessons: string outputs and raw blocks resolved as Jekyll does, other
Liquid kept as written with a lint warning where lab runs or compares it."""

from __future__ import annotations

from lab.lesson.liquid import LiquidMark, render
from lab.lesson.load import lint_file
from lab.lesson.parser import parse_text
from tests.conftest import fixture, pwd_post


def test_a_string_output_prints_the_string_and_the_rest_stays() -> None:
    """Liquid ends an output at its first `}`: `{{ "{{ x "}}}}` is `{{ x ` then `}}`."""
    assert (
        render('-f "{{ "{{ json .GraphDriver "}}}}" c1').text == '-f "{{ json .GraphDriver }}" c1'
    )
    assert render("{{ '{{' }} .Id }}").text == "{{ .Id }}"
    assert render('{{-"a"-}}').text == "a"


def test_raw_blocks_are_verbatim_and_keep_the_lines() -> None:
    text = "a\n{% raw %}\n{{ .Name }} {% if x %}\n{% endraw %}\nb {%raw%}{{x}}{%endraw%}\n"
    out = render(text)
    assert out.text == "a\n\n{{ .Name }} {% if x %}\n\nb {{x}}\n"
    assert out.left == ()
    assert out.text.count("\n") == text.count("\n")


def test_other_liquid_is_kept_and_listed_with_its_line() -> None:
    out = render("x\n![p]({{ site.baseurl }}/p.png)\n{% include a.html %} {{ '}}' }}\n")
    assert out.text == "x\n![p]({{ site.baseurl }}/p.png)\n{% include a.html %} {{ '}}' }}\n"
    assert out.left == (
        LiquidMark(2, "{{ site.baseurl }}"),
        LiquidMark(3, "{% include a.html %}"),
        LiquidMark(3, "{{ '}}"),  # Liquid cuts the output at the first }, as Jekyll does
    )


def test_a_raw_never_closed_is_kept_and_listed() -> None:
    out = render("a\n{% raw %}\n{{ x }}\n")
    assert out.text == "a\n{% raw %}\n{{ x }}\n"
    assert out.left == (LiquidMark(2, "{% raw %}", unclosed_raw=True), LiquidMark(3, "{{ x }}"))


def test_steps_and_expected_output_get_what_jekyll_showed() -> None:
    lesson, diags = lint_file(fixture("liquid-string-output.md"))
    assert lesson is not None and diags == []
    (step,) = lesson.steps
    assert step.command == 'docker container inspect -f "{{ json .Mounts }}" c1\n'
    assert step.line == 7
    assert step.expected_output is not None
    assert step.expected_output.text == "{{ json .Mounts }}\n"
    assert [b.code for b in lesson.display_blocks] == ['docker inspect -f "{{ .Id }}" c1\n']
    assert "Shown, never run: `{{ .Id }}`" in lesson.source


def test_raw_blocks_in_and_around_steps() -> None:
    lesson, diags = lint_file(fixture("liquid-raw.md"))
    assert lesson is not None and diags == []
    assert [(s.command, s.line) for s in lesson.steps] == [
        ("docker info --format '{{json .RegistryConfig.Mirrors}}'\n", 6),
        ("docker inspect --format '{{.Name}}' c1\n", 11),
    ]
    assert "{% raw %}" not in lesson.source


def test_other_liquid_warns_only_where_lab_runs_or_compares_it() -> None:
    lesson, diags = lint_file(fixture("liquid-other.md"))
    assert lesson is not None
    assert lesson.steps[0].command == "docker ps --format '{{.Names}}'\n"
    assert [(d.line, d.severity, d.message) for d in diags] == [
        (
            8,
            "warning",
            "Liquid '{{.Names}}' is kept as written here, but Jekyll (Play with Docker) "
            "would replace it",
        ),
        (
            12,
            "warning",
            "Liquid '{% if page.terms %}' is kept as written here, but Jekyll (Play with "
            "Docker) would replace it",
        ),
        (
            12,
            "warning",
            "Liquid '{% endif %}' is kept as written here, but Jekyll (Play with Docker) "
            "would replace it",
        ),
    ], "the picture's {{ site.baseurl }} (prose) is not reported"
    assert all(d.hint and "{% raw %}" in d.hint for d in diags)


def test_an_unclosed_raw_is_a_warning_not_a_refusal() -> None:
    lesson, diags = lint_file(fixture("liquid-unclosed-raw.md"))
    assert lesson is not None and lesson.steps
    assert [(d.line, d.severity) for d in diags] == [(5, "warning"), (8, "warning")]
    assert "{% raw %} is never closed" in diags[0].message


def test_liquid_in_the_front_matter_is_left_to_yaml() -> None:
    """Jekyll reads the front matter as YAML only; Liquid runs on the body."""
    lesson = parse_text('---\ntitle: \'{{ "a" }}\'\n---\n\n{{ "b" }}\n', "t.md")
    assert lesson.front_matter.title == '{{ "a" }}'
    assert lesson.source == "---\ntitle: '{{ \"a\" }}'\n---\n\nb\n"


def test_pwd_docker_volumes_steps_are_what_pwd_sent() -> None:
    lesson, diags = lint_file(pwd_post("2017-01-25-docker-volumes.markdown"))
    assert lesson is not None
    assert not [d for d in diags if "Liquid" in d.message]
    inspect = [s.command for s in lesson.steps if "inspect -f" in s.command]
    assert inspect == [
        'docker container inspect -f "{{ json .GraphDriver }}" c1 | jq\n',
        'docker container inspect -f "{{ json .Mounts }}"  c2 | jq\n',
        'docker container inspect -f "{{ json .Mounts }}" c3 | jq\n',
    ]
