"""kill -9 at random points of `tao-tui run --detach` (50 tries): afterwards `status`, `run`, `logs`
and `stop` work and say what happened; no container is left created, none runs unrecorded, no run
stays open without a container, and Docker holds no key.

The process is forked from the test (imports loaded: a try costs the engine calls, not a Python start)
and killed with SIGKILL at a random moment, or at a named fault point (``TAO_TUI_FAULT``: after
run.json is recorded, after the container started, inside an atomic write, inside the project lock).
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import time
from contextlib import redirect_stderr, redirect_stdout

from test_pipeline import SECRET, _project, dataset, test_env  # noqa: F401 - fixtures

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.runtime.runner import LABEL_PROJECT

TRIES = 50
STAGE = "dataset_convert"
POINTS = ["start:recorded", "start:started", "atomic_write:written", "atomic_write:written:2",
          "locked:journaled", "locked:saved"]


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


def _child(root, fault: str | None) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            if fault:
                os.environ["TAO_TUI_FAULT"] = fault
            code, _ = _cli("run", STAGE, "--project", str(root), "--detach", "--skip-checks")
        except BaseException:  # noqa: BLE001 - the child reports by its exit code only
            code = 99
        os._exit(code)
    return pid


def test_kill_9_during_run_detach_50_times(tmp_path, dataset, tao_test_image, engine, test_env):  # noqa: F811
    root = _project(tmp_path, dataset, tao_test_image, version="4.0.1", delay="0.05")
    project_id = Project.load(root).id
    rng = random.Random(1130)
    t0 = time.monotonic()
    pid = _child(root, None)
    assert os.waitpid(pid, 0)[1] == 0
    span = time.monotonic() - t0
    outcomes = {"killed": 0, "finished": 0}
    try:
        for i in range(TRIES):
            fault = POINTS[i % len(POINTS)] if i % 2 == 0 else None
            # every try starts with nothing running: stop (which also recovers and records) the last one
            code, text = _cli("stop", STAGE, "--project", str(root), "--timeout", "3")
            assert code == 0 and "Traceback" not in text, (i, text)
            pid = _child(root, fault)
            if fault is None:
                time.sleep(rng.uniform(0.0, span * 0.9))
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            killed = os.WIFSIGNALED(status)
            outcomes["killed" if killed else "finished"] += 1
            assert killed or os.WEXITSTATUS(status) == 0, (i, fault, os.WEXITSTATUS(status))
            code, text = _cli("status", "--project", str(root))
            assert code == 0 and "Traceback" not in text, (i, text)
            if i % 5 == 0:  # run, logs and stop as a user would, after the crash
                code, text = _cli("run", STAGE, "--project", str(root), "--detach", "--skip-checks")
                assert code == 0 and ("started" in text or "already running" in text), (i, text)
                code, text = _cli("logs", STAGE, "--project", str(root))
                assert code in (0, 1) and "Traceback" not in text, (i, text)
                assert "lost the connection" not in text and "Resource ID" not in text, (i, text)
        code, text = _cli("stop", STAGE, "--project", str(root), "--timeout", "3")
        assert code == 0, text
        # nothing left behind: no container, no open run, the stage not "running"
        left = engine.find({LABEL_PROJECT: project_id})
        assert all(c.status not in ("running", "created") for c in left), left
        for run_dir in (root / "runs").iterdir():
            if run_dir.is_dir():
                assert (run_dir / "result.json").exists(), f"{run_dir.name} left open"
        assert Project.load(root).stages[STAGE].status != "running"
        code, text = _cli("run", STAGE, "--project", str(root), "--skip-checks", "--quiet")
        assert code == 0 and f"{STAGE}: done" in text, text
        assert outcomes["killed"] >= TRIES // 3, outcomes  # the kills did land (the rest finished first)
    finally:
        for c in engine.find({LABEL_PROJECT: project_id}):
            assert SECRET not in json.dumps(engine.client.api.inspect_container(c.id))
            engine.remove(c.id)
