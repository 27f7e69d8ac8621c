"""The project folder on disk: the single source of truth the UI and the CLI read back.

```
<project>/project.yaml          network, TAO version, image, mounts, GPUs, parameters, stage results
<project>/specs/                the spec files, NVIDIA's except for the values the user changed
<project>/results/<stage>/      what each stage writes (mounted into the container)
<project>/pretrained/           NVIDIA's pretrained weights (NGC download folder)
<project>/runs/<run-id>/        log (every line, engine timestamp first), events.jsonl, run.json, result.json
```
Every write is atomic (temp file + rename). The encryption key is never written here.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from tao_tui.errors import UserError

PROJECT_FILE = "project.yaml"
CONTAINER_ROOT = "/workspace/tao-experiments"
CONTAINER_DATA = f"{CONTAINER_ROOT}/data"
STAGE_STATES = ("pending", "running", "done", "failed", "stopped")


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write ``path`` so that readers see the old or the new content, never a torn file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclass
class MountDef:
    source: str
    destination: str
    read_only: bool = False


@dataclass
class StageResult:
    status: str = "pending"
    run_id: str | None = None
    exit_code: int | None = None
    started: float | None = None
    finished: float | None = None
    message: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Project:
    root: Path
    id: str
    network: str
    tao_version: str
    image: str | None = None
    dataset: str | None = None
    gpus: int = 1
    gpu_index: list[int] = field(default_factory=list)
    user: str | None = None
    mounts: list[MountDef] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # extra container environment (never the key)
    container_network: bool = True  # False: the container gets no network (tests; air-gapped boxes)
    params: dict[str, Any] = field(default_factory=dict)
    unlocked: list[str] = field(default_factory=list)
    stages: dict[str, StageResult] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    # not saved: what the last spec rendering adjusted on its own (e.g. intervals fitted to the epochs)
    notices: list[str] = field(default_factory=list, repr=False, compare=False)

    # ------------------------------------------------------------------ folders
    @property
    def specs_dir(self) -> Path:
        return self.root / "specs"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def results_dir(self, stage_id: str) -> Path:
        return self.root / "results" / stage_id

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def stage(self, stage_id: str) -> StageResult:
        return self.stages.setdefault(stage_id, StageResult())

    # ------------------------------------------------------------------ mounts
    def all_mounts(self) -> list[MountDef]:
        """The project folder at CONTAINER_ROOT, the dataset at CONTAINER_DATA, then the user's own."""
        mounts = [MountDef(str(self.root.resolve()), CONTAINER_ROOT)]
        if self.dataset:
            ds = Path(self.dataset).expanduser().resolve()
            mounts.append(MountDef(str(ds), CONTAINER_DATA, read_only=True))
        mounts.extend(self.mounts)
        return mounts

    def to_container(self, host: Path | str) -> str:
        """Host path -> container path (the longest mount source that contains it)."""
        host_p = Path(host).expanduser().resolve()
        best: tuple[int, str] | None = None
        for m in self.all_mounts():
            src = Path(m.source)
            if host_p == src or src in host_p.parents:
                rel = host_p.relative_to(src).as_posix()
                cpath = m.destination if rel == "." else f"{m.destination.rstrip('/')}/{rel}"
                if best is None or len(m.source) > best[0]:
                    best = (len(m.source), cpath)
        if best is None:
            raise UserError(
                f"{host_p} is not inside any folder mounted into the container",
                "put it under the project folder or the dataset folder, or add a mount for it",
                field="path",
            )
        return best[1]

    def to_host(self, container: str) -> Path:
        """Container path -> host path (the longest mount destination that contains it)."""
        cpath = PurePosixPath(container)
        best: tuple[int, Path] | None = None
        for m in self.all_mounts():
            dest = PurePosixPath(m.destination)
            if cpath == dest or dest in cpath.parents:
                rel = cpath.relative_to(dest)
                if best is None or len(str(dest)) > best[0]:
                    best = (len(str(dest)), Path(m.source) / rel)
        if best is None:
            raise UserError(
                f"container path {container} is not under any mount",
                f"use a path under {CONTAINER_ROOT} (the project) or {CONTAINER_DATA} (the dataset)",
                field="path",
            )
        return best[1]

    # ------------------------------------------------------------------ runs
    def new_run_id(self, stage_id: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return f"{stage_id}-{stamp}-{secrets.token_hex(2)}"

    def latest_run(self, stage_id: str | None = None) -> str | None:
        """The newest run id of ``stage_id`` (or of any stage)."""
        if stage_id and self.stages.get(stage_id) and self.stages[stage_id].run_id:
            return self.stages[stage_id].run_id
        if not self.runs_dir.is_dir():
            return None
        runs = [p for p in self.runs_dir.iterdir() if p.is_dir()]
        if stage_id:
            runs = [p for p in runs if p.name.startswith(f"{stage_id}-") and run_stage(p.name) == stage_id]
        if not runs:
            return None
        return max(runs, key=lambda p: p.stat().st_mtime).name

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("root")
        data.pop("notices")
        data["mounts"] = [asdict(m) for m in self.mounts]
        data["stages"] = {k: asdict(v) for k, v in self.stages.items()}
        return data

    def save(self) -> None:
        atomic_write(self.root / PROJECT_FILE, yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    @contextmanager
    def locked(cls, root: Path | str) -> Iterator[Project]:
        """Read-modify-write project.yaml under an exclusive lock (several tao-tui processes may
        record stages at the same time); saved when the block ends without an error."""
        root = Path(root).expanduser()
        with open(root / ".project.lock", "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            project = cls.load(root)
            yield project
            project.save()

    @classmethod
    def load(cls, root: Path | str) -> Project:
        root = Path(root).expanduser()
        path = root / PROJECT_FILE
        if not path.is_file():
            raise UserError(
                f"{root} is not a tao-tui project (no {PROJECT_FILE})",
                "create one with `tao-tui new --network NAME --dir DIR --yes`, or pass the right --project",
                field="--project",
            )
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise UserError(f"{where}: project.yaml is not valid YAML", "fix the file or recreate the project") from None
        try:
            stages = {k: StageResult(**v) for k, v in (data.pop("stages", None) or {}).items()}
            mounts = [MountDef(**m) for m in data.pop("mounts", None) or ()]
            return cls(root=root, stages=stages, mounts=mounts, **data)
        except TypeError as exc:
            raise UserError(f"{path}: unexpected content ({exc})", "recreate the project") from None


_RUN_RE = re.compile(r"^(?P<stage>.+)-\d{8}-\d{6}-[0-9a-f]{4}$")


def run_stage(run_id: str) -> str | None:
    """The stage id a run id belongs to."""
    m = _RUN_RE.match(run_id)
    return m.group("stage") if m else None


def new_project_id() -> str:
    return secrets.token_hex(6)
