"""Disk full (ENOSPC) while a run is followed, on the real engine with the fake TAO image: the follower
stops with one message naming the file, the system's words and the fix (no traceback); the container is
neither stopped nor removed, and nothing is recorded (the stage stays "running", no result.json); once
space is free, `tao-tui logs -f STAGE` goes on: the run log equals `docker logs --timestamps` line for
line (none lost, none doubled), what `logs -f` printed is the whole log once, and the result is recorded.

The disk fills at one of the follower's writes, and from then on every write of the follower fails:
* ``log``: the run log, after 12 lines (the 13th is written half: a torn line on disk);
* ``events``: events.jsonl, at its 3rd append;
* ``record``: project.yaml, when the result is recorded (the container has exited).
"""

from __future__ import annotations

import errno
import io
import os
import pathlib
from contextlib import redirect_stderr, redirect_stdout

import pytest
from test_pipeline import _project, dataset, test_env  # noqa: F401 - fixtures

import tao_tui.project as project_mod
import tao_tui.runtime.logstream as logstream_mod
from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.runtime.engine import Engine
from tao_tui.runtime.runner import LABEL_RUN
from tao_tui.runtime.tail import strip_ts

STAGE = "train"
ENOSPC = os.strerror(errno.ENOSPC)


class Disk:
    """The follower's view of the disk: ``full`` once the armed write is reached."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.where = "none"  # armed (= kind) only while the test's `logs -f` follows
        self.full = False
        self.log_lines = 12  # ``log``: lines written before the disk fills
        self.event_writes = 2  # ``events``: appends to events.jsonl before the disk fills

    def check(self, filename: str | None = None) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, ENOSPC, filename)


class _LogOS:
    """``os`` as the log sink sees it: the disk fills part-way through a write (a short write, then
    ENOSPC on the next one, as the kernel does)."""

    def __init__(self, disk: Disk) -> None:
        self._disk = disk

    def __getattr__(self, name):
        return getattr(os, name)

    def write(self, fd, data):
        disk = self._disk
        disk.check()
        data = bytes(data)
        if disk.where == "log":
            lines = data.count(b"\n")
            if lines > disk.log_lines:
                cut = 0
                for _ in range(disk.log_lines):
                    cut = data.index(b"\n", cut) + 1
                end = data.index(b"\n", cut)
                disk.full = True
                return os.write(fd, data[: cut + max(1, (end - cut) // 2)])  # a torn line
            disk.log_lines -= lines
        return os.write(fd, data)


class _EventsFile:
    def __init__(self, fh, disk: Disk) -> None:
        self._fh, self._disk = fh, disk

    def write(self, text):
        disk = self._disk
        disk.check()
        if disk.where == "events":
            if disk.event_writes <= 0:
                disk.full = True
                disk.check()
            disk.event_writes -= 1
        return self._fh.write(text)

    def flush(self):
        self._disk.check()
        return self._fh.flush()

    def __getattr__(self, name):
        return getattr(self._fh, name)


class _ProjectOS:
    """``os`` as tao_tui.project's atomic writer sees it: ``record`` fills the disk when the result is
    written to project.yaml (whatever was written before it stays)."""

    def __init__(self, disk: Disk) -> None:
        self._disk = disk

    def __getattr__(self, name):
        return getattr(os, name)

    def open(self, path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            name = os.path.basename(os.fspath(path))
            if self._disk.where == "record" and name.startswith(".project.yaml."):
                self._disk.full = True
            self._disk.check(os.fspath(path))
        return os.open(path, flags, *args, **kwargs)

    def write(self, fd, data):
        self._disk.check()
        return os.write(fd, data)


@pytest.fixture
def disk(request, monkeypatch) -> Disk:
    d = Disk(request.param)
    real_open = pathlib.Path.open

    def path_open(self, mode="r", *args, **kwargs):
        fh = real_open(self, mode, *args, **kwargs)
        return _EventsFile(fh, d) if self.name == "events.jsonl" and "a" in mode else fh

    monkeypatch.setattr(logstream_mod, "os", _LogOS(d))
    monkeypatch.setattr(project_mod, "os", _ProjectOS(d))
    monkeypatch.setattr(pathlib.Path, "open", path_open)
    return d


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("disk", ["log", "events", "record"], indirect=True)
def test_disk_full_while_following_then_logs_f_goes_on(
    tmp_path, dataset, tao_test_image, engine, test_env, disk, monkeypatch  # noqa: F811
):
    root = _project(tmp_path, dataset, tao_test_image)
    assert _cli("run", "dataset_convert", "--project", str(root), "--quiet")[0] == 0
    project = Project.load(root)
    project.env["FAKE_TAO_LINE_DELAY"] = "0.03"  # train prints ~70 lines in ~2 s
    project.save()
    code, _, err = _cli("run", STAGE, "--project", str(root), "--detach", "--skip-checks")
    assert code == 0, err
    run_id = Project.load(root).stages[STAGE].run_id
    run_dir = root / "runs" / run_id
    [info] = engine.find({LABEL_RUN: run_id})

    # the disk fills while `logs -f` follows
    disk.where = disk.kind
    code, _, err = _cli("logs", "-f", STAGE, "--project", str(root))
    assert disk.full, "the fault never fired"
    lines = err.strip().splitlines()
    assert code == 2 and "Traceback" not in err and "internal error" not in err, err
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("  fix: "), err
    named = {"log": [f"{run_dir / 'log'}:"], "events": [f"{run_dir / 'events.jsonl'}:"],
             "record": [f"{root / 'project.yaml'}:"]}[disk.kind]
    assert any(f" {n} {ENOSPC}" in lines[0] for n in named), err
    assert run_id in lines[0] and "container is left as it is" in lines[0] and "nothing was recorded" in lines[0], err
    assert "disk is full" in lines[1] and f"tao-tui logs -f {STAGE} --project {root}" in lines[1], err
    # the container was left alone, and nothing was recorded
    container = engine.client.containers.get(info.id)
    if disk.kind != "record":
        assert container.status == "running", "the follower failed early: the container must run on"
    assert not (run_dir / "result.json").exists()
    assert Project.load(root).stages[STAGE].status == "running"
    if disk.kind == "log":
        assert not (run_dir / "log").read_bytes().endswith(b"\n"), "the fault should leave a torn line"

    # space is freed: `logs -f` goes on (live, while the container still runs, except for `record`)
    disk.full, disk.where = False, "none"
    theirs: list[str] = []
    real_remove = Engine.remove

    def remove(self, container_id, **kwargs):  # the engine's own log, read before the container goes
        if container_id == info.id:
            theirs.extend(self.logs(container_id, timestamps=True).decode().splitlines())
        return real_remove(self, container_id, **kwargs)

    monkeypatch.setattr(Engine, "remove", remove)
    code, out, err = _cli("logs", "-f", STAGE, "--project", str(root))
    assert code == 0 and "Traceback" not in err, err
    assert len(theirs) > 60, "the finished container is removed once recorded (its log read just before)"
    ours = (run_dir / "log").read_text(encoding="utf-8").splitlines()
    assert ours == theirs  # line for line: none lost, none doubled
    assert out.splitlines() == [strip_ts(line) for line in theirs]  # what logs -f printed: the whole log, once
    assert (run_dir / "result.json").exists()
    assert Project.load(root).stages[STAGE].status == "done"
    assert not engine.find({LABEL_RUN: run_id})
    import json

    events = [json.loads(x) for x in (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(e["kind"] == "epoch" for e in events)
