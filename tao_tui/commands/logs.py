"""`tao-tui logs [STAGE] [-f]`: print a run's log from disk; follow it live with -f."""

from __future__ import annotations

import argparse
import sys
import time

from tao_tui.runtime.tail import strip_ts


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("stage", nargs="?", help="stage id (default: the most recent run)")
    p.add_argument("--project", default=".", help="project folder (default: the current folder)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines until the run ends")
    p.add_argument("--timestamps", action="store_true", help="show the engine timestamp of each line")


def run(args: argparse.Namespace) -> int:
    from tao_tui.errors import UserError
    from tao_tui.project import Project
    from tao_tui.runtime.runner import AlreadyAttached, StageRunner

    project = Project.load(args.project)
    run_id = project.latest_run(args.stage)
    if run_id is None:
        what = f"stage {args.stage}" if args.stage else "this project"
        raise UserError(f"{what} has no run yet", "start one with `tao-tui run STAGE`", field="stage")
    log_path = project.run_dir(run_id) / "log"
    result = project.run_dir(run_id) / "result.json"

    def show(data: bytes) -> None:
        write_log_lines(data, timestamps=args.timestamps)

    pos = _print_complete(log_path, 0, show)
    sys.stdout.flush()
    if not args.follow or result.exists():
        _say_result(result, run_id)
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
    tail_until_result(log_path.parent, pos, show)
    return 0


def write_log_lines(data: bytes, *, timestamps: bool = False) -> None:
    """Complete run-log lines (bytes, each ending in b"\\n") to stdout, without the engine's
    timestamps unless ``timestamps``: split on \\n only, so \\r, \\f and U+2028 inside a line
    stay in it; invalid UTF-8 is shown replaced but never shifts an offset."""
    lines = data.decode("utf-8", "replace").split("\n")[:-1]
    sys.stdout.write("".join((line if timestamps else strip_ts(line)) + "\n" for line in lines))


def tail_until_result(run_dir, pos: int, show) -> None:
    """Another process follows the run and writes its log: show the log's complete lines from
    byte ``pos`` (``show(bytes)``) until result.json is recorded, then the rest."""
    log_path, result = run_dir / "log", run_dir / "result.json"
    while True:
        done = result.exists()
        pos = _print_complete(log_path, pos, show)
        sys.stdout.flush()
        if done:
            _print_complete(log_path, pos, show, final=True)
            return
        time.sleep(0.5)


def _say_result(result, run_id: str) -> None:
    """A failed run's recorded reason on stderr (e.g. a container that never started has no log)."""
    import json

    try:
        data = json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(data, dict) and data.get("status") not in (None, "done") and data.get("message"):
        print(f"run {run_id}: {data.get('status')}: {data.get('message')}", file=sys.stderr)


def _print_complete(path, pos: int, show, *, final: bool = False) -> int:
    """Show the complete lines of ``path`` from byte ``pos``; returns the offset after the last one
    shown (a line still being written waits, unless ``final``)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(pos)
            data = fh.read()
    except FileNotFoundError:
        return pos
    end = len(data) if final else data.rfind(b"\n") + 1
    chunk = data[:end]
    if final and chunk and not chunk.endswith(b"\n"):
        chunk += b"\n"
    if chunk:
        show(chunk)
    return pos + end
