"""What a node uses now, read from its cgroups as `docker stats` does (memory: usage less the
inactive page cache), without the seconds `docker stats` takes per container."""

from __future__ import annotations

from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stat(path: Path, key: str) -> int:
    try:
        for line in path.read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _dirs(controller: str, container_id: str) -> list[Path]:
    """Where the engine puts a container's cgroup: cgroupfs (v1), systemd or v2."""
    return [
        CGROUP_ROOT / controller / "docker" / container_id,
        CGROUP_ROOT / controller / "system.slice" / f"docker-{container_id}.scope",
        CGROUP_ROOT / "docker" / container_id,
        CGROUP_ROOT / "system.slice" / f"docker-{container_id}.scope",
    ]


def memory_bytes(container_id: str) -> int | None:
    """Bytes of memory the container uses (all its processes, inner containers included);
    None when its cgroup is not found (not running, or not on this host)."""
    for base in _dirs("memory", container_id):
        usage = _read_int(base / "memory.usage_in_bytes")  # cgroup v1
        if usage is not None:
            return max(0, usage - _stat(base / "memory.stat", "total_inactive_file"))
        usage = _read_int(base / "memory.current")  # cgroup v2
        if usage is not None:
            return max(0, usage - _stat(base / "memory.stat", "inactive_file"))
    return None


def pids(container_id: str) -> int | None:
    """Processes and threads in the container now."""
    for base in _dirs("pids", container_id):
        found = _read_int(base / "pids.current")
        if found is not None:
            return found
    return None
