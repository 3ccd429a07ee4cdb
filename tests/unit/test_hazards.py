"""Commands that act beyond a lesson's own objects, found from the text alone."""

from __future__ import annotations

import pytest

from lab.lesson.hazards import command_hazards, lesson_hazards
from lab.lesson.load import load_lesson
from tests.conftest import FIXTURES, run_lab

HAZARD = FIXTURES / "hazard-mass-removal.md"


@pytest.mark.parametrize(
    ("command", "what"),
    [
        # the public Play with Docker posts' own lines
        ("docker container rm $(docker container ls -aq)", "removes every container"),
        ("docker image rm $(docker image ls -q)", "removes every image"),
        ("docker container rm --force $(docker container ls --quiet)", "removes every container"),
        ("pkill dockerd", "stops the Docker engine"),
        ("dockerd > /dev/null 2>&1 &", "starts a second Docker daemon"),
        # and their relatives
        ("docker rm -f `docker ps -aq`", "removes every container"),
        ("docker ps -aq | xargs docker rm -f", "removes every container"),
        ("docker volume rm $(docker volume ls -q)", "removes every volume"),
        ("sudo docker system prune -af", "every unused container, network, image"),
        ("docker network prune -f", "every unused network"),
        ("killall dockerd", "stops the Docker engine"),
        ("kill $(pidof dockerd)", "stops the Docker engine"),
        ("kill $(cat /var/run/docker.pid)", "stops the Docker engine"),
        ("service docker restart", "restarts the Docker engine service"),
        ("sudo systemctl stop docker", "stops the Docker engine service"),
        ("docker swarm init --advertise-addr $(hostname -i)", "swarm membership"),
        ("rm -rf /var/lib/docker", "removes the engine's data"),
    ],
)
def test_hazardous_commands_are_found(command: str, what: str) -> None:
    [(index, text, found)] = command_hazards(command)
    assert (index, text) == (0, command)
    assert what in found


@pytest.mark.parametrize(
    "command",
    [
        "docker rm -f registry",
        "docker container ls -aq",
        "docker rmi hello-world $(echo 127.0.0.1:5000/hello-world)",
        'kill -HUP "$(cat /var/run/docker.pid)"',  # reload: the engine keeps running
        "ls /var/lib/docker/volumes/html/_data",
        "echo 'pkill dockerd'  # only says it",
        "# docker system prune -af",
        "docker run -d --name dockerd-demo registry:2",
    ],
)
def test_commands_on_the_lessons_own_objects_are_not(command: str) -> None:
    assert command_hazards(command) == []


def test_hazards_carry_the_line_in_the_lesson_file() -> None:
    [hazard] = lesson_hazards(load_lesson(HAZARD))
    assert (hazard.path, hazard.line) == (str(HAZARD), 12)
    assert str(hazard).startswith(f"{HAZARD}:12: `docker container rm -f $(docker container ls")


def test_the_bundled_course_has_none_outside_sandbox_lessons() -> None:
    from lab.lesson.course import course

    for entry in course():
        assert entry.lesson is not None
        if not entry.lesson.front_matter.lab.sandbox:
            assert lesson_hazards(entry.lesson) == [], entry.path


def test_lint_warns_with_the_line_and_the_fix() -> None:
    r = run_lab("lint", str(HAZARD))
    assert r.status == 0  # a valid lesson: a warning, not an error
    assert f"{HAZARD}:12: warning: `docker container rm -f $(docker container ls -aq)`" in r.stdout
    assert "removes every container on the engine, not only the lesson's" in r.stdout
    assert "lab run --sandbox LESSON" in r.stdout


def test_run_and_open_refuse_it_on_the_host_before_anything_runs() -> None:
    for command in ("run", "open"):
        r = run_lab(command, str(HAZARD))
        assert r.status == 3, (command, r.stdout, r.stderr)
        assert f"{HAZARD}:12: `docker container rm -f $(docker container ls -aq)`" in r.stderr
        assert "--sandbox" in r.stderr and "--allow-engine-wide-changes" in r.stderr
        assert "Traceback" not in r.stderr
        assert "PASSED" not in r.stdout and "ok " not in r.stdout
