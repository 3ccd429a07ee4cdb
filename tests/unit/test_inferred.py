"""Inferred checks: which checks a step's commands and output lead to (no engine needed)."""

from __future__ import annotations

from pathlib import Path

from lab.runner.inferred import expand, expand_known, explain_failure, infer_checks

DIGEST = "sha256:" + "c" * 64


def labels(command: str, output: str = "", **variables: str) -> list[str]:
    found = infer_checks(
        command, output, cwd=Path("/tmp"), engine=lambda: None, variables=variables
    )
    return [c.label for c in found]


def test_push_pull_run_labels_use_printed_digests() -> None:
    out = f"latest: digest: {DIGEST} size: 524\nDigest: {DIGEST}\n"
    assert labels("docker push r:5000/x\ndocker pull r:5000/y", out) == [
        f"registry serves r:5000/x:latest as {DIGEST}",
        f"image r:5000/y:latest is present with {DIGEST}",
    ]


def test_final_state_wins() -> None:
    assert labels("docker rmi a\ndocker pull a") == ["image a:latest is present"]
    assert labels("docker run -d --name n -p 80:80 img\ndocker rm -f n") == ["container n is gone"]


def test_variables_expand_or_the_name_is_skipped() -> None:
    assert labels('docker push "$HOST:5443/x"', HOST="10.0.0.1") == [
        "registry serves 10.0.0.1:5443/x:latest"
    ]
    assert labels('docker push "$UNKNOWN/x"') == []
    assert labels("docker run -d --name r -v $(pwd)/d:/d img") == ["container r is running"]


def test_mkdir_after_cd_is_not_guessed() -> None:
    assert labels("mkdir a && cd a && mkdir b") == ["directory a exists"]


def test_expand_helpers() -> None:
    assert expand("${A}-$B", {"A": "1", "B": "2"}) == "1-2"
    assert expand("$A $(pwd)", {"A": "1"}) is None
    assert expand_known("$A $C", {"A": "1"}) == "1 $C"


def test_failed_pull_from_a_registry_is_explained() -> None:
    assert [c.label for c in explain_failure("docker pull 127.0.0.1:5000/x:v2")] == [
        "registry has 127.0.0.1:5000/x:v2"
    ]
    assert explain_failure("docker pull hello-world") == []  # Docker Hub: not asked


def test_subjects_say_what_a_later_step_may_change_on_purpose() -> None:
    from lab.runner.inferred import container_ports, touched_subjects

    out = "latest: digest: sha256:" + "a" * 64 + " size: 525\n"
    checks = infer_checks(
        "docker run -d -p 5000:5000 --name registry registry:2\n"
        "docker push 127.0.0.1:5000/hello-world",
        out,
        cwd=Path("/w"),
        engine=lambda: None,
    )
    subjects = {c.label.split(" ")[0]: c.subjects for c in checks}
    assert subjects["container"] == {"container:registry", "port:5000"}
    assert subjects["registry"] == {
        "registry:127.0.0.1:5000/hello-world:latest",
        "port:5000",
    }
    assert touched_subjects("docker rm -f registry") == {"container:registry"}
    assert touched_subjects("docker push 127.0.0.1:5000/hello-world") == {
        "registry:127.0.0.1:5000/hello-world:latest"
    }, "a push changes the registry's content, not its port"
    assert touched_subjects("docker rmi hello-world") == {
        "image:docker.io/library/hello-world:latest"
    }
    assert container_ports("docker run -d -p 5000:5000 --name registry registry:2") == {
        "registry": {"port:5000"}
    }
