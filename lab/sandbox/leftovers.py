"""Removing sandbox objects: one run's, and leftovers of runs whose lab process is gone."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from lab.engine.cleanup import CleanupReport
from lab.sandbox import owner as labels
from lab.sandbox.owner import Owner


def _objects(client: Any, selector: str) -> tuple[list[Any], list[Any], list[Any]]:
    filters = {"label": selector}
    return (
        client.containers.list(all=True, filters=filters, ignore_removed=True),
        client.volumes.list(filters=filters),
        client.networks.list(filters=filters),
    )


def _remove(report: CleanupReport, what: str, action: Any) -> None:
    try:
        action()
    except Exception as exc:  # the engine's words are the useful part
        report.failed.append(f"{what}: {getattr(exc, 'explanation', None) or exc}")
    else:
        report.removed.append(what)


def _remove_objects(
    report: CleanupReport, containers: list[Any], volumes: list[Any], networks: list[Any]
) -> None:
    for c in containers:
        node = (c.labels or {}).get(labels.NODE)
        what = f"node {node} ({c.name})" if node else f"container {c.name}"
        _remove(report, what, lambda c=c: c.remove(force=True, v=True))
    for v in volumes:
        _remove(report, f"volume {v.name}", lambda v=v: v.remove(force=True))
    for n in networks:
        _remove(report, f"network {n.name}", n.remove)


def remove_run(client: Any, run_id: str) -> CleanupReport:
    """Remove every object of one sandbox run."""
    return remove_labelled(client, f"{labels.RUN}={run_id}")


def remove_labelled(client: Any, selector: str) -> CleanupReport:
    """Remove every container, volume and network a label selector (`key=value`) finds."""
    report = CleanupReport()
    _remove_objects(report, *_objects(client, selector))
    return report


def mark_kept(client: Any, run_id: str, run_labels: dict[str, str]) -> None:
    """Mark a sandbox as kept on purpose (`lab run --keep`): a small labelled volume of the
    run, so sweeps leave it alone (whoever sweeps) and `lab reset LESSON` removes it."""
    client.volumes.create(f"lab-{run_id}-kept", labels={**run_labels, labels.KEPT: "1"})


def sweep(client: Any, *, kept: bool = False, lesson: Path | None = None) -> CleanupReport:
    """Remove what sandboxes of dead lab processes left behind (a crash, `kill -9`).

    Objects of a living owner are never touched; kept sandboxes (`--keep`) only with
    kept=True; with lesson, only that lesson's."""
    containers, volumes, networks = _objects(client, labels.OWNER)
    runs: dict[str, list[list[Any]]] = defaultdict(lambda: [[], [], []])
    owners: dict[str, Owner | None] = {}
    lessons: dict[str, str] = {}
    for kind, objects in enumerate((containers, volumes, networks)):
        for obj in objects:
            obj_labels = _labels(obj)
            run = obj_labels.get(labels.RUN, "")
            runs[run][kind].append(obj)
            owners.setdefault(run, Owner.from_labels(obj_labels))
            lessons.setdefault(run, obj_labels.get(labels.LESSON, ""))
    kept_runs = {
        run
        for run, objects in runs.items()
        if any(_labels(o).get(labels.KEPT) for kind in objects for o in kind)
    }
    report = CleanupReport()
    for run, (cs, vs, ns) in runs.items():
        who = owners.get(run)
        if who is not None and who.alive():
            continue
        if run in kept_runs and not kept:
            continue
        if lesson is not None and lessons.get(run) != str(lesson.resolve()):
            continue
        _remove_objects(report, cs, vs, ns)
    return report


def _labels(obj: Any) -> dict[str, str]:
    attrs = getattr(obj, "attrs", {}) or {}
    found = attrs.get("Labels") or (attrs.get("Config") or {}).get("Labels") or {}
    return dict(found)


def find_nodes(client: Any, lesson: Path) -> dict[int, str]:
    """terminal -> address of the running nodes of a lesson (the newest sandbox of it)."""
    running = client.containers.list(filters={"label": f"{labels.LESSON}={lesson.resolve()}"})
    if not running:
        return {}
    newest = max(running, key=lambda c: c.attrs.get("Created", ""))
    run = _labels(newest).get(labels.RUN)
    found: dict[int, str] = {}
    for c in running:
        c_labels = _labels(c)
        if c_labels.get(labels.RUN) != run or not c_labels.get(labels.TERMINAL, "").isdigit():
            continue
        networks = (c.attrs.get("NetworkSettings") or {}).get("Networks") or {}
        address = next((n.get("IPAddress") for n in networks.values() if n.get("IPAddress")), "")
        found[int(c_labels[labels.TERMINAL])] = address
    return found
