"""A `lab` command for lesson shells and checks that runs this very lab (whatever installed it)."""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from pathlib import Path


class LabShim:
    """A private bin directory holding `lab` -> `<this python> -m lab`; removed by close()."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="lab-bin-"))
        script = self.directory / "lab"
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m lab "$@"\n')
        script.chmod(0o755)

    def path_with_shim(self, path: str) -> str:
        """PATH with the shim's directory first."""
        return f"{self.directory}:{path}" if path else str(self.directory)

    def close(self) -> None:
        """Remove the directory."""
        shutil.rmtree(self.directory, ignore_errors=True)
