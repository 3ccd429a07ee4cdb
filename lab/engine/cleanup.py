"""What a cleanup removed, put back, left alone or could not undo: one report for every kind."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CleanupReport:
    """What restore() removed or put back, and what it could not."""

    removed: list[str] = field(default_factory=list)
    """`container registry (3f2a…)`, `image 127.0.0.1:5000/hello-world:latest`, ..."""
    restored: list[str] = field(default_factory=list)
    """Files under /etc/docker put back as they were."""
    failed: list[str] = field(default_factory=list)
    """What could not be undone, with the reason."""
    left: list[str] = field(default_factory=list)
    """New objects not attributed to the lesson (someone else made them meanwhile): kept."""

    @property
    def ok(self) -> bool:
        """True when everything was undone."""
        return not self.failed
