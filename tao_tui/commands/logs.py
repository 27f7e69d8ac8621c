"""`tao-tui logs [STAGE] [-f]`: print a run's log from disk; follow it live with -f."""

from __future__ import annotations

import argparse
import sys
import time


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("stage", nargs="?", help="stage id (default: the most recent run)")
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines until the run ends")
    p.add_argument("--timestamps", action="store_true", help="show the engine timestamp of each line")


def run(args: argparse.Namespace) -> int:
    from tao_tui.errors import UserError
    from tao_tui.project import Project
    from tao_tui.runtime.runner import AlreadyAttached, StageRunner, strip_ts

    project = Project.load(args.project)
    run_id = project.latest_run(args.stage)
    if run_id is None:
        what = f"stage {args.stage}" if args.stage else "this project"
        raise UserError(f"{what} has no run yet", "start one with `tao-tui run STAGE`", field="stage")
    log_path = project.run_dir(run_id) / "log"

    def show(raw: str) -> None:
        sys.stdout.write(raw if args.timestamps else strip_ts(raw) + "\n")

    pos = 0
    if log_path.exists():
        with log_path.open(encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                show(raw)
            pos = fh.tell()
    sys.stdout.flush()
    if not args.follow or (project.run_dir(run_id) / "result.json").exists():
        return 0
    runner = StageRunner(project)
    try:
        # nobody follows this run (the process that started it is gone): become its follower
        def sink(lines, events):
            for line in lines:
                sys.stdout.write(line + "\n")
            sys.stdout.flush()

        runner.attach(run_id, sink)
        return 0
    except AlreadyAttached:
        pass
    # another process writes the log: tail the file until the result is recorded
    while True:
        with log_path.open(encoding="utf-8", errors="replace") as fh:
            fh.seek(pos)
            chunk = fh.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            for raw in complete.splitlines(keepends=True):
                show(raw)
            pos += len(complete.encode("utf-8"))
        sys.stdout.flush()
        if (project.run_dir(run_id) / "result.json").exists() and not chunk[len(complete):]:
            with log_path.open(encoding="utf-8", errors="replace") as fh:
                fh.seek(pos)
                for raw in fh:
                    show(raw)
            return 0
        time.sleep(0.5)
