"""NVIDIA's NGC CLI: fetch a pretrained model for the user when `ngc` is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tao_tui.errors import EnvironmentProblem
from tao_tui.preflight import ngc_download_command


def available() -> bool:
    return shutil.which("ngc") is not None


def download(ngc_name: str, dest: Path) -> None:
    """``ngc registry model download-version NAME --dest DEST`` (argv, no shell)."""
    dest.mkdir(parents=True, exist_ok=True)
    argv = ngc_download_command(ngc_name, dest)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        raise EnvironmentProblem(
            f"`{' '.join(argv)}` failed (exit {proc.returncode})",
            "run `ngc config set` with your NGC API key, then try again",
        )
