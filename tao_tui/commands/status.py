"""`tao-tui status`: the stages of a project, their results and their `tao` lines."""

from __future__ import annotations

import argparse
import json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def progress_of(project, run_id: str | None, exit_code: int | None = None, stopped: bool = False) -> str | None:
    """The run's progress line, folded from its events.jsonl by ``ProgressState`` (epoch, loss,
    mAP, ETA), the same fold as ``tao-tui progress --summary`` and the wizard; ``exit_code``: the
    container's exit when it has ended (no ETA then)."""
    if not run_id:
        return None
    from tao_tui.progress import ProgressEvent, ProgressState

    path = project.run_dir(run_id) / "events.jsonl"
    if not path.is_file():
        return None
    state = ProgressState()
    with path.open(encoding="utf-8", errors="replace", newline="\n") as fh:  # a torn/odd byte: that line only
        for line in fh:
            try:
                state.apply(ProgressEvent.from_dict(json.loads(line)))
            except (ValueError, TypeError):
                continue  # a line cut by a crash
    if exit_code is not None:
        state.set_exit(exit_code, stopped)
    return state.summary() or None


def stage_rows(project) -> list[dict]:
    from tao_tui.workflow.commands import build_command
    from tao_tui.workflow.stages import Pipeline

    pipe = Pipeline.for_project(project)
    rows = []
    for stage in pipe.stages:
        st = project.stages.get(stage.id)
        try:
            line = build_command(pipe, stage.id, have_key=True).display
        except Exception as exc:  # noqa: BLE001 - a broken stage must not hide the others
            line = f"(cannot build: {exc})"
        rows.append({
            "stage": stage.id,
            "task": stage.task,
            "status": st.status if st else "pending",
            "run_id": st.run_id if st else None,
            "exit_code": st.exit_code if st else None,
            "message": st.message if st else None,
            "outputs": st.outputs if st else {},
            "progress": progress_of(
                project,
                st.run_id if st else None,
                st.exit_code if st else None,
                bool(st and st.status == "stopped"),
            ),
            "command": line,
        })
    return rows


def _verified(project) -> bool:
    """False when the project's network at its TAO version is not checked against NVIDIA's source."""
    from tao_tui.specs.netdef import project_network

    return project_network(project).verified


def _check_running(project) -> list[str]:
    """A stage project.yaml calls running is checked against the engine: a removed container or a start
    cut short by a crash is recorded as failed (and said), instead of "running" forever. Without an
    engine (offline, another machine) nothing is changed."""
    if not any(st.status == "running" for st in project.stages.values()):
        return []
    from tao_tui.errors import TaoTuiError
    from tao_tui.runtime.runner import StageRunner

    try:
        return StageRunner(project).recover()
    except TaoTuiError:
        return []


def run(args: argparse.Namespace) -> int:
    from tao_tui.preflight import class_mapping_of
    from tao_tui.project import Project
    from tao_tui.workflow.create import format_classes

    project = Project.load(args.project)
    notes = _check_running(project)
    if notes:
        project = Project.load(project.root)
    rows = stage_rows(project)
    mapping = class_mapping_of(project)
    if args.json:
        print(json.dumps({"project": str(project.root), "network": project.network,
                          "tao_version": project.tao_version, "image": project.image,
                          "verified": _verified(project),
                          "classes": format_classes(mapping) if mapping is not None else None,
                          "stages": rows}, indent=2))
        return 0
    print(f"{project.network} · TAO {project.tao_version} · {project.image}")
    from tao_tui.specs.downloaded import download_note
    from tao_tui.specs.netdef import project_network, verified_note

    if note := verified_note(project_network(project)):  # stages/flags/outputs without public source
        print(f"  ! {note}")
    if note := download_note(project):  # conversational: NVIDIA's specs come out of the container
        print(f"  {note}")
    if mapping is not None:
        print(f"  classes: {format_classes(mapping)}")
    for note in notes:
        print(f"  note: {note}")
    for r in rows:
        extra = f"  run {r['run_id']}" if r["run_id"] else ""
        if r["exit_code"] not in (None, 0):
            extra += f"  exit {r['exit_code']}"
        print(f"  {r['stage']:<20} {r['status']:<8}{extra}")
        if r["progress"]:
            print(f"      {r['progress']}")
        if r["message"]:
            print(f"      {r['message']}")
        print(f"      $ {r['command']}")
    return 0
