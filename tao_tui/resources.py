"""Where the bundled data lives, in a checkout and in an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def templates_dir() -> Path:
    """The ``specs_templates`` folder: inside the wheel, or at the top of a checkout."""
    for candidate in (_PKG / "specs_templates", _PKG.parent / "specs_templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("specs_templates not found next to tao_tui; reinstall tao-tui")


def data_dir() -> Path:
    """Package data (catalog tables) that ships inside ``tao_tui/data``."""
    return _PKG / "data"
