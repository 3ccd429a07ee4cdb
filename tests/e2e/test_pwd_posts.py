"""Play with Docker's own posts run unchanged in sandbox nodes, offline, with the stand-in
images of scripts/test-env. The posts are test data read in place from ../shared/pwd (never
copied here); their overlays in tests/fixtures/pwd add only what a learner types by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.errors import ExitStatus
from tests.conftest import ROOT, run_lab

PWD = ROOT.parent / "shared" / "pwd"
OVERLAYS = ROOT / "tests" / "fixtures" / "pwd"

RUNNABLE = {
    "2017-02-27-linux-registry-part2.markdown": "TLS, certs.d, `pkill dockerd; dockerd &`, "
    "htpasswd, docker login (overlay: the password)",
    "2017-01-01-dev-stage1.markdown": "terms: 0, an article with nothing to run",
}
"""Posts that run green offline, unchanged, with --sandbox."""
NOT_RUNNABLE = {
    "2017-01-24-swarm-mode-intro.markdown": "the routing mesh needs IPVS, which this kernel "
    "lacks (`curl http://localhost:80` is refused), and the worker's `docker node ls` fails on "
    "purpose with no transcript that says so (only an `exit=1` would accept it)",
    "2017-05-23-swarm-config.markdown": "since Docker 17.10 `docker service create` waits for "
    "the service to converge, and a service whose task exits (`cat /my_config`) never does: "
    "the step never ends (on Play with Docker's 17.06 it returned at once)",
    "2017-01-25-docker-volumes.markdown": "steps are typed into a container's shell "
    "(`docker container run -ti alpine sh`, then `mkdir /data` in it, Ctrl-P Ctrl-Q), which "
    "lab cannot run; it also pipes into jq, which nodes lack, and pings 8.8.8.8",
}
"""Posts that cannot run green here, and why."""
BY_HAND = {"secret", "answer", "capture", "after", "match", "term", "run"}
"""What an overlay of a post may use: answers and secrets, and a captured line pasted into
another terminal (`capture` + `after: [{term, run: $NAME}]`)."""

needs_posts = pytest.mark.skipif(not PWD.is_dir(), reason=f"no Play with Docker posts at {PWD}")


def post(name: str) -> Path:
    path = PWD / name
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return path


def run_post(name: str, tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    out = tmp_path / "run.json"
    r = run_lab(
        "run",
        "--sandbox",
        "--overlays",
        str(OVERLAYS),
        "--json",
        str(out),
        str(post(name)),
        timeout=600,
    )
    data: dict[str, Any] = json.loads(out.read_text())["lessons"][0] if out.exists() else {}
    return r, data


@needs_posts
def test_every_post_is_either_runnable_or_has_a_reason() -> None:
    posts = {p.name for p in PWD.glob("*.markdown")}
    assert posts == set(RUNNABLE) | set(NOT_RUNNABLE)


def keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in keys(v)}
    return set()


def test_overlays_add_only_what_a_learner_types() -> None:
    overlays = sorted(OVERLAYS.glob("*.lab.yml"))
    assert overlays
    for path in overlays:
        data = yaml.safe_load(path.read_text())
        assert set(data) == {"steps"}, path
        assert keys(data["steps"]) <= BY_HAND, path
        for change in data["steps"]:
            for new in change.get("after", []):
                assert new["run"].startswith("$"), path  # a pasted captured line


@needs_posts
@pytest.mark.docker
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_post_runs_green_unchanged_in_sandbox_nodes(name: str, tmp_path: Path) -> None:
    lesson = post(name)
    if name == "2017-01-01-dev-stage1.markdown":
        lint = run_lab("lint", str(lesson))
        if "terms must be a whole number from 1 to 6, not '0'" in lint.stdout:
            pytest.skip("this lab refuses `terms: 0` (a reading-only post)")
    r, data = run_post(name, tmp_path)
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    steps = data.get("steps", [])  # a reading-only post has none
    assert all(s["status"] == "passed" for s in steps), r.stdout
    assert all(c["passed"] for s in steps for c in s["checks"]), r.stdout


@needs_posts
@pytest.mark.docker
@pytest.mark.timeout(600)
def test_registry_post_restarts_dockerd_as_published(tmp_path: Path) -> None:
    """Parts 2 & 3: `pkill dockerd` and `dockerd > /dev/null 2>&1 &` in one block; the
    next step runs against the new engine, which trusts the certificate put in certs.d."""
    r, data = run_post("2017-02-27-linux-registry-part2.markdown", tmp_path)
    steps = data["steps"]
    restart = next(s for s in steps if s["command"].startswith("pkill dockerd\n"))
    assert restart["command"] == "pkill dockerd\ndockerd > /dev/null 2>&1 &\n"
    assert restart["status"] == "passed"
    assert "node1's Docker engine answered again after" in restart["message"]
    after = steps[steps.index(restart) + 1]
    assert after["status"] == "passed", r.stdout
    login = next(s for s in steps if s["command"].startswith("docker login"))
    assert login["status"] == "passed" and "Login Succeeded" in login["output"], r.stdout
    assert "gordon" not in login["output"]  # the password typed is never shown


@needs_posts
@pytest.mark.docker
@pytest.mark.timeout(600)
def test_swarm_post_runs_on_two_nodes_except_where_it_cannot(tmp_path: Path) -> None:
    """Swarm mode introduction, with the join line pasted into the second terminal: a two-node
    swarm, nginx services scaled to 15 and drained; only the two steps NOT_RUNNABLE names fail."""
    r, data = run_post("2017-01-24-swarm-mode-intro.markdown", tmp_path)
    assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
    failed = {s["command"].strip(): s for s in data["steps"] if s["status"] != "passed"}
    assert set(failed) == {"docker node ls", "curl http://localhost:80"}, r.stdout
    assert "This node is not a swarm manager" in failed["docker node ls"]["output"]
    assert "Couldn't connect to server" in failed["curl http://localhost:80"]["output"]
    ls = [s for s in data["steps"] if s["command"] == "docker node ls\n"]
    assert "node2" in ls[0]["output"] and "Ready" in ls[0]["output"]
