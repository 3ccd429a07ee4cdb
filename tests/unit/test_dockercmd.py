"""Reading what shell commands do to Docker."""

from __future__ import annotations

from lab.lesson.actions import (
    DockerPull,
    DockerPush,
    DockerRm,
    DockerRmi,
    DockerRun,
    DockerStop,
    DockerTag,
    MakeDirs,
    Port,
)
from lab.lesson.commands import container_id, pull_digest, push_digests, read_commands
from lab.lesson.parser import read_lesson
from tests.conftest import fixture


def test_seed_lesson_actions() -> None:
    lesson = read_lesson(fixture("seed-registry-part1.md"))
    actions = [a for s in lesson.steps for a in read_commands(s.command).actions]
    assert actions == [
        DockerRun("registry:2", "registry", True, False, (Port(5000, 5000),)),
        DockerPull("hello-world"),
        DockerTag("hello-world", "127.0.0.1:5000/hello-world"),
        DockerPush("127.0.0.1:5000/hello-world"),
        DockerRmi(("127.0.0.1:5000/hello-world",)),
        DockerRmi(("hello-world",)),
        DockerPull("127.0.0.1:5000/hello-world"),
        DockerStop(("registry",), "kill"),
        DockerRm(("registry",)),
        MakeDirs(("registry-data",)),
        DockerRun(
            "registry",
            "registry",
            True,
            False,
            (Port(5000, 5000),),
            ("$(pwd)/registry-data",),
        ),
        DockerPull("hello-world"),
        DockerTag("hello-world", "127.0.0.1:5000/hello-world"),
        DockerPush("127.0.0.1:5000/hello-world"),
    ]


def test_run_flag_forms() -> None:
    (run,) = read_commands(
        "sudo docker run -itd --rm -p127.0.0.1:8080:80/udp --publish=9000 "
        "-e A=1 --name=web --network x nginx:1.25 nginx -g 'daemon off;'"
    ).actions
    assert run == DockerRun(
        "nginx:1.25",
        "web",
        True,
        True,
        (Port(80, 8080, "127.0.0.1", "udp"), Port(9000, None)),
    )


def test_container_subcommands_and_chains() -> None:
    actions = list(
        read_commands(
            "docker container run -d alpine sleep 1 && docker container rm -f a b; "
            "docker image rm x | cat\ndocker stop c # comment"
        ).actions
    )
    assert actions == [
        DockerRun("alpine", None, True, False),
        DockerRm(("a", "b"), force=True),
        DockerRmi(("x",)),
        DockerStop(("c",), "stop"),
    ]


def test_continuation_lines() -> None:
    (run,) = read_commands("docker run -d \\\n  --name reg \\\n  registry:2\n").actions
    assert run.name == "reg" and run.image == "registry:2"


def test_unparseable_lines_are_skipped() -> None:
    assert read_commands("echo 'unterminated\ncat <<EOF\nhello\nEOF").actions == ()


def test_push_all_tags_not_inferred() -> None:
    assert read_commands("docker push --all-tags r/x").actions == ()


def test_output_readers() -> None:
    digest = "sha256:" + "a" * 64
    push = f"The push refers to repository [x]\nlatest: digest: {digest} size: 528\n"
    assert push_digests(push) == [("latest", digest)]
    assert pull_digest(f"latest: Pulling from library/hello-world\nDigest: {digest}\n") == digest
    assert container_id("b" * 64 + "\n") == "b" * 64
    assert container_id("Unable to find image\n") is None


def test_cd_is_noted() -> None:
    from lab.lesson.actions import ChangeDir

    assert read_commands("mkdir a && cd a && mkdir b").actions == (
        MakeDirs(("a",)),
        ChangeDir(),
        MakeDirs(("b",)),
    )
