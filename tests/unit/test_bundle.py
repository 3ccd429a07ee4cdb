"""Bundles without an engine: the plan (lessons, images, where each goes), bundle.json, and
`lab bundle verify` on a registry storage written here byte by byte in the Distribution
registry's layout (tests/e2e/test_bundle.py makes real ones through the engine)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from lab.bundle.layout import (
    MANIFEST,
    REGISTRY,
    BundledFile,
    BundledImage,
    BundleManifest,
    read_manifest,
    storage_name,
)
from lab.bundle.plan import destinations, plan_bundle
from lab.bundle.storage import Blob, blob_path, layer_link, revision_link, tag_link
from lab.bundle.transfer import ImageProgress, split_ref, stream
from lab.bundle.verify import verify_bundle
from lab.cli.bundle import PlainProgress, size
from lab.errors import ExitStatus, UsageError
from lab.lesson.load import load_lesson
from lab.sandbox.nodes import given_mirrors, node_mirrors
from tests.conftest import ROOT, fixture, run_lab

SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _put(storage: Path, data: bytes) -> str:
    digest = _digest(data)
    path = blob_path(storage, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def _link(path: Path, digest: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(digest)


def store_image(storage: Path, ref: str, layers: list[bytes]) -> BundledImage:
    """An image as the registry stores a push: blobs, its manifest, the repository's links."""
    repository, tag = storage_name(ref)
    config = json.dumps({"architecture": "amd64", "os": "linux", "ref": ref}).encode()
    blobs = [Blob("config", _put(storage, config), len(config))]
    blobs += [Blob("layer", _put(storage, layer), len(layer)) for layer in layers]
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": SCHEMA2,
            "config": {"mediaType": "x", "size": blobs[0].size, "digest": blobs[0].digest},
            "layers": [{"mediaType": "y", "size": b.size, "digest": b.digest} for b in blobs[1:]],
        }
    ).encode()
    digest = _put(storage, manifest)
    _link(tag_link(storage, repository, tag), digest)
    _link(revision_link(storage, repository, digest), digest)
    for blob in blobs:
        _link(layer_link(storage, repository, blob.digest), blob.digest)
    everything = (Blob("manifest", digest, len(manifest)), *blobs)
    return BundledImage(
        ref=ref,
        repository=repository,
        tag=tag,
        digest=digest,
        image_id=blobs[0].digest,
        size=sum(b.size for b in everything),
        blobs=everything,
        used_by=("test",),
    )


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A small bundle: two images sharing a layer, one lesson."""
    root = tmp_path / "bundle"
    storage = root / REGISTRY
    shared = b"shared layer " * 1000
    images = (
        store_image(storage, "hello-world:latest", [b"hello layer"]),
        store_image(storage, "registry:2", [shared, b"registry layer " * 100]),
    )
    lesson = root / "lessons" / "one.md"
    lesson.parent.mkdir(parents=True)
    lesson.write_text("---\ntitle: One\n---\n\n```.term1\ndocker pull hello-world\n```\n")
    data = lesson.read_bytes()
    manifest = BundleManifest(
        lab="test",
        created="2026-01-01T00:00:00Z",
        images=images,
        files=(BundledFile("lessons/one.md", hashlib.sha256(data).hexdigest(), len(data)),),
        images_size=0,
        total_size=0,
    )
    (root / MANIFEST).write_text(manifest.to_json())
    return root


def test_an_intact_bundle_verifies(bundle: Path) -> None:
    report = verify_bundle(bundle)
    assert report.ok, report.problems()
    assert report.blobs == 7  # 2 manifests, 2 configs, 3 layers
    assert [c.blobs for c in report.images] == [3, 4]
    assert read_manifest(bundle).lessons == ["lessons/one.md"]


def _blob_of(bundle: Path, ref: str, kind: str) -> Path:
    image = next(i for i in read_manifest(bundle).images if i.ref == ref)
    blob = next(b for b in image.blobs if b.kind == kind)
    return blob_path(bundle / REGISTRY, blob.digest)


def test_one_changed_byte_names_the_image(bundle: Path) -> None:
    path = _blob_of(bundle, "hello-world:latest", "layer")
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    problems = verify_bundle(bundle).problems()
    assert len(problems) == 1
    assert problems[0].startswith("image hello-world:latest: its layer blob sha256:")
    assert "has been changed: its bytes hash to sha256:" in problems[0]


def test_a_truncated_blob_names_the_image(bundle: Path) -> None:
    image = next(i for i in read_manifest(bundle).images if i.ref == "registry:2")
    manifest = image.blobs[0]
    path = blob_path(bundle / REGISTRY, manifest.digest)
    path.write_bytes(path.read_bytes()[:50])
    assert verify_bundle(bundle).problems() == [
        f"image registry:2: its manifest blob {manifest.digest} is truncated: 50 bytes, "
        f"not {manifest.size}"
    ]


def test_a_missing_blob_and_link_name_the_image(bundle: Path) -> None:
    path = _blob_of(bundle, "registry:2", "config")
    path.unlink()
    image = next(i for i in read_manifest(bundle).images if i.ref == "registry:2")
    layer_link(bundle / REGISTRY, image.repository, image.blobs[2].digest).unlink()
    problems = verify_bundle(bundle).problems()
    assert problems == [
        f"image registry:2: its config blob {image.blobs[1].digest} is missing",
        f"image registry:2: the link to its layer {image.blobs[2].digest} is missing (the "
        "registry would not serve it)",
    ]


def test_a_changed_lesson_is_named(bundle: Path) -> None:
    (bundle / "lessons" / "one.md").write_text("changed")
    assert verify_bundle(bundle).problems() == ["file lessons/one.md has been changed"]


def test_a_directory_that_is_no_bundle_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a lab bundle"):
        verify_bundle(tmp_path)


def test_lab_bundle_verify_exit_statuses(bundle: Path, tmp_path: Path) -> None:
    ok = run_lab("bundle", "verify", str(bundle))
    assert ok.status == ExitStatus.OK, ok.stdout + ok.stderr
    assert "ok     hello-world:latest  3 blobs" in ok.stdout
    assert f"bundle {bundle} is intact: 2 images, 7 blobs" in ok.stdout
    path = _blob_of(bundle, "registry:2", "layer")
    path.write_bytes(path.read_bytes() + b"!")
    bad = run_lab("bundle", "verify", str(bundle))
    assert bad.status == ExitStatus.FAILED, bad.stdout + bad.stderr
    assert "FAIL   registry:2: its layer blob" in bad.stdout
    assert f"lab: {bundle} is damaged:\n  image registry:2: its layer blob" in bad.stderr
    assert "longer than it should be" in bad.stderr
    none = run_lab("bundle", "verify", str(tmp_path / "nothing"))
    assert none.status == ExitStatus.USAGE


def test_usage_errors() -> None:
    no_output = run_lab("bundle", str(fixture("run-pass.md")))
    assert no_output.status == ExitStatus.USAGE
    assert "lab bundle LESSON... -o DIR" in no_output.stderr
    extra = run_lab("bundle", "verify", "a", "b")
    assert extra.status == ExitStatus.USAGE
    assert "takes one bundle directory" in extra.stderr
    misplaced = run_lab("bundle", "serve", "x", "-o", "y")
    assert misplaced.status == ExitStatus.USAGE


def test_storage_names() -> None:
    assert storage_name("hello-world") == ("library/hello-world", "latest")
    assert storage_name("registry:2") == ("library/registry", "2")
    assert storage_name("moby/buildkit:v0.12") == ("moby/buildkit", "v0.12")
    assert storage_name("quay.io/prometheus/node-exporter:v1") == (
        "quay.io/prometheus/node-exporter",
        "v1",
    )
    with pytest.raises(UsageError, match="pinned by digest"):
        storage_name("alpine@sha256:" + "0" * 64)


def test_where_lessons_go(tmp_path: Path) -> None:
    alone = destinations([str(ROOT / "lessons")])
    assert alone[ROOT / "lessons" / "registry-1-local.md"] == "lessons/registry-1-local.md"
    both = destinations([str(ROOT / "lessons"), str(fixture("run-pass.md"))])
    assert both[ROOT / "lessons" / "registry-1-local.md"] == "lessons/lessons/registry-1-local.md"
    assert both[fixture("run-pass.md")] == "lessons/run-pass.md"
    other = tmp_path / "run-pass.md"
    other.write_text(fixture("run-pass.md").read_text())
    clash = destinations([str(fixture("run-pass.md")), str(other)])
    assert list(clash.values()) == ["lessons/run-pass.md", "lessons/run-pass-2.md"]


def test_plan_names_what_needs_each_image() -> None:
    lessons = [
        (load_lesson(fixture("images-shown-dockerfile.md")), "lessons/a.md"),
        (load_lesson(fixture("images-unknown.md")), "lessons/b.md"),
    ]
    plan = plan_bundle(lessons, given=["alpine:3.19", "redis"], node_image="docker:dind")
    assert [(i.ref, i.used_by) for i in plan.images] == [
        ("alpine:3.19", ("lessons/a.md line 7 (FROM in the Dockerfile shown)", "--image")),
        ("docker:dind", ("sandbox nodes",)),
        ("redis:latest", ("--image",)),
    ]
    assert plan.unknown[0] == (
        "lessons/b.md line 5: `docker run $IMAGE`: the image is named by a variable"
    )
    with pytest.raises(UsageError, match="invalid image reference 'Bad'"):
        plan_bundle(lessons, given=["Bad"], node_image=None)


def test_node_mirrors() -> None:
    info = {"RegistryConfig": {"Mirrors": ["http://127.0.0.1:5001/"]}}
    assert node_mirrors(info, None) == ["http://{gateway}:5001"]  # the host engine's
    assert node_mirrors(info, "http://127.0.0.1:5050") == ["http://{gateway}:5050"]
    assert given_mirrors("http://{gateway}:5050, http://10.0.0.2:5000/") == [
        "http://{gateway}:5050",
        "http://10.0.0.2:5000",
    ]
    assert given_mirrors("") is None
    with pytest.raises(UsageError, match="is not a registry mirror address"):
        given_mirrors("127.0.0.1:5050")


def test_engine_progress_is_summed_over_layers() -> None:
    seen: list[ImageProgress] = []
    items = [
        {"status": "Pulling from library/registry", "id": "2"},
        {"status": "Downloading", "id": "a", "progressDetail": {"current": 10, "total": 100}},
        {"status": "Downloading", "id": "b", "progressDetail": {"current": 5, "total": 50}},
        {"status": "Download complete", "id": "a"},
        {"status": "Already exists", "id": "c"},
        {"status": "Pull complete", "id": "b"},
        {"aux": {"Tag": "2", "Digest": "sha256:abc", "Size": 528}},
    ]
    aux = stream(items, "registry:2", "pull", seen.append)
    assert aux["Digest"] == "sha256:abc"
    assert seen[-1] == ImageProgress("registry:2", "pull", 150, 150)
    with pytest.raises(Exception, match="manifest unknown"):
        stream([{"error": "x", "errorDetail": {"message": "manifest unknown"}}], "r", "pull", print)


def test_split_ref() -> None:
    assert split_ref("registry:2") == ("registry", "2")
    assert split_ref("127.0.0.1:5050/library/registry:2") == (
        "127.0.0.1:5050/library/registry",
        "2",
    )
    assert split_ref("127.0.0.1:5050/x") == ("127.0.0.1:5050/x", None)
    assert split_ref("a@sha256:00") == ("a", "sha256:00")


def test_plain_progress_is_a_line_per_phase() -> None:
    out = io.StringIO()
    show = PlainProgress(out)
    for event in (
        ImageProgress("registry:2", "pull", 0, 0),
        ImageProgress("registry:2", "pull", 5, 10),
        ImageProgress("registry:2", "push", 1, 10),
        ImageProgress("registry:2", "done", 9_127_931, 9_127_931, "sha256:6f48"),
        ImageProgress("x:1", "local", message="the pull failed (no such host)"),
        ImageProgress("y:1", "failed", message="denied"),
    ):
        show(event)
    assert out.getvalue().splitlines() == [
        "pull   registry:2",
        "push   registry:2",
        "ok     registry:2  sha256:6f48  9.1 MB",
        "local  x:1: the pull failed (no such host); this machine's copy is used",
        "FAIL   y:1: denied",
    ]


def test_sizes() -> None:
    assert [size(n) for n in (0, 999, 2_497, 9_127_931, 1_500_000_000)] == [
        "0 B",
        "999 B",
        "2.5 kB",
        "9.1 MB",
        "1.5 GB",
    ]
