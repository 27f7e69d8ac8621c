"""The rules of the set-up steps, shared by the wizard (ui/screens/setup.py) and --plain (prompts.py):
where a new project may go, and which safe values the last step asks for. Plain Python."""

from __future__ import annotations

import os
from pathlib import Path

from tao_tui.project import PROJECT_FILE


def check_new_folder(text: str) -> tuple[Path | None, str, bool]:
    """``(folder, problem, is_project)`` for the folder a new project goes into.

    The folder must be creatable (its nearest existing parent a folder you can write in), not a
    file, and not already a project (``is_project`` is True then: the wizard offers to open it).
    """
    text = text.strip()
    if not text:
        return None, "type a folder for the project (it is created for you)", False
    if "\x00" in text:
        return None, "a folder name cannot hold a NUL character: retype it", False
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~user of a user this machine does not know
        return None, f"{text}: no such user's home folder: write the full path", False
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.exists():
        if not path.is_dir():
            return None, f"{text} is a file: pick a folder name that does not exist yet", False
        if (path / PROJECT_FILE).is_file():
            return path, f"{text} already holds a project: open it instead, or pick another folder", True
        if not os.access(path, os.W_OK | os.X_OK):
            return None, f"you cannot write in {text}: pick a folder under your home, e.g. ~/tao-projects/x", False
        try:
            has_files = any(True for _ in path.iterdir())
        except OSError:
            has_files = True
        if has_files:
            return None, (f"{text} already has files (is it your dataset?): type a new folder name, "
                          f"e.g. {path}/project or ~/tao-projects/<name>; tao-tui creates it"), False
        return path, "", False
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    system = _pseudo_filesystem(parent)
    if system:
        return None, f"{parent} is on the system's {system} file system, not a disk: pick a folder under your home", False
    if not parent.is_dir():
        return None, f"{parent} is a file, so no folder can be made under it: pick another place", False
    if not os.access(parent, os.W_OK | os.X_OK):
        return None, f"you cannot create folders in {parent}: pick a folder under your home", False
    return path, "", False


PSEUDO_FS = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "securityfs", "tracefs",
             "configfs", "fusectl", "pstore", "bpf", "mqueue", "hugetlbfs", "binfmt_misc", "efivarfs"}


def _pseudo_filesystem(path: Path) -> str | None:
    """The type of the kernel pseudo file system ``path`` lies on (proc, sysfs, ...), else None.

    Read from /proc/self/mounts (Linux); where that cannot be read, None: creating the folder will say."""
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    best, fstype = "", None
    resolved = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, fstype = point, parts[2]
    return fstype if fstype in PSEUDO_FS else None


def overlap(a: Path, b: Path) -> bool:
    """One folder is the other or holds it."""
    a, b = Path(os.path.abspath(a)), Path(os.path.abspath(b))
    return a == b or a in b.parents or b in a.parents


def value_params(net) -> list:
    """The safe values the last step asks for (not paths, not classes), one per spec path."""
    seen: dict[str, object] = {}
    for p in net.safe_params:
        if p.kind in ("path", "classes") or p.type in ("path", "class_mapping", "class_list"):
            continue
        seen.setdefault(p.path, p)
    return list(seen.values())


def plain_value(value) -> str:
    """A default as the text a user types (``true``/``false``, numbers as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
