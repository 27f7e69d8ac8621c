"""`tao-tui spec check|show|diff`: look at spec files without the UI.

- ``check FILE|DIR...``: every file must parse and render back byte for byte (lossless round trip).
- ``show FILE [--network N]``: the tree as ``path = value`` lines; with a network the safe values are
  marked ``[editable]`` (bounds, help) and every other value ``[locked: NVIDIA default]``.
- ``diff FILE [TEMPLATE]``: a unified diff against NVIDIA's template (exit 0 identical, 1 different).
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path
from typing import Any

from tao_tui.errors import SpecParseError, TaoTuiError, UserError

SPEC_SUFFIXES = {".txt", ".cfg", ".prototxt", ".pbtxt", ".yaml", ".yml", ".json"}
PROTO_SUFFIXES = {".txt", ".cfg", ".prototxt", ".pbtxt"}
# tao-tui's own files, never NVIDIA specs.
NOT_SPECS = {"network.yaml", "project.yaml"}
# A prototxt spec starts with `name:` or `name {`; a class list or id list (`car`, `000001`) does not.
_PROTO_START = re.compile(r"^\s*[A-Za-z_][\w.\[\]]*\s*(:|\{)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="spec_command", metavar="ACTION", required=True)
    p = sub.add_parser("check", help="check that spec files parse and round-trip byte for byte")
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="spec files, or folders to check every spec below"
    )
    p.set_defaults(_spec_action=_check)

    p = sub.add_parser("show", help="print every value; with a network, mark the safe and locked ones")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--network", help="network name (found automatically in specs_templates/<net>/ or a project)"
    )
    p.add_argument("--unlock", action="append", default=[], metavar="PATH", help="show PATH as unlocked")
    p.set_defaults(_spec_action=_show)

    p = sub.add_parser("diff", help="unified diff against NVIDIA's template (exit 1 when different)")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "template", nargs="?", metavar="TEMPLATE", help="default: specs_templates/<net>/<same name>"
    )
    p.add_argument("--network", help="network whose template to compare with")
    p.set_defaults(_spec_action=_diff)


def run(args: argparse.Namespace) -> int:
    return int(args._spec_action(args) or 0)


# --------------------------------------------------------------------------- files


def looks_like_spec(path: Path) -> bool:
    """A spec file by name and content: not CSV, not tao-tui's own YAML, not a bare list of names
    (classmap.txt, val.txt) nor prose."""
    suffix = path.suffix.lower()
    if path.name in NOT_SPECS or suffix not in SPEC_SUFFIXES:
        return False
    if suffix not in PROTO_SUFFIXES:
        return True
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return bool(_PROTO_START.match(line))
    return False


def spec_files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and looks_like_spec(p))


def _read(path: Path) -> str:
    from tao_tui.specs import read_text

    if not path.is_file():
        raise UserError(f"{path}: no such file", "check the path", field=str(path))
    return read_text(path)


def load(path: Path):
    """Parse one spec file (format from the suffix, and for .txt/.cfg from the content)."""
    from tao_tui.specs import load_spec

    _read(path)  # a clear "no such file" first
    return load_spec(path)


def _location(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def roundtrip_problem(path: Path) -> str | None:
    """None when ``path`` parses and renders back identically, else ``FILE:line:col: message``."""
    from tao_tui import specs

    if not path.is_file():
        return f"{path}: no such file"
    try:
        specs.check_roundtrip(path)
        return None
    except SpecParseError as err:
        return str(err)
    except TaoTuiError as err:
        try:  # locate the first byte that would change
            text = specs.read_text(path)
            out = specs.parse_spec(text, specs.format_for(path), str(path)).render()
        except TaoTuiError:
            out = None
        if out is None or out == text:
            return f"{path}:1:1: {err.message}"
    i = next((k for k, (a, b) in enumerate(zip(text, out, strict=False)) if a != b), min(len(text), len(out)))
    line, col = _location(text, i)
    want = text.splitlines()[line - 1] if line <= len(text.splitlines()) else "<end of file>"
    got_lines = out.splitlines()
    got = got_lines[line - 1] if line <= len(got_lines) else "<end of file>"
    return f"{path}:{line}:{col}: round trip is not identical: the file has {want!r}, tao-tui wrote {got!r}"


# --------------------------------------------------------------------------- check


def _check(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        arg = Path(name)
        if arg.is_dir():
            files = spec_files_under(arg)
            if not files:
                print(f"{arg}: no spec files (.txt .cfg .yaml .yml .json) below this folder", file=sys.stderr)
                failed += 1
        else:
            files = [arg]
        for path in files:
            problem = roundtrip_problem(path)
            if problem is None:
                print(f"ok  {path}")
            else:
                print(problem, file=sys.stderr)
                failed += 1
    return 1 if failed else 0


# --------------------------------------------------------------------------- show


def find_network(path: Path, name: str | None = None):
    """The NetworkDef for ``path``: ``name``, else the template folder it sits in, else the
    network named by the nearest project.yaml above it. None when there is none."""
    from tao_tui.specs.netdef import load_network

    if name:
        return load_network(name)
    folder = path.resolve().parent
    if (folder / "network.yaml").is_file():
        return load_network(folder.name, folder.parent)
    data = _project_data(path)
    if data and isinstance(data.get("network"), str):
        return load_network(data["network"])
    return None


def _project_data(path: Path) -> dict | None:
    import yaml

    for folder in path.resolve().parents:
        candidate = folder / "project.yaml"
        if candidate.is_file():
            try:
                data = yaml.safe_load(candidate.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                return None
            return data if isinstance(data, dict) else None
    return None


def fmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        parts = []
        for item in value:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                parts.append(f"{item[0]}->{item[1]}")
            else:
                parts.append(fmt_value(item))
        return ", ".join(parts)
    return str(value)


def _bounds_text(bounds: tuple[Any, Any] | None) -> str:
    if not bounds:
        return ""
    lo, hi = ("" if b is None else fmt_value(int(b) if float(b).is_integer() else b) for b in bounds)
    return f" {lo}..{hi}"


def _marker(row) -> str:
    if row.state == "locked":
        return "[locked: NVIDIA default]"
    if row.state == "unlocked":
        return "[UNLOCKED]"
    what = f"{row.type}{_bounds_text(row.bounds)}"
    changed = f", changed from {fmt_value(row.default)}" if row.state == "changed" else ""
    return f"[editable{changed}] {what}: {row.help.strip()}"


def _show(args: argparse.Namespace) -> int:
    path = Path(args.file)
    doc = load(path)
    net = find_network(path, args.network)
    if net is None:
        for leaf, value in doc.leaves():
            print(f"{leaf} = {fmt_value(value)}")
        return 0
    from tao_tui.specs.params import ParamSet

    unlocked = list(args.unlock)
    data = _project_data(path) if not args.network else None
    if data and isinstance(data.get("unlocked"), list):
        unlocked += [str(u) for u in data["unlocked"]]
    # project.yaml may unlock paths of other spec files ("spec:path"): keep this file's only.
    mine = [u for u in unlocked if ":" not in u or u.split(":", 1)[0] == path.name]
    params = ParamSet(net, {path.name: doc}, unlocked=mine)
    if path.name not in net.spec_files and not any(p.spec == path.name for p in net.safe_params):
        print(f"# {path.name} is not one of {net.name}'s spec files; every value is locked", file=sys.stderr)
    for row in params.describe(path.name):
        print(f"{row.path} = {fmt_value(row.value)}  {_marker(row)}")
    return 0


# --------------------------------------------------------------------------- diff


def _diff(args: argparse.Namespace) -> int:
    path = Path(args.file)
    text = _read(path)
    if args.template:
        template = Path(args.template)
    else:
        net = find_network(path, args.network)
        if net is None:
            raise UserError(
                f"cannot tell which network {path} belongs to",
                "pass --network NAME, or the template file as the second argument",
                field=str(path),
            )
        template = net.folder / path.name
        if not template.is_file():
            raise UserError(
                f"{net.name} has no template named {path.name}",
                f"pass the template as the second argument; templates are in {net.folder}",
                field=str(path),
            )
    base = _read(template)
    lines = list(
        difflib.unified_diff(
            base.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"{template} (NVIDIA)",
            tofile=str(path),
        )
    )
    for line in lines:
        sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return 1 if lines else 0
