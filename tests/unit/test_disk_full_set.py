"""Disk full (ENOSPC) at each write `tao-tui set` makes: exit 2, one message naming the file, what the
system said and the fix (no traceback); project.yaml and specs/ agree (the old value or the new one,
never a mix); no temp file is left; once space is free, the next command finds a sound project.

The fault is injected where the atomic writer meets the disk, in ``tao_tui.project`` only: creating
the temp file (``os.open`` / ``tempfile.mkstemp``), writing it (``os.write`` / the file's ``write``),
``os.fsync`` and ``os.replace``. From the n-th call of one of these on, every such call fails (a full
disk stays full), for n = 1, 2, … up to the number of calls one `set` makes.
"""

from __future__ import annotations

import errno
import io
import os
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from test_crash_set import PATH, project  # noqa: F401 - the same quick project (a fixture)

import tao_tui.project as project_mod
from tao_tui.cli import main
from tao_tui.project import JOURNAL, Project

KINDS = ("create", "write", "fsync", "replace")


class DiskFull:
    """Counts the atomic writer's calls by kind; from the ``nth`` call of ``kind`` on (while ``full``),
    each such call fails with ENOSPC, as the system call does (no file name for write/fsync)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.kind: str | None = None
        self.nth = 0
        self.full = False
        self.failed = 0

    def arm(self, kind: str, nth: int) -> None:
        self.calls.clear()
        self.kind, self.nth, self.full, self.failed = kind, nth, True, 0

    def hit(self, kind: str, *filenames: str) -> None:
        self.calls[kind] += 1
        if self.full and kind == self.kind and self.calls[kind] >= self.nth:
            self.failed += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), *filenames)


class _File:
    """A file from ``os.fdopen`` whose writes go through the fault."""

    def __init__(self, fh, disk: DiskFull) -> None:
        self._fh, self._disk = fh, disk

    def write(self, data):
        self._disk.hit("write")
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


class _OS:
    """``os`` as tao_tui.project sees it: the writer's calls pass through ``DiskFull``."""

    def __init__(self, disk: DiskFull) -> None:
        self._disk = disk

    def __getattr__(self, name):
        return getattr(os, name)

    def open(self, path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            self._disk.hit("create", os.fspath(path))
        return os.open(path, flags, *args, **kwargs)

    def write(self, fd, data):
        self._disk.hit("write")
        return os.write(fd, data)

    def fsync(self, fd):
        self._disk.hit("fsync")
        return os.fsync(fd)

    def replace(self, src, dst, *args, **kwargs):
        self._disk.hit("replace", os.fspath(src), None, os.fspath(dst))
        return os.replace(src, dst, *args, **kwargs)

    def fdopen(self, fd, *args, **kwargs):
        return _File(os.fdopen(fd, *args, **kwargs), self._disk)


class _Tempfile:
    """``tempfile`` as tao_tui.project sees it (an atomic writer built on ``mkstemp``)."""

    def __init__(self, disk: DiskFull) -> None:
        self._disk = disk

    def __getattr__(self, name):
        import tempfile

        return getattr(tempfile, name)

    def mkstemp(self, suffix=None, prefix=None, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
        import tempfile

        self._disk.hit("create", os.path.join(os.fspath(dir or "."), f"{prefix or ''}XXXXXXXX{suffix or ''}"))
        return tempfile.mkstemp(suffix, prefix, dir, **kwargs)


@pytest.fixture
def disk(monkeypatch) -> DiskFull:
    d = DiskFull()
    monkeypatch.setattr(project_mod, "os", _OS(d))
    if hasattr(project_mod, "tempfile"):
        monkeypatch.setattr(project_mod, "tempfile", _Tempfile(d))
    return d



def _cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


_RENDERED: dict[int, dict[str, str]] = {}


def _rendered(root: Path, epochs: int) -> dict[str, str]:
    """specs/ as project.yaml with ``PATH = epochs`` renders them (cached per value)."""
    from tao_tui.workflow.create import render_specs

    if epochs not in _RENDERED:
        project = Project._load_raw(root)
        key = next(k for k in project.params if k.endswith(":" + PATH))
        project.params[key] = epochs
        _RENDERED[epochs] = {name: doc.render() for name, doc in render_specs(project, write=False).items()}
    return _RENDERED[epochs]


def _on_disk(root: Path) -> tuple[int, str | None]:
    """(PATH's value in project.yaml, the first spec file that disagrees with it or None), read raw:
    no repair, as a crash or a full disk left them."""
    import yaml

    params = yaml.safe_load((root / "project.yaml").read_text(encoding="utf-8"))["params"]
    epochs = int(next(v for k, v in params.items() if k.endswith(":" + PATH)))
    for name, text in _rendered(root, epochs).items():
        if (root / "specs" / name).read_text(encoding="utf-8") != text:
            return epochs, name
    return epochs, None


def _temp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name.endswith(".tmp"))


def test_disk_full_at_each_write_of_set(project, disk):  # noqa: F811 - the fixture imported above
    assert _cli("set", "--project", str(project), f"{PATH}=10")[0] == 0
    disk.calls.clear()
    assert _cli("set", "--project", str(project), f"{PATH}=11")[0] == 0
    counts = dict(disk.calls)  # one `set`: the journal, each spec, tao_mounts.json, project.yaml
    assert min(counts.get(k, 0) for k in KINDS) >= 4, counts
    value = 11
    tries = 0
    for kind in KINDS:
        for nth in range(1, counts[kind] + 1):
            tries += 1
            new = value + 1
            where = f"{kind} #{nth}"
            disk.arm(kind, nth)
            code, err = _cli("set", "--project", str(project), f"{PATH}={new}")
            assert disk.failed, f"{where}: the fault never fired ({dict(disk.calls)})"
            # one message: what failed (the file, the system's words) and the fix; exit 2, no traceback
            lines = err.strip().splitlines()
            assert code == 2, (where, code, err)
            assert "Traceback" not in err and "internal error" not in err, (where, err)
            assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("  fix: "), (where, err)
            assert "No space left on device" in lines[0], (where, err)
            named = [w.strip("',:;()") for w in lines[0].split() if w.strip("',:;()").startswith(str(project))]
            assert named and all(Path(n).parent in (project, project / "specs", project / "specs" / "tao_voc")
                                 for n in named), (where, err)
            assert not any(n.endswith(".tmp") for n in named), (where, "names a temp file", err)
            assert "disk is full" in lines[1] and "free" in lines[1], (where, err)
            # the disk is still full: no temp file left, and what is on disk agrees with itself
            assert not _temp_files(project), (where, _temp_files(project))
            epochs, bad = _on_disk(project)
            assert epochs in (value, new), (where, epochs)
            if bad is not None or (project / JOURNAL).exists():
                # only a rename cut short may leave specs/ to repair; then every reader repairs first, or
                # says the disk is full (it never reads a mix)
                assert kind == "replace", (where, f"specs/{bad} disagrees with project.yaml", err)
                code, err = _cli("status", "--project", str(project))
                assert code == 2 and "Traceback" not in err and "No space left on device" in err, (where, err)
            else:
                code, err = _cli("status", "--project", str(project))  # reading needs no space
                assert code == 0 and not err, (where, err)
            # space is freed: the next command finds a sound project, and `set` works again
            disk.full = False
            loaded = Project.load(project)
            epochs, bad = _on_disk(project)
            assert bad is None and not (project / JOURNAL).exists(), (where, f"specs/{bad} after repair")
            assert int(next(v for k, v in loaded.params.items() if k.endswith(":" + PATH))) == epochs
            assert not _temp_files(project), (where, _temp_files(project))
            assert _cli("set", "--project", str(project), f"{PATH}={new + 1}")[0] == 0
            assert _on_disk(project) == (new + 1, None), where
            value = new + 1
    assert tries >= 16
