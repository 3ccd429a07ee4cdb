"""`lab bundle` of the course: its size and build time, and the time a room waits for the first
pull served from it.

Figures, not assertions. Baselines are measured in the same run:
- making the bundle (`lab bundle lessons/ -o DIR`: the lessons, and their images pulled through
  the engine and pushed into the bundle's registry) against `docker pull` + `docker save` of
  the same images into one archive, the usual way to carry images by hand (an archive
  `docker load` reads, but that no engine can pull from);
- the first pull: `lab bundle serve` until its registry answers, then `docker pull registry:2`
  in a brand-new sandbox node whose only mirror is the bundle, against the same pull in a
  brand-new node through the test mirror (already running).
Needs the engine, the stand-ins and the node image of `scripts/test-env up`, and root.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lab.bundle.serve import node_mirror, serve_bundle
from lab.checks import connect
from lab.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "lessons"
ROUNDS = 3
PULLED = "registry:2"
"""What the first pull in a node fetches (the course's first image, 9 MB)."""


def build(into: Path) -> float:
    """Seconds `lab bundle` takes to make the course's bundle (into a new directory)."""
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lab", "bundle", str(COURSE), "-o", str(into)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def save(images: list[str], into: Path) -> float:
    """Baseline: seconds `docker pull` of each image then `docker save` of them all into one
    archive take (by hand, as `lab bundle` does it: pulled through the engine, then written)."""
    t0 = time.perf_counter()
    for image in images:
        _docker("pull", "-q", image)
    _docker("save", "-o", str(into), *images)
    return time.perf_counter() - t0


def _docker(*args: str) -> None:
    done = subprocess.run(["docker", *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"docker {' '.join(args)}: {done.stderr.strip()}")


def first_pull(mirrors: list[str] | None) -> tuple[float, float]:
    """(nodes up, `docker pull` in node1) seconds, in a brand-new node with these mirrors
    (None: the host engine's, the test mirror)."""
    box = Sandbox(connect, lesson=COURSE / "registry-1-local.md", nodes=1, mirrors=mirrors)
    try:
        t0 = time.perf_counter()
        box.up()
        t1 = time.perf_counter()
        subprocess.run(
            [*box.node(1).exec_prefix(), "docker", "pull", "-q", PULLED],
            check=True,
            capture_output=True,
        )
        t2 = time.perf_counter()
    finally:
        box.down()
    return t1 - t0, t2 - t1


def mb(n: float) -> str:
    return f"{n / 1e6:7.1f} MB"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="lab-bench-bundle-"))
    try:
        builds, saves = [], []
        for n in range(ROUNDS):
            bundle = work / f"bundle-{n}"
            builds.append(build(bundle))
            images = [i["ref"] for i in json.loads((bundle / "bundle.json").read_text())["images"]]
            archive = work / f"images-{n}.tar"
            saves.append(save(images, archive))
        manifest = json.loads((work / "bundle-0" / "bundle.json").read_text())
        archive_size = (work / "images-0.tar").stat().st_size
        print(f"the course ({len(manifest['files'])} files) and {len(manifest['images'])} images")
        print(f"  ({', '.join(i['ref'] for i in manifest['images'])}), median of {ROUNDS}:")
        print(
            f"  `docker pull` + `docker save` (baseline): {statistics.median(saves):6.1f} s, "
            f"{mb(archive_size)}"
        )
        build_s = statistics.median(builds)
        print(
            f"  `lab bundle lessons/ -o DIR`:             {build_s:6.1f} s, "
            f"{mb(manifest['total_size'])} (images {mb(manifest['images_size']).strip()}); "
            f"{build_s / statistics.median(saves):.1f}x the time, "
            f"{manifest['total_size'] / archive_size:.2f}x the size"
        )

        first_pull(None)  # warm-up: imports, the node image's layers in the page cache
        served, via_bundle, via_mirror = [], [], []
        for _ in range(ROUNDS):
            base = first_pull(None)
            via_mirror.append(base[1])
            t0 = time.perf_counter()
            with serve_bundle(work / "bundle-0", "0.0.0.0:0") as server:
                served.append(time.perf_counter() - t0)
                via_bundle.append(first_pull([node_mirror(server)])[1])
        serve_s = statistics.median(served)
        pull_s, base_s = statistics.median(via_bundle), statistics.median(via_mirror)
        print(f"first `docker pull {PULLED}` in a brand-new sandbox node, median of {ROUNDS}:")
        print(f"  through the test mirror (baseline): {base_s:6.2f} s")
        print(
            f"  through the bundle's registry:      {pull_s:6.2f} s "
            f"({pull_s / base_s:.2f}x), after {serve_s:.2f} s for `lab bundle serve` to answer; "
            f"serve + pull {serve_s + pull_s:.2f} s"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
