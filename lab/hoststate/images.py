"""Loading back the images a lesson removed (saved before the run), with all their tags."""

from __future__ import annotations

from typing import Any

from lab.engine.cleanup import CleanupReport
from lab.hoststate.snapshot import HostState


def reload_images(client: Any, before: HostState, report: CleanupReport) -> None:
    """Load back the images the lesson removed, with all the tags they had."""
    for saved in before.saved_images:
        try:
            try:
                image = client.images.get(saved.image_id)
            except Exception:
                with open(saved.archive, "rb") as handle:
                    client.images.load(handle.read())
                image = client.images.get(saved.image_id)
                report.restored.append(f"image {', '.join(saved.tags) or saved.image_id[:19]}")
            for tag in saved.tags:
                if tag not in image.tags:
                    repository, _, name = tag.rpartition(":")
                    image.tag(repository, name)
                    report.restored.append(f"tag {tag}")
        except Exception as exc:  # the engine's reason is what the user needs
            reason = getattr(exc, "explanation", None) or exc
            report.failed.append(f"image {', '.join(saved.tags)}: cannot load it back: {reason}")
