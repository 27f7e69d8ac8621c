"""What a stage's latest run produced: status, exit code, duration, output files, KPIs, the error
explained, and — where the fix is a safe value — the change that applies it. Plain Python (core).

Everything comes from the project folder: ``project.yaml`` (the stage's status), the run's
``run.json`` / ``result.json`` (written by the runner), its ``events.jsonl`` (folded by the one
``ProgressState``: mAP, AP per class, KPIs such as prune's pruning ratio or accuracy) and the
stage's results folder on disk.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tao_tui.progress import ERROR_RULES, ProgressEvent, ProgressState
from tao_tui.project import Project

MAX_FILES = 200
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
# rule id (tao_tui.progress.error_rules, from reference/tao-pitfalls.md) -> the safe-parameter kind
# whose lower value fixes it: out of GPU memory -> lower the batch size (NVIDIA's troubleshooting
# guide: "reduce the batch size")
SAFE_FIXES = {"P5": "batch_size"}


@dataclass
class SafeFix:
    """A value change that fixes the error: ``key`` (``spec:path``), ``old`` -> ``new``."""

    key: str
    path: str
    old: object
    new: object

    @property
    def label(self) -> str:
        return f"set {self.path} from {self.old} to {self.new}"


@dataclass
class StageResults:
    stage: str
    run_id: str | None
    status: str  # pending | running | done | failed | stopped
    exit_code: int | None = None
    started: float | None = None  # epoch seconds
    finished: float | None = None
    message: str | None = None
    outputs: list[tuple[str, int]] = field(default_factory=list)  # (path under results/<stage>, bytes)
    more_files: int = 0  # files not listed (past MAX_FILES)
    state: ProgressState = field(default_factory=ProgressState)
    fix: SafeFix | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started is None:
            return None
        return (self.finished or 0) - self.started if self.finished else None

    @property
    def kpis(self) -> dict[str, float]:
        """mAP (%), then every named number the run printed (accuracy, pruning_ratio, ...)."""
        out: dict[str, float] = {}
        if self.state.map is not None:
            out["mAP"] = self.state.map
        out.update(self.state.kpi)
        return out

    @property
    def images(self) -> list[str]:
        return [p for p, _ in self.outputs if p.lower().endswith(IMAGE_SUFFIXES)]


def read_events(path: Path) -> list[ProgressEvent]:
    """The events of ``events.jsonl`` (a line cut by a crash is skipped)."""
    events = []
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    events.append(ProgressEvent.from_dict(json.loads(line)))
                except (ValueError, TypeError):
                    continue
    except OSError:
        return []
    return events


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def output_files(folder: Path, limit: int = MAX_FILES) -> tuple[list[tuple[str, int]], int]:
    """Files under ``folder`` (relative paths, sizes in bytes), sorted; at most ``limit``, and how
    many more there are."""
    found: list[tuple[str, int]] = []
    more = 0
    if not folder.is_dir():
        return found, 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if len(found) >= limit:
                more += 1
                continue
            try:
                found.append((path.relative_to(folder).as_posix(), path.stat().st_size))
            except OSError:
                continue
    return found, more


def safe_fix(project: Project, error: ProgressEvent | None) -> SafeFix | None:
    """The safe value change that fixes ``error``, if there is one: out of GPU memory -> half the
    batch size (at least 1). None when the error has no such fix or the value is already 1."""
    if error is None or not error.message:
        return None
    rule = next((r for r in ERROR_RULES if r.message == error.message), None)
    kind = SAFE_FIXES.get(rule.id) if rule else None
    if not kind:
        return None
    from tao_tui.specs.netdef import load_network

    net = load_network(project.network, version=project.tao_version)
    param = next((p for p in net.safe_params if p.kind == kind), None)
    if param is None:
        return None
    current = project.params.get(param.key, param.default)
    try:
        old = int(current)
    except (TypeError, ValueError):
        return None
    if old <= 1:
        return None
    return SafeFix(param.key, param.path, old, max(1, old // 2))


def stage_results(project: Project, stage: str) -> StageResults:
    """The latest run of ``stage`` as recorded on disk (see the module's docstring)."""
    st = project.stages.get(stage)
    run_id = st.run_id if st and st.run_id else project.latest_run(stage)
    res = StageResults(stage, run_id, st.status if st else "pending")
    if st:
        res.exit_code, res.started, res.finished, res.message = st.exit_code, st.started, st.finished, st.message
    if run_id:
        run_dir = project.run_dir(run_id)
        record = _read_json(run_dir / "run.json")
        result = _read_json(run_dir / "result.json")
        res.started = res.started or record.get("started")
        if result:
            res.status = result.get("status", res.status)
            res.exit_code = result.get("exit_code", res.exit_code)
            res.finished = result.get("finished", res.finished)
            res.message = result.get("message", res.message)
        res.state.apply_all(read_events(run_dir / "events.jsonl"))
    res.outputs, res.more_files = output_files(project.results_dir(stage))
    if res.status == "failed":
        res.fix = safe_fix(project, res.state.error)
    return res
