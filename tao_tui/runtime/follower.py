"""A run's follower as a process of its own: ``python -m tao_tui.runtime.follower PROJECT RUN_ID``.

The wizard starts one per running stage (:func:`spawn`) and reads what it writes (the run log,
events.jsonl, result.json: :mod:`tao_tui.runtime.tail`). Why a process and not a thread of the
wizard: parsing a fast log holds Python's GIL, and the wizard's keys waited for it (bench/bench_tui.py);
and in its own session the follower outlives the wizard and the SSH connection, so the run's log
and result are recorded even while nobody watches.

It does what ``tao-tui logs -f`` does when nobody follows (:meth:`StageRunner.attach`), quietly;
when another process already follows the run it exits 0 at once. Its own errors go to
``runs/<id>/follower.log`` (never the key: the follower does not have it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOG_NAME = "follower.log"


def spawn(root: Path, run_dir: Path) -> subprocess.Popen:
    """Start the follower of the run in ``run_dir`` (project ``root``) in a new session (a hang-up
    of the terminal does not reach it). Returns the process; the caller reaps it (``poll``).
    Raises OSError when the process cannot be started."""
    with open(run_dir / LOG_NAME, "ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tao_tui.runtime.follower", str(root), run_dir.name],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            start_new_session=True,
            close_fds=True,
        )


def start_open_runs(root: Path) -> dict[str, subprocess.Popen | None]:
    """A follower for every run of project ``root`` that has no result yet (run id -> process;
    None where it could not be started). Reads the project folder only: the wizard calls it
    before its UI starts, so that the followers' start overlaps its own."""
    from tao_tui.runtime.tail import open_runs

    out: dict[str, subprocess.Popen | None] = {}
    for run_id in open_runs(Path(root) / "runs"):
        try:
            out[run_id] = spawn(Path(root), Path(root) / "runs" / run_id)
        except OSError:
            out[run_id] = None  # the wizard tries again, and says why if it fails
    return out


def last_error(run_dir: Path) -> str | None:
    """The follower's last ``error:`` line (what stopped it), or None."""
    try:
        lines = (run_dir / LOG_NAME).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.startswith("error: "):
            return line[len("error: "):]
    return None


def main(argv: list[str] | None = None) -> int:
    """Follow one run to its end and record it. Exit 0: recorded, or another process follows it;
    else the error is the last ``error:`` line on stderr (the CLI's exit codes: errors.report_errors)."""
    from tao_tui.errors import report_errors
    from tao_tui.project import Project
    from tao_tui.runtime.runner import AlreadyAttached, StageRunner

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m tao_tui.runtime.follower PROJECT RUN_ID", file=sys.stderr)
        return 2
    root, run_id = args

    def follow() -> int:
        try:
            StageRunner(Project.load(root)).attach(run_id)
        except AlreadyAttached:
            pass  # another process follows it and records its result
        return 0

    return report_errors(follow)


if __name__ == "__main__":
    raise SystemExit(main())
