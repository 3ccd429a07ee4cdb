"""Which images a lesson needs, from its text alone (what `lab bundle` carries, what `lab doctor`
checks), and which commands leave their image unknown."""

from __future__ import annotations

from lab.lesson.actions import ComposeUp, DockerBuild, DockerCreate, ImageMade, ServiceCreate
from lab.lesson.commands import read_commands
from lab.lesson.images import compose_images, dockerfile_images, lesson_images
from lab.lesson.load import load_lesson
from lab.lesson.needs import lesson_needs
from lab.lesson.written import Written, written_files
from tests.conftest import ROOT, fixture


def test_every_way_a_lesson_names_an_image() -> None:
    found = lesson_images(load_lesson(fixture("images-from-steps.md")))
    assert [(u.ref, u.how) for u in found.images] == [
        ("busybox:1.36", "docker create"),
        ("nginx:1.25", "docker service create"),
        ("python:3.12-slim", "FROM in the Dockerfile"),  # the stages are not images
        ("debian:bookworm", "FROM in the Dockerfile"),  # COPY --from=nginx:1.25: had already
        ("golang:1.22", "FROM in the Dockerfile"),  # printf … | docker build -
        ("redis:7", "image in the compose file"),
        ("postgres:16", "expected output"),
    ]
    assert found.unknown == ()
    # myapp and gotest are built, me/busybox is tagged: the lesson makes them; the lesson's own
    # registries (loopback, an address in a variable, a host with a port) are not bundled
    assert [u.line for u in found.images] == [7, 7, 15, 15, 31, 37, 53]


def test_doctor_checks_the_same_images() -> None:
    lesson = load_lesson(fixture("images-from-steps.md"))
    assert lesson_needs(lesson).images == lesson_images(lesson).refs


def test_commands_whose_image_is_not_told_are_reported_with_why() -> None:
    found = lesson_images(load_lesson(fixture("images-unknown.md")))
    assert found.images == ()
    assert [str(u) for u in found.unknown] == [
        "line 5: `docker run $IMAGE`: the image is named by a variable",
        "line 10: `docker build .`: its Dockerfile (./Dockerfile) is not written by the "
        "lesson's steps",
        "line 15: `docker build .`: FROM $BASE: the image is set by a build argument",
        "line 21: `docker compose`: its compose file (compose.yaml, compose.yml, "
        "docker-compose.yml, docker-compose.yaml) is not written by the lesson's steps",
    ]


def test_a_dockerfile_the_lesson_shows_the_learner() -> None:
    """Play with Docker posts show the Dockerfile to write by hand, then build it."""
    found = lesson_images(load_lesson(fixture("images-shown-dockerfile.md")))
    assert [(u.ref, u.line, u.how) for u in found.images] == [
        ("alpine:3.19", 7, "FROM in the Dockerfile shown")
    ]


def test_the_course_needs_registry_and_hello_world_only() -> None:
    for path in sorted((ROOT / "lessons").glob("*.md")):
        found = lesson_images(load_lesson(path))
        assert found.refs == ("registry:2", "hello-world:latest"), path
        assert found.unknown == (), path


def test_dockerfile_images() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG BASE=alpine\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n"
        "COPY --from=0 /x /x\n"
        "from \\\n  busybox:1.36\n"
        "FROM ${BASE}\n"
    )
    assert dockerfile_images(text) == (
        ["golang:1.22", "busybox:1.36"],
        ["FROM ${BASE}: the image is set by a build argument"],
    )


def test_compose_images() -> None:
    text = "services:\n  db:\n    image: postgres:16\n  app:\n    build: .\n"
    assert compose_images(text) == ["postgres:16"]
    assert compose_images("not: [yaml") == []
    assert compose_images("- a list") == []


def test_new_docker_commands_are_read() -> None:
    block = (
        "docker container create --name c -p 80:80 alpine:3.19 sh\n"
        "docker service create --replicas 2 --name web --publish 80:80 nginx:1.25 nginx -g x\n"
        "docker buildx build --build-arg A=1 -f app/Containerfile -t a:1 --tag b app\n"
        "docker commit -m 'a message' c1 me/snap:1\n"
        "docker import -c 'CMD [\"/hello\"]' rootfs.tar me/imported\n"
        "docker-compose -f one.yml -f two.yml --project-name x up -d\n"
        "docker stack deploy --compose-file stack.yml app\n"
        "docker compose ps\n"
    )
    assert read_commands(block).actions == (
        DockerCreate("alpine:3.19", "c"),
        ServiceCreate("nginx:1.25", "web"),
        DockerBuild(("a:1", "b"), "app/Containerfile", "app"),
        ImageMade("me/snap:1"),
        ImageMade("me/imported"),
        ComposeUp(("one.yml", "two.yml")),
        ComposeUp(("stack.yml",)),
    )


def test_here_documents_and_echo_write_files() -> None:
    block = (
        "cat <<-'EOF' > app/Dockerfile\n"
        "\tFROM alpine\n"
        "\tEOF\n"
        "tee -a notes.txt <<EOF\n"
        "one\n"
        "EOF\n"
        "echo -e 'FROM busybox\\nRUN true' > Dockerfile\n"
        "echo 'RUN false' >> Dockerfile\n"
        "docker build -t x - <<END\n"
        "FROM debian\n"
        "END\n"
        "printf 'FROM %s\\n' ubuntu | docker build -\n"
        "cat <<< 'not a here-document' > x\n"
    )
    assert written_files(block) == [
        Written("FROM alpine\n", 0, path="app/Dockerfile"),
        Written("one\n", 3, path="notes.txt", append=True),
        Written("FROM busybox\nRUN true\n", 6, path="Dockerfile"),
        Written("RUN false\n", 7, path="Dockerfile", append=True),
        Written("FROM debian\n", 8, into="docker build -t x -"),
        Written("FROM ubuntu\n", 11, into="docker build -"),
    ]
