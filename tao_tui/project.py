"""The project folder on disk: the single source of truth the UI and the CLI read back.

```
<project>/project.yaml          network, TAO version, image, mounts, GPUs, parameters, stage results
<project>/specs/                the spec files, NVIDIA's except for the values the user changed
<project>/results/<stage>/      what each stage writes (mounted into the container)
<project>/pretrained/           NVIDIA's pretrained weights (NGC download folder)
<project>/runs/<run-id>/        log (every line, engine timestamp first), events.jsonl, run.json, result.json
```
Every write is atomic (temp file + rename). The encryption key is never written here.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from tao_tui.errors import UserError, from_os_error

PROJECT_FILE = "project.yaml"
CONTAINER_ROOT = "/workspace/tao-experiments"
CONTAINER_DATA = f"{CONTAINER_ROOT}/data"
STAGE_STATES = ("pending", "running", "done", "failed", "stopped")


def fault_point(point: str) -> None:
    """Crash tests' fault hook. ``TAO_TUI_FAULT=<point>[:<n>]`` kills this process with SIGKILL at the
    n-th (default first) pass through ``point`` (no cleanup, like an SSH drop or a power cut);
    ``TAO_TUI_FAULT_DELAY=<seconds>`` sleeps at every point, so a test's kill -9 lands inside the
    windows between writes. Neither is set for users: then it does nothing."""
    want = os.environ.get("TAO_TUI_FAULT")
    if want:
        name, _, nth = want.partition(":")
        if name == point:
            _FAULT_SEEN[point] = _FAULT_SEEN.get(point, 0) + 1
            if _FAULT_SEEN[point] >= (int(nth) if nth.isdigit() else 1):
                os.kill(os.getpid(), 9)
    delay = os.environ.get("TAO_TUI_FAULT_DELAY")
    if delay:
        with contextlib.suppress(ValueError):
            time.sleep(float(delay))


_FAULT_SEEN: dict[str, int] = {}


def read_text_file(path: Path | str, *, what: str = "the file", max_bytes: int = 16 << 20) -> str:
    """A UTF-8 text file tao-tui reads (project.yaml, ~/.tao_mounts.json…), or ``UserError`` naming
    the file, the rule and the fix: not a regular file (a folder, a FIFO), unreadable, larger than
    ``max_bytes``, not UTF-8 (UTF-16 is named as such)."""
    import stat as _stat

    path = Path(path)
    try:
        st = path.stat()
        if not _stat.S_ISREG(st.st_mode):
            kind = "a folder" if _stat.S_ISDIR(st.st_mode) else "not a regular file (a FIFO, a device…)"
            raise UserError(f"{path} is {kind}", f"{what} must be a regular text file: fix the path",
                            field=str(path))
        if st.st_size > max_bytes:
            raise UserError(f"{path} is {st.st_size:,} bytes; {what} is at most {max_bytes:,}",
                            "check it is the right file", field=str(path))
        data = path.read_bytes()
    except OSError as err:
        raise UserError(f"can't read {path}: {err.strerror}",
                        "check the file's owner and mode (`ls -l`)", field=str(path)) from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UserError(f"{path} is UTF-16 text; tao-tui reads UTF-8",
                        f"convert it: iconv -f UTF-16 -t UTF-8 {shlex.quote(str(path))}", field=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(f"{path} is not UTF-8 text (byte {err.start})",
                        f"{what} must be UTF-8 text: fix or recreate it", field=str(path)) from None


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write ``path`` so that readers see the old or the new content, never a torn file. An ``OSError``
    (disk full, read-only, permissions) names ``path`` (never the temp file) and leaves no temp file."""
    write_together([(Path(path), text)])


def write_together(files: list[tuple[Path, str | bytes]], *, journal: Path | None = None) -> None:
    """Write several files as one change: every file's new content is written to a temp file (and
    fsynced) before any is renamed over its file, so a write error (ENOSPC…) leaves every file as it
    was. ``journal``: for files that must agree with each other (specs/ and project.yaml), a file that
    exists while the renames happen; a crash or a failed rename leaves it, and ``Project.load`` then
    re-renders specs/ from project.yaml. Files are renamed in order (project.yaml last)."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            staged.append((_stage(Path(path), text), Path(path)))
        if journal is not None and len(staged) > 1:
            write_together([(journal, str(os.getpid()))])
            fault_point("locked:journaled")
        else:
            journal = None
    except BaseException:
        _unlink_all(tmp for tmp, _ in staged)
        raise
    for i, (tmp, path) in enumerate(staged):
        try:
            os.replace(tmp, path)
        except BaseException as err:
            _unlink_all(t for t, _ in staged[i:])
            if journal is not None and i == 0:  # nothing renamed yet: every file is as it was
                with contextlib.suppress(OSError):
                    os.unlink(journal)
            elif journal is not None:  # some renamed: specs/ back as project.yaml says (if there is room)
                with contextlib.suppress(Exception):
                    _repair_locked(journal.parent)
            if isinstance(err, OSError):
                raise _named(err, path) from err
            raise
        fault_point("write_together:renamed")
    if journal is not None:
        fault_point("locked:saved")
        os.unlink(journal)


def _stage(path: Path, text: str | bytes) -> str:
    """``text`` written and fsynced to a new temp file beside ``path`` (mode as ``path`` keeps); its name.
    The writer's pid is in the name: a crash's leftover is told from a write in progress
    (``clean_temp_files``)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(errno.EEXIST, "no free temp file name", str(path))
    except OSError as err:
        raise _named(err, path) from err
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        fault_point("atomic_write:written")
        os.chmod(tmp, _file_mode(path))  # the container's user must read specs too (0600 until now)
    except BaseException as err:
        _unlink_all([tmp])
        if isinstance(err, OSError):
            raise _named(err, path) from err
        raise
    return tmp


def _named(err: OSError, path: Path) -> OSError:
    """``err`` naming ``path``: a write or fsync error names no file, and a temp file's name means
    nothing to the user."""
    if err.errno is None:
        return err
    return OSError(err.errno, err.strerror, str(path))


def _unlink_all(tmps) -> None:
    for tmp in tmps:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _file_mode(path: Path) -> int:
    """The mode a rewritten file keeps (its current one), or a new file's usual 0666 & ~umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


_TMP_RE = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def clean_temp_files(folder: Path) -> list[str]:
    """Remove the temp files of ``atomic_write`` in ``folder`` whose writer is dead (kill -9 between
    the write and the rename); a live writer's file stays. Returns the names removed."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _TMP_RE.match(name)
        if not m:
            continue
        pid = int(m.group(1)) if len(m.group(1)) < 10 else 0
        if pid and pid != os.getpid() and _alive(pid):
            continue
        if pid == os.getpid():
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(name)
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@dataclass
class MountDef:
    source: str
    destination: str
    read_only: bool = False


@dataclass
class StageResult:
    status: str = "pending"
    run_id: str | None = None
    exit_code: int | None = None
    started: float | None = None
    finished: float | None = None
    message: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Project:
    root: Path
    id: str
    network: str
    tao_version: str
    image: str | None = None
    dataset: str | None = None
    gpus: int = 1
    gpu_index: list[int] = field(default_factory=list)
    user: str | None = None
    mounts: list[MountDef] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # extra container environment (never the key)
    container_network: bool = True  # False: the container gets no network (tests; air-gapped boxes)
    params: dict[str, Any] = field(default_factory=dict)
    unlocked: list[str] = field(default_factory=list)
    stages: dict[str, StageResult] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    # not saved: what the last spec rendering adjusted on its own (e.g. intervals fitted to the epochs)
    notices: list[str] = field(default_factory=list, repr=False, compare=False)

    # ------------------------------------------------------------------ folders
    @property
    def specs_dir(self) -> Path:
        return self.root / "specs"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def results_dir(self, stage_id: str) -> Path:
        return self.root / "results" / stage_id

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def stage(self, stage_id: str) -> StageResult:
        return self.stages.setdefault(stage_id, StageResult())

    # ------------------------------------------------------------------ mounts
    def all_mounts(self) -> list[MountDef]:
        """The project folder at CONTAINER_ROOT, the dataset at CONTAINER_DATA, then the user's own."""
        mounts = [MountDef(str(self.root.resolve()), CONTAINER_ROOT)]
        if self.dataset:
            ds = Path(self.dataset).expanduser().resolve()
            mounts.append(MountDef(str(ds), CONTAINER_DATA, read_only=True))
        mounts.extend(self.mounts)
        return mounts

    def to_container(self, host: Path | str) -> str:
        """Host path -> container path (the longest mount source that contains it)."""
        host_p = Path(host).expanduser().resolve()
        best: tuple[int, str] | None = None
        for m in self.all_mounts():
            src = Path(m.source)
            if host_p == src or src in host_p.parents:
                rel = host_p.relative_to(src).as_posix()
                cpath = m.destination if rel == "." else f"{m.destination.rstrip('/')}/{rel}"
                if best is None or len(m.source) > best[0]:
                    best = (len(m.source), cpath)
        if best is None:
            raise UserError(
                f"{host_p} is not inside any folder mounted into the container",
                "put it under the project folder or the dataset folder, or add a mount for it",
                field="path",
            )
        return best[1]

    def to_host(self, container: str) -> Path:
        """Container path -> host path (the longest mount destination that contains it)."""
        cpath = PurePosixPath(container)
        best: tuple[int, Path] | None = None
        for m in self.all_mounts():
            dest = PurePosixPath(m.destination)
            if cpath == dest or dest in cpath.parents:
                rel = cpath.relative_to(dest)
                if best is None or len(str(dest)) > best[0]:
                    best = (len(str(dest)), Path(m.source) / rel)
        if best is None:
            raise UserError(
                f"container path {container} is not under any mount",
                f"use a path under {CONTAINER_ROOT} (the project) or {CONTAINER_DATA} (the dataset)",
                field="path",
            )
        return best[1]

    # ------------------------------------------------------------------ runs
    def new_run_id(self, stage_id: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return f"{stage_id}-{stamp}-{secrets.token_hex(2)}"

    def latest_run(self, stage_id: str | None = None) -> str | None:
        """The newest run id of ``stage_id`` (or of any stage)."""
        if stage_id and self.stages.get(stage_id) and self.stages[stage_id].run_id:
            return self.stages[stage_id].run_id
        if not self.runs_dir.is_dir():
            return None
        runs = [p for p in self.runs_dir.iterdir() if p.is_dir()]
        if stage_id:
            runs = [p for p in runs if p.name.startswith(f"{stage_id}-") and run_stage(p.name) == stage_id]
        if not runs:
            return None
        return max(runs, key=lambda p: p.stat().st_mtime).name

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("root")
        data.pop("notices")
        data["mounts"] = [asdict(m) for m in self.mounts]
        data["stages"] = {k: asdict(v) for k, v in self.stages.items()}
        return data

    def save(self) -> None:
        atomic_write(self.root / PROJECT_FILE, self._yaml())

    def _yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def stage_file(self, path: Path, text: str | bytes) -> None:
        """Inside ``Project.locked``: write ``path`` together with project.yaml when the block ends
        (all or nothing: a full disk leaves both as they were; see ``write_together``)."""
        staged = self.__dict__.get("_staged")
        if staged is None:
            raise RuntimeError("Project.stage_file is for the body of Project.locked")
        staged[Path(path)] = text

    @classmethod
    @contextmanager
    def locked(cls, root: Path | str) -> Iterator[Project]:
        """Read-modify-write project.yaml under an exclusive lock (several tao-tui processes may
        record stages at the same time); saved when the block ends without an error, together with
        the files the block staged (``stage_file``: specs/ change with project.yaml in one
        ``write_together``, under a journal while they are renamed). An error in the block, or a
        write error (disk full) before the renames, changes nothing on disk."""
        root = Path(root).expanduser()
        cls.load(root)  # a clear error for a folder that is not a project, before any lock file is made
        with open(root / ".project.lock", "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            _repair_locked(root)
            project = cls._load_raw(root)
            project.__dict__["_staged"] = {}
            try:
                yield project
            except BaseException:
                project.__dict__.pop("_staged", None)
                raise
            fault_point("locked:changed")
            files = list(project.__dict__.pop("_staged").items())
            # project.yaml last: a crash between the renames leaves the journal, and the next reader
            # re-renders specs/ from project.yaml (the one truth)
            write_together([*files, (root / PROJECT_FILE, project._yaml())], journal=root / JOURNAL)

    @classmethod
    def load(cls, root: Path | str) -> Project:
        """The project at ``root`` (see ``_load_raw``), repaired first when a crash left it half-written."""
        root = Path(root).expanduser()
        try:
            crashed = (root / JOURNAL).exists()
        except OSError:
            crashed = False
        if crashed:
            try:
                repair(root)
            except OSError as err:  # e.g. the disk is still full: never read specs/ that disagree
                raise from_os_error(err, f"putting specs/ back in step with {PROJECT_FILE} after a change "
                                         "that was cut short") from None
        project = cls._load_raw(root)
        clean_temp_files(root)  # a dead writer's temp files (a live writer's stay)
        clean_temp_files(root / "specs")
        return project

    @classmethod
    def _load_raw(cls, root: Path | str) -> Project:
        """Read ``<root>/project.yaml``. ``UserError`` naming the file, the field, the rule and the fix for
        anything that is not a project tao-tui wrote: not UTF-8, not YAML, aliases (a "billion laughs"),
        not a mapping, a field of the wrong type, an unknown field."""
        root = Path(root).expanduser()
        path = root / PROJECT_FILE
        if not str(root).strip():
            raise UserError("the project folder is an empty string", "pass the folder, e.g. --project ~/proj",
                            field="--project")
        try:
            is_file = path.is_file()
        except OSError as err:
            raise UserError(f"can't look at {path}: {err.strerror}", "check the path", field="--project") from None
        if not is_file:
            raise UserError(
                f"{root} is not a tao-tui project (no {PROJECT_FILE})",
                "create one with `tao-tui new --network NAME --dir DIR --yes`, or pass the right --project",
                field="--project",
            )
        text = read_text_file(path, what=PROJECT_FILE, max_bytes=4 << 20)
        fix = f"fix {path} by hand, or recreate the project (`tao-tui new`)"
        try:
            data = yaml.load(text, Loader=_NoAliasLoader) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise UserError(f"{where}: project.yaml is not valid YAML ({problem})", fix) from None
        except RecursionError:
            raise UserError(f"{path}: nested too deeply to be a project.yaml", fix) from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: must be a mapping of fields (network:, tao_version:, …), "
                            f"not a {type(data).__name__}", fix)
        _check_fields(data, path, fix)
        try:
            stages = {str(k): StageResult(**v) for k, v in (data.pop("stages", None) or {}).items()}
            mounts = [MountDef(**m) for m in data.pop("mounts", None) or ()]
            return cls(root=root, stages=stages, mounts=mounts, **data)
        except TypeError as exc:
            raise UserError(f"{path}: unexpected content ({exc})", fix) from None


JOURNAL = ".project.journal"


def repair(root: Path) -> bool:
    """After a crash inside ``Project.locked`` (kill -9 during ``tao-tui set``…): re-render specs/ from
    project.yaml and remove temp files, under the project lock. Skipped (False) while another process
    holds the lock (it repairs on its own)."""
    try:
        fh = open(root / ".project.lock", "a+")  # noqa: SIM115
    except OSError:
        return False
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        _repair_locked(root)
    return True


def _repair_locked(root: Path) -> None:
    clean_temp_files(root)
    clean_temp_files(root / "specs")
    journal = root / JOURNAL
    if not journal.exists():
        return
    from tao_tui.workflow.create import render_specs  # workflow builds on this module: imported late

    render_specs(Project._load_raw(root))
    clean_temp_files(root / "specs")
    journal.unlink()


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader without anchors/aliases: tao-tui never writes them, and each alias can multiply the
    document (a 500-byte "billion laughs" expands to gigabytes)."""

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML's hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here",
                                              event.start_mark)
        return super().compose_node(parent, index)


def _is(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "str?":
        return value is None or isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "int?":
        return value is None or _is(value, "int")
    if kind == "num?":
        return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    if kind == "list?":
        return value is None or isinstance(value, list)
    if kind == "dict?":
        return value is None or isinstance(value, dict)
    return True


_PROJECT_FIELDS = {"id": "str", "network": "str", "tao_version": "str", "image": "str?", "dataset": "str?",
                   "gpus": "int", "gpu_index": "list?", "user": "str?", "mounts": "list?", "env": "dict?",
                   "container_network": "bool", "params": "dict?", "unlocked": "list?", "stages": "dict?",
                   "created": "num?"}
_STAGE_FIELDS = {"status": "str", "run_id": "str?", "exit_code": "int?", "started": "num?", "finished": "num?",
                 "message": "str?", "outputs": "dict?"}
_MOUNT_FIELDS = {"source": "str", "destination": "str", "read_only": "bool"}


def _check_fields(data: dict, path: Path, fix: str) -> None:
    """Every field of project.yaml has the type tao-tui writes (UserError naming the field otherwise)."""

    def bad(field_name: str, kind: str, value: Any) -> UserError:
        want = {"str": "text", "str?": "text", "int": "a whole number", "int?": "a whole number",
                "num?": "a number", "bool": "true or false", "list": "a list", "list?": "a list",
                "dict": "a mapping", "dict?": "a mapping"}[kind]
        return UserError(f"{path}: {field_name} must be {want}, not {value!r:.60}", fix, field=field_name)

    for key in ("id", "network", "tao_version"):
        if key not in data:
            raise UserError(f"{path}: the field {key} is missing", fix, field=key)
    from dataclasses import fields

    known = {f.name for f in fields(Project)} - {"root", "notices"}
    for key, value in data.items():
        if not isinstance(key, str) or key not in known:
            raise UserError(f"{path}: unknown field {key!r:.60}", fix, field=str(key))
        kind = _PROJECT_FIELDS.get(key, "any")
        if not _is(value, kind):
            raise bad(key, kind, value)
    stage_known = {f.name for f in fields(StageResult)}
    for name, st in (data.get("stages") or {}).items():
        if not isinstance(st, dict):
            raise bad(f"stages.{name}", "dict", st)
        for key, value in st.items():
            kind = _STAGE_FIELDS.get(key, "any") if isinstance(key, str) and key in stage_known else None
            if kind is None:
                raise UserError(f"{path}: unknown field stages.{name}.{key!r:.60}", fix, field=f"stages.{name}")
            if not _is(value, kind):
                raise bad(f"stages.{name}.{key}", kind, value)
        if st.get("status", "pending") not in STAGE_STATES:
            raise UserError(f"{path}: stages.{name}.status must be one of {', '.join(STAGE_STATES)}", fix,
                            field=f"stages.{name}.status")
    for i, m in enumerate(data.get("mounts") or ()):
        if not isinstance(m, dict) or not {"source", "destination"} <= set(m):
            raise UserError(f"{path}: mounts[{i}] needs source and destination", fix, field=f"mounts[{i}]")
        for key, value in m.items():
            kind = _MOUNT_FIELDS.get(key) if isinstance(key, str) else None
            if kind is None or not _is(value, kind):
                raise bad(f"mounts[{i}].{key}", kind or "str", value)
    for key in ("gpu_index", "unlocked"):
        for item in data.get(key) or ():
            if not _is(item, "int" if key == "gpu_index" else "str"):
                raise bad(f"{key}[]", "int" if key == "gpu_index" else "str", item)
    for k, v in (data.get("env") or {}).items():
        if not isinstance(k, str) or not isinstance(v, str) or "\0" in k + v or "=" in k:
            raise UserError(f"{path}: env.{k!s:.40} must be NAME: text (no '=' in the name, no NUL)", fix,
                            field="env")
    if isinstance(data.get("params"), dict) and not all(isinstance(k, str) for k in data["params"]):
        raise UserError(f"{path}: params keys must be text", fix, field="params")


_RUN_RE = re.compile(r"^(?P<stage>.+)-\d{8}-\d{6}-[0-9a-f]{4}$")


def run_stage(run_id: str) -> str | None:
    """The stage id a run id belongs to."""
    m = _RUN_RE.match(run_id)
    return m.group("stage") if m else None


def new_project_id() -> str:
    return secrets.token_hex(6)
