"""Offline rooms, on the real engine: a bundle of the course (and of the Play with Docker posts
that run offline) made through the engine from the test environment; its registry served alone
as the sandbox nodes' mirror, with no upstream; `lab bundle verify` on a damaged copy; `lab
bundle load` and `lab doctor`.

"No upstream" without stopping the shared test mirror (others use it meanwhile): the nodes'
engines are given the bundle's registry as their only mirror, and the test mirror's access log
(scripts/test-env keeps it) must show no request from any node while its lesson ran, while the
bundle's registry log shows theirs. Docker Hub is not reachable from these machines at all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lab.bundle.layout import REGISTRY, read_manifest
from lab.bundle.serve import node_mirror, serve_bundle
from lab.bundle.storage import blob_path
from lab.errors import ExitStatus
from tests.conftest import ROOT, run_lab

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]

TEST_ENV = Path(os.environ.get("LAB_TEST_ENV_DIR", "/var/tmp/lab-test-env"))
MIRROR_LOG = TEST_ENV / "mirror.log"
"""The test mirror's access log (scripts/test-env): one line per request, client first."""
_ACCESS = re.compile(r"^(?P<ip>[0-9a-f.:]+) - \S+ \[(?P<when>[^\]]+)\] \"(?P<request>[^\"]*)\"")
_NODES = re.compile(r"^  sandbox: (?P<nodes>.+?); ", re.M)


def offline_posts() -> tuple[list[Path], Path | None]:
    """The Play with Docker posts that run offline in sandbox nodes (tests/e2e/test_pwd_posts.py
    says which) and the directory of their overlays; none when the posts are not here."""
    try:
        from tests.e2e.test_pwd_posts import OVERLAYS, PWD, RUNNABLE
    except ImportError:
        return [], None
    posts = [PWD / name for name in sorted(RUNNABLE) if (PWD / name).is_file()]
    return posts, OVERLAYS if posts else None


@dataclass
class Made:
    """The bundle the module's tests share, and how `lab bundle` made it."""

    path: Path
    output: str
    seconds: float
    posts: list[Path]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Made]:
    root = tmp_path_factory.mktemp("bundle")
    path = root / "room"
    posts, overlays = offline_posts()
    env = {**os.environ, "LAB_STATE_DIR": str(root / "state")}
    # the posts' overlays are kept apart from them: the bundle carries them beside the posts
    where = ["--overlays", str(overlays)] if overlays is not None else []
    t0 = time.monotonic()
    r = run_lab(
        "bundle", str(ROOT / "lessons"), *map(str, posts), *where, "-o", str(path),
        env=env, timeout=900,
    )  # fmt: skip
    seconds = time.monotonic() - t0
    assert r.status == ExitStatus.OK, r.stdout + r.stderr
    yield Made(path, r.stdout, seconds, posts)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def state_env(tmp_path: Path) -> dict[str, str]:
    """lab's state (session records, the record of loaded images) private to the test."""
    return {**os.environ, "LAB_STATE_DIR": str(tmp_path / "state")}


def test_the_bundle_holds_the_course_and_every_image_it_needs(made: Made) -> None:
    manifest = read_manifest(made.path)
    refs = [i.ref for i in manifest.images]
    assert {"registry:2", "hello-world:latest", "docker:dind"} <= set(refs)
    assert refs.count("docker:dind") == 1 and manifest.node_image == "docker:dind"
    course = sorted(p.name for p in (ROOT / "lessons").glob("*.md"))
    inside = "lessons/lessons/" if made.posts else "lessons/"  # one directory: its layout
    assert [p for p in manifest.lessons if p.startswith(inside)] == [inside + n for n in course]
    assert len(manifest.lessons) == len(course) + len(made.posts)
    overlays = [f.path for f in manifest.files if f.path.endswith(".lab.yml")]
    for post in made.posts:  # each post's overlay went with it, under the post's name
        if (ROOT / "tests" / "fixtures" / "pwd" / f"{post.stem}.lab.yml").is_file():
            assert f"lessons/{post.stem}.lab.yml" in overlays, overlays
    for image in manifest.images:
        assert image.digest.startswith("sha256:") and image.size > 0
        assert image.used_by, image
    assert manifest.total_size > manifest.images_size > 0
    # progress as plain lines (no terminal here): one per phase, then the digest and size
    assert "pull   registry:2\npush   registry:2\nok     registry:2  sha256:" in made.output
    assert f"bundle {made.path}: " in made.output
    verified = run_lab("bundle", "verify", str(made.path))
    assert verified.status == ExitStatus.OK, verified.stdout + verified.stderr
    assert f"bundle {made.path} is intact" in verified.stdout


def test_verify_refuses_a_bundle_with_one_blob_changed(made: Made, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-al", str(made.path), str(copy)], check=True)  # hard links: fast
    image = next(i for i in read_manifest(copy).images if i.ref == "hello-world:latest")
    layer = next(b for b in image.blobs if b.kind == "layer")
    path = blob_path(copy / REGISTRY, layer.digest)
    data = bytearray(path.read_bytes())
    path.unlink()  # a file of its own, so the shared bundle keeps its bytes
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    r = run_lab("bundle", "verify", str(copy))
    assert r.status == ExitStatus.FAILED, r.stdout + r.stderr
    assert f"FAIL   hello-world:latest: its layer blob {layer.digest} has been changed" in r.stdout
    assert f"lab: {copy} is damaged:\n  image hello-world:latest: its layer blob" in r.stderr
    assert len(re.findall(r"^  image ", r.stderr, re.M)) == 1  # only that image
    intact = run_lab("bundle", "verify", str(made.path))
    assert intact.status == ExitStatus.OK, intact.stderr


def _log_lines(path: Path, start: int) -> list[tuple[str, float, str]]:
    """(client, time, request) of each access line written after byte offset start."""
    with open(path, "rb") as log:
        log.seek(start)
        text = log.read().decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        match = _ACCESS.match(line)
        if match:
            when = datetime.strptime(match.group("when"), "%d/%b/%Y:%H:%M:%S %z").timestamp()
            found.append((match.group("ip"), when, match.group("request")))
    return found


@dataclass
class Run:
    lesson: str
    nodes: list[str]
    """The nodes' addresses (on their sandbox network: what the registries see)."""
    start: float
    end: float
    result: Any


def test_the_course_runs_green_with_no_upstream_but_the_bundle(
    made: Made, tmp_path: Path, state_env: dict[str, str]
) -> None:
    manifest = read_manifest(made.path)
    # The node image on the host comes from the bundle too (a no-op when the same is there).
    loaded = run_lab("bundle", "load", str(made.path), "--image", "docker:dind", env=state_env)
    assert loaded.status == ExitStatus.OK, loaded.stdout + loaded.stderr
    mirror_log = MIRROR_LOG if MIRROR_LOG.is_file() else None
    mirror_start = mirror_log.stat().st_size if mirror_log else 0
    bundle_log = tmp_path / "bundle-registry.log"
    runs: list[Run] = []
    with serve_bundle(made.path, "0.0.0.0:0", log=bundle_log) as server:
        mirror = node_mirror(server)
        assert mirror == f"http://{{gateway}}:{server.port}"
        doctor = run_lab(
            "doctor", "--sandbox", "--mirror", mirror, str(made.path / manifest.lessons[0]),
            env=state_env,
        )  # fmt: skip
        assert "sandbox nodes: docker:dind (present, from the bundle" in doctor.stdout, (
            doctor.stdout
        )
        assert f"can be pulled from the nodes' mirror {mirror}" in doctor.stdout, doctor.stdout
        for lesson in manifest.lessons:
            report = tmp_path / f"{Path(lesson).stem}.json"
            start = time.time()
            r = run_lab(
                "run", "--sandbox", "--mirror", mirror, "--json", str(report),
                str(made.path / lesson), env=state_env, timeout=600,
            )  # fmt: skip
            end = time.time()
            found = _NODES.search(r.stdout)
            nodes = [n.split()[1] for n in found.group("nodes").split(", ")] if found else []
            runs.append(Run(lesson, nodes, start, end, r))
    failed = [f"{run.lesson}:\n{run.result.stdout}{run.result.stderr}" for run in runs
              if run.result.status != ExitStatus.OK]  # fmt: skip
    assert not failed, "\n".join(failed)
    served = _log_lines(bundle_log, 0)
    for run in runs:
        if not run.nodes:
            continue  # a reading-only post: no node
        mine = [r for ip, _, r in served if ip in run.nodes]
        assert any("/manifests/" in r for r in mine), (run.lesson, run.nodes)
    if mirror_log is not None:
        upstream = [
            (ip, when, request)
            for ip, when, request in _log_lines(mirror_log, mirror_start)
            for run in runs
            if ip in run.nodes and run.start - 1 <= when <= run.end + 1
        ]
        assert upstream == [], "nodes asked the test mirror"
    # the room's registry left the bundle as it was
    verified = run_lab("bundle", "verify", str(made.path))
    assert verified.status == ExitStatus.OK, verified.stderr


def test_the_served_bundle_is_read_only(made: Made) -> None:
    image = next(i for i in read_manifest(made.path).images if i.ref == "hello-world:latest")
    with serve_bundle(made.path) as server:
        request = urllib.request.Request(
            f"{server.url}/v2/{image.repository}/manifests/{image.tag}",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.headers["Docker-Content-Digest"] == image.digest
        upload = urllib.request.Request(
            f"{server.url}/v2/{image.repository}/blobs/uploads/", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(upload, timeout=10)
        assert refused.value.code in (405, 503)
        port = server.port
    with pytest.raises(OSError):  # stopped with the context
        urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2)


def test_lab_bundle_serve_until_sigterm(made: Made) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "bundle", "serve", str(made.path), "--listen", "127.0.0.1:0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r" at (http://127\.0\.0\.1:\d+); Ctrl-C stops it", first)
        assert match, first
        with urllib.request.urlopen(f"{match.group(1)}/v2/_catalog", timeout=10) as answer:
            catalog = json.loads(answer.read())["repositories"]
        assert {"library/registry", "library/hello-world", "library/docker"} <= set(catalog)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitStatus.OK, first + rest
    assert "stopped" in rest
    with pytest.raises(OSError):  # its registry went with it
        urllib.request.urlopen(f"{match.group(1)}/v2/", timeout=2)


@pytest.fixture
def own_image() -> Iterator[str]:
    """An image only this test has (made with `docker import`), removed afterwards."""
    ref = f"lab-bundle-test/hello:{os.getpid()}-{int(time.time())}"
    archive = subprocess.run(
        ["tar", "-c", "-C", str(ROOT / "tests" / "fixtures" / "lessons"), "run-pass.md"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["docker", "import", "-", ref], input=archive, check=True, capture_output=True)
    yield ref
    subprocess.run(["docker", "rmi", ref], capture_output=True)


def test_load_tags_images_as_the_lessons_name_them_and_doctor_says_so(
    own_image: str, tmp_path: Path, state_env: dict[str, str]
) -> None:
    lesson = tmp_path / "own.md"
    lesson.write_text(
        f"---\ntitle: Own image\n---\n\n```.term1\ndocker run --rm {own_image}\n```\n"
    )
    bundle = tmp_path / "own-bundle"
    made = run_lab("bundle", str(lesson), "--no-node-image", "-o", str(bundle), env=state_env)
    assert made.status == ExitStatus.OK, made.stdout + made.stderr
    # nowhere to pull it from: this machine's copy goes into the bundle
    assert f"local  {own_image}: the pull failed" in made.stdout
    image_id = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Id}}", own_image],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(["docker", "rmi", own_image], check=True, capture_output=True)
    before = run_lab("doctor", str(lesson), env=state_env)
    assert f"image {own_image} is not here and cannot be pulled" in before.stdout
    loaded = run_lab("bundle", "load", str(bundle), env=state_env)
    assert loaded.status == ExitStatus.OK, loaded.stdout + loaded.stderr
    assert f"ok     {own_image}" in loaded.stdout
    again = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Id}}", own_image],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert again == image_id  # the same image, under the lesson's name
    after = run_lab("doctor", str(lesson), env=state_env)
    assert f"image {own_image} is present (from the bundle {bundle.resolve()})" in after.stdout
    leftovers = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert "lab-bundle-test" not in leftovers.replace(own_image, "")  # no tag of ours is left
    digests = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{json .RepoDigests}}", own_image],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert "127.0.0.1:" not in digests  # nor the bundle registry's digest reference
