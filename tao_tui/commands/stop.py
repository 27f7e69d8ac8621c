"""`tao-tui stop [STAGE]`: stop a running stage (SIGINT first, then stop after a timeout)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("stage", nargs="?", help="stage id (default: every running stage of the project)")
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait after SIGINT (default 10)")


def run(args: argparse.Namespace) -> int:
    from tao_tui.project import Project
    from tao_tui.runtime.runner import AlreadyAttached, StageRunner

    project = Project.load(args.project)
    runner = StageRunner(project)
    if args.stage:
        runner.pipe.stage(args.stage)
    stopped = runner.stop(args.stage, timeout=args.timeout)
    if not stopped:
        print("nothing is running" + (f" for stage {args.stage}" if args.stage else ""))
        return 0
    for run_id in stopped:
        print(f"stopped {run_id}")
        try:
            runner.attach(run_id)  # no follower attached: record the result ourselves
        except AlreadyAttached:
            pass  # the attached process records it
    return 0
