"""`tao-tui stop [STAGE]`: stop a running stage (SIGINT first, then stop after a timeout)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("stage", nargs="?", help="stage id (default: every running stage of the project)")
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait after SIGINT (default 10)")


def run(args: argparse.Namespace) -> int:
    import math

    from tao_tui.errors import UserError
    from tao_tui.project import Project
    from tao_tui.runtime.runner import AlreadyAttached, StageRunner

    if not (math.isfinite(args.timeout) and 0 < args.timeout <= 3600):
        raise UserError(f"--timeout must be a number of seconds above 0 and at most 3600 (got {args.timeout})",
                        "e.g. --timeout 10 (TAO gets this long to save after Ctrl-C)", field="--timeout")
    project = Project.load(args.project)
    runner = StageRunner(project)
    if args.stage is not None:
        runner.pipe.stage(args.stage)  # "" or an unknown stage: an error, never "every stage"
    for note in runner.recover(args.stage):
        print(f"note: {note}")
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
