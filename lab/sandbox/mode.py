"""How nodes get the rights of a Docker host: `--privileged`, or (where the engine cannot
grant every capability) all it can grant plus the other privileged settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lab.errors import UsageError

CAPABILITIES = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
    "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
    "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
    "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
    "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
    "CHECKPOINT_RESTORE"
).split()
"""Capability names by number (linux/capability.h)."""
PRIVILEGED_ASKS = 38
"""`--privileged` makes Docker 20.10 ask runc for capabilities 0..37 (up to AUDIT_READ); if
the engine's bounding set lacks one, the node fails to start: `unable to apply caps:
operation not permitted`, and --cap-drop is ignored with --privileged."""
CAPS_SECURITY_OPTS = ("seccomp=unconfined", "apparmor=unconfined")
"""What --privileged also lifts: the syscall filter and the AppArmor profile (and the masked,
read-only /proc and /sys paths: see NodeMode.host_config_extra)."""
ENGINE_PIDFILE = Path("/var/run/docker.pid")
MODES = ("auto", "privileged", "caps")

ModeName = Literal["privileged", "caps"]


@dataclass(frozen=True)
class NodeMode:
    """The flags nodes are started with, and why."""

    name: ModeName
    """`privileged` or `caps`."""
    reason: str
    """Why this mode, for the run output and `lab doctor`."""
    dropped: tuple[str, ...] = field(default=())
    """In caps mode: the capabilities the engine cannot grant."""

    def host_config(self) -> dict[str, Any]:
        """Arguments for the docker SDK's create_host_config()."""
        if self.name == "privileged":
            return {"privileged": True}
        return {
            "cap_add": ["ALL"],
            "cap_drop": list(self.dropped),
            "security_opt": list(CAPS_SECURITY_OPTS),
            "device_cgroup_rules": ["a *:* rwm"],
        }

    def host_config_extra(self) -> dict[str, Any]:
        """HostConfig fields the SDK has no argument for: in caps mode, no masked or
        read-only /proc and /sys paths (the CLI's `--security-opt systempaths=unconfined`)."""
        if self.name == "privileged":
            return {}
        return {"MaskedPaths": [], "ReadonlyPaths": []}

    def describe(self) -> str:
        """One line: `caps mode (--privileged is refused here: ...)`."""
        return f"{self.name} mode ({self.reason})"


def _bounding_set(pid: int | str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    return None


def _last_cap() -> int:
    try:
        return int(Path("/proc/sys/kernel/cap_last_cap").read_text().strip())
    except (OSError, ValueError):
        return PRIVILEGED_ASKS - 1


def engine_bounding_set() -> tuple[int | None, str]:
    """The capability bounding set of the local engine's process (or, when its pid file is
    not readable, of this process: same machine), and whose it is."""
    try:
        pid = ENGINE_PIDFILE.read_text().strip()
    except OSError:
        pid = ""
    if pid.isdigit():
        found = _bounding_set(pid)
        if found is not None:
            return found, "the engine's"
    return _bounding_set("self"), "this process's"


def caps_mode(reason: str, bounding: int | None) -> NodeMode:
    """All capabilities but the ones missing from the bounding set."""
    last = min(_last_cap(), len(CAPABILITIES) - 1)
    dropped = tuple(
        CAPABILITIES[i] for i in range(last + 1) if bounding is not None and not bounding >> i & 1
    )
    return NodeMode("caps", reason, dropped)


def detect_mode(requested: str | None = None) -> NodeMode:
    """The mode to start nodes in: `LAB_NODE_MODE` (auto, privileged, caps) or requested;
    auto picks --privileged when the engine can grant every capability it asks for."""
    wanted = (requested or os.environ.get("LAB_NODE_MODE") or "auto").lower()
    if wanted not in MODES:
        raise UsageError(
            f"unknown node mode '{wanted}'", "LAB_NODE_MODE is one of: " + ", ".join(MODES)
        )
    bounding, whose = engine_bounding_set()
    if wanted == "privileged":
        return NodeMode("privileged", "asked for with LAB_NODE_MODE=privileged")
    if wanted == "caps":
        return caps_mode("asked for with LAB_NODE_MODE=caps", bounding)
    if bounding is None:
        return NodeMode("privileged", "the capability bounding set cannot be read")
    missing = [CAPABILITIES[i] for i in range(PRIVILEGED_ASKS) if not bounding >> i & 1]
    if not missing:
        return NodeMode("privileged", f"{whose} capability bounding set is complete")
    names = ", ".join(f"CAP_{m}" for m in missing)
    return caps_mode(f"--privileged is refused here: {whose} bounding set lacks {names}", bounding)


def remaps_users(info: Mapping[str, Any]) -> bool:
    """The engine runs containers in user namespaces (dockerd's userns-remap): --privileged is
    refused there, and a node's root is an ordinary user of the host (lab-node-init then
    starts the node's dockerd in its rootless mode)."""
    return any("name=userns" in str(o) for o in info.get("SecurityOptions") or ())


def refused_privileged(message: str) -> bool:
    """True when starting a --privileged container failed for want of capabilities, or
    because the engine runs containers in user namespaces (userns-remap)."""
    text = message.lower()
    if "incompatible with user namespaces" in text:
        return True
    return "unable to apply caps" in text or ("operation not permitted" in text and "caps" in text)
