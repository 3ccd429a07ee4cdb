"""Narrower rights for a workshop room's nodes: the capabilities a node's dockerd does not use,
block devices, and syscalls no lesson needs (a deny-list seccomp profile) are taken away.

Measured to leave the inner dockerd, its containers, published ports and a restarted dockerd
working, while the node can no longer read the kernel log, load modules, set the clock or open
the host's disks. It does not close the way out through a cgroup v1 release_agent: the inner
dockerd needs CAP_SYS_ADMIN, which without a user namespace is the host's
(docs/classroom.md#security)."""

from __future__ import annotations

import json
from typing import Any

DROPPED_CAPABILITIES = (
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "SYSLOG",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "SYS_PACCT",
    "SYS_TTY_CONFIG",
    "LEASE",
    "AUDIT_CONTROL",
)
"""Capabilities dockerd, containerd, runc and the lessons' containers do without. Containers
run with `--privileged` inside a room's node ask for them, and fail to start."""
DEVICE_RULES = ("c *:* rwm",)
"""Character devices only (dockerd makes /dev/null, ttys, ... for its containers): no disk."""
DENIED_SYSCALLS = (
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "open_by_handle_at",
    "name_to_handle_at",
    "reboot",
    "swapon",
    "swapoff",
    "syslog",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "lookup_dcookie",
    "perf_event_open",
    "quotactl",
    "nfsservctl",
    "uselib",
    "userfaultfd",
    "kcmp",
    "process_vm_readv",
    "process_vm_writev",
    "fanotify_init",
)
"""Refused with EPERM; everything else is allowed (Docker's default profile refuses what the
inner dockerd needs: keyrings, pivot_root, mounts)."""


def seccomp_profile() -> str:
    """The deny-list profile, as the engine takes it in `seccomp=...`."""
    return json.dumps(
        {
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [
                {"names": list(DENIED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
            ],
        }
    )


def hardened(config: dict[str, Any], dropped: tuple[str, ...]) -> dict[str, Any]:
    """A node's create_host_config() arguments with the narrower rights (from the privileged or
    caps mode's; dropped: what the engine cannot grant anyway)."""
    narrowed = {k: v for k, v in config.items() if k != "privileged"}
    narrowed["cap_add"] = ["ALL"]
    narrowed["cap_drop"] = sorted({*dropped, *DROPPED_CAPABILITIES})
    narrowed["device_cgroup_rules"] = list(DEVICE_RULES)
    narrowed["security_opt"] = ["apparmor=unconfined", f"seccomp={seccomp_profile()}"]
    return narrowed
