"""kill -9 during `tao-tui set`, 200 times at random points: afterwards project.yaml is the one truth
(the specs on disk are what it renders to), no temp file is left, and the value is the old or the new.

The process is forked from the test (imports already loaded, so a try costs milliseconds, not a
Python start) and killed with SIGKILL either at a random moment or at a named fault point
(``TAO_TUI_FAULT``: between a temp file's write and its rename, after the journal, between the renames,
after project.yaml was saved).
"""

from __future__ import annotations

import io
import os
import random
import signal
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tao_tui.cli import main
from tao_tui.project import Project

POINTS = ["atomic_write:written", "atomic_write:written:2", "atomic_write:written:3", "locked:journaled",
          "write_together:renamed", "write_together:renamed:2", "locked:changed", "locked:saved"]
TRIES = 200
NETWORK, PATH = "classification_tf1", "train_config.n_epochs"  # a quick network: ~0.07 s a `set`


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    with redirect_stdout(io.StringIO()):
        assert main(["new", "--network", NETWORK, "--dir", str(root), "--tao-version", "5.0.0",
                     "--image", "tao-tui-test/fake-tao:latest", "--yes"]) == 0
    return root


def _set_in_child(root: Path, epochs: int, fault: str | None) -> int:
    pid = os.fork()
    if pid == 0:  # the child: `tao-tui set`, possibly killed by its own fault point
        try:
            if fault:
                os.environ["TAO_TUI_FAULT"] = fault
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                code = main(["set", "--project", str(root), f"{PATH}={epochs}"])
        except BaseException:  # noqa: BLE001 - the child reports by its exit code only
            code = 99
        os._exit(code)
    return pid


_EXPECTED: dict[int, dict[str, str]] = {}


def _specs_agree(root: Path, epochs: int) -> tuple[bool, str]:
    """specs/ on disk == what project.yaml (num_epochs = ``epochs``) renders to (cached per value)."""
    from tao_tui.workflow.create import render_specs

    if epochs not in _EXPECTED:
        docs = render_specs(Project.load(root), write=False)
        _EXPECTED[epochs] = {name: doc.render() for name, doc in docs.items()}
    for name, text in _EXPECTED[epochs].items():
        if (root / "specs" / name).read_text(encoding="utf-8") != text:
            return False, name
    return True, ""


def _temp_files(root: Path) -> list[str]:
    return [p.name for folder in (root, root / "specs") for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_kill_9_during_set_200_times(project):
    rng = random.Random(20261130)
    spans = []
    for epochs in (5, 7):  # warm: how long one `set` takes here, to spread the random kills over it
        t0 = time.monotonic()
        pid = _set_in_child(project, epochs, None)
        assert os.waitpid(pid, 0)[1] == 0
        spans.append(time.monotonic() - t0)
    span = max(min(spans), 0.01)
    key = next(k for k in Project.load(project).params if k.endswith(":" + PATH))
    value = 7
    outcomes = {"killed": 0, "finished": 0}
    for i in range(TRIES):
        new = 5 if value == 7 else 7
        fault = POINTS[i % len(POINTS)] if i % 3 == 0 else None
        pid = _set_in_child(project, new, fault)
        if fault is None:
            time.sleep(rng.uniform(0, span))
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status)
        outcomes["killed" if killed else "finished"] += 1
        if not killed:
            assert os.WEXITSTATUS(status) == 0, f"try {i}: set exited {os.WEXITSTATUS(status)}"
        project_now = Project.load(project)  # what any later command does first: repairs a crash's leftovers
        epochs = int(project_now.params[key])
        assert epochs in (value, new), f"try {i}: {PATH} {epochs}, expected {value} or {new}"
        ok, name = _specs_agree(project, epochs)
        assert ok, f"try {i} ({fault or 'random kill'}): specs/{name} disagrees with project.yaml"
        assert not _temp_files(project), f"try {i}: temp files left: {_temp_files(project)}"
        value = epochs
    assert outcomes["killed"] >= TRIES // 5, outcomes  # the faults did land (random kills may come late)
    print(outcomes, file=sys.stderr)
