"""The recent-projects index: the projects this user created or opened, newest first.

A small JSON file in the user's data folder (``platformdirs.user_data_dir("tao-tui")``,
e.g. ``~/.local/share/tao-tui/recent.json``; ``$TAO_TUI_DATA`` overrides the folder), written
atomically. It only remembers folders: everything shown about a project (network, TAO version,
stage states) is read back from the project's own ``project.yaml``, the one truth. Entries
whose folder no longer holds a project are dropped when the index is read.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from tao_tui.project import PROJECT_FILE, Project, atomic_write_json

INDEX_FILE = "recent.json"
MAX_ENTRIES = 20


def data_dir() -> Path:
    """The user's tao-tui data folder (not created here)."""
    override = os.environ.get("TAO_TUI_DATA")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("tao-tui", appauthor=False))


def index_path() -> Path:
    return data_dir() / INDEX_FILE


@dataclass
class RecentProject:
    """One project of the index, as its project.yaml says now."""

    root: Path
    network: str
    tao_version: str
    stages: dict[str, str] = field(default_factory=dict)  # stage id -> recorded status, workflow order
    opened: float = 0.0  # seconds since the epoch, when it was last created or opened

    @property
    def running(self) -> list[str]:
        """Stages recorded as running (their containers may still be going: opening re-attaches)."""
        return [s for s, status in self.stages.items() if status == "running"]

    def summary(self) -> str:
        """One line: ``detectnet_v2 · TAO 5.0.0 · train running · 2/8 done``."""
        done = sum(1 for s in self.stages.values() if s == "done")
        failed = [s for s, status in self.stages.items() if status == "failed"]
        parts = [self.network, f"TAO {self.tao_version}"]
        if self.running:
            parts.append(", ".join(self.running) + " running")
        if failed:
            parts.append(", ".join(failed) + " failed")
        if self.stages:
            parts.append(f"{done}/{len(self.stages)} stages done")
        return " · ".join(parts)


def _read_raw() -> list[dict]:
    try:
        data = json.loads(index_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return []  # no index yet, or a damaged one: it is only a convenience, start afresh
    entries = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("root"), str)]


def _write_raw(entries: list[dict]) -> None:
    try:
        index_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(index_path(), {"projects": entries[:MAX_ENTRIES]})
    except OSError:
        pass  # a read-only home must not stop the wizard: the index is a convenience


def remember(root: Path | str) -> None:
    """Put ``root`` first in the index (called when a project is created or opened)."""
    resolved = str(Path(root).expanduser().resolve())
    entries = [e for e in _read_raw() if e["root"] != resolved]
    entries.insert(0, {"root": resolved, "opened": time.time()})
    _write_raw(entries)


def forget(root: Path | str) -> None:
    resolved = str(Path(root).expanduser().resolve())
    _write_raw([e for e in _read_raw() if e["root"] != resolved])


def recent_projects() -> list[RecentProject]:
    """The index, newest first, read back from each project.yaml; stale entries are dropped for good."""
    from tao_tui.errors import TaoTuiError

    out: list[RecentProject] = []
    kept: list[dict] = []
    raw = _read_raw()
    for entry in raw:
        root = Path(entry["root"])
        if not (root / PROJECT_FILE).is_file():
            continue
        kept.append(entry)
        try:
            project = Project.load(root)
            stages = _stage_states(project)
        except (TaoTuiError, OSError, ValueError):
            stages = {}
            project = None
        opened = entry.get("opened") if isinstance(entry.get("opened"), (int, float)) else 0.0
        out.append(RecentProject(
            root=root,
            network=project.network if project else "(project.yaml unreadable)",
            tao_version=project.tao_version if project else "?",
            stages=stages,
            opened=float(opened),
        ))
    if len(kept) != len(raw):
        _write_raw(kept)
    return out


def _stage_states(project: Project) -> dict[str, str]:
    from tao_tui.errors import TaoTuiError

    try:
        from tao_tui.workflow.stages import Pipeline

        order = [s.id for s in Pipeline.for_project(project).stages]
    except (TaoTuiError, OSError, ValueError, KeyError):
        order = list(project.stages)
    return {s: (project.stages[s].status if s in project.stages else "pending") for s in order}


def find_project_root(start: Path | str) -> Path | None:
    """``start`` or the nearest folder above it that holds a project.yaml (a user inside ``specs/``)."""
    path = Path(start).expanduser().resolve()
    for folder in (path, *path.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None
