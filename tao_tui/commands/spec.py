"""`tao-tui spec check|show|diff`: look at spec files without the UI.

- ``check FILE|DIR...``: every file must parse and render back byte for byte (lossless round trip).
- ``show FILE [--network N]``: the tree as ``path = value`` lines; with a network each value says where
  it comes from (``params.PROVENANCES``): ``[editable]`` / ``[yours; …]`` safe values (bounds, help),
  ``[locked: NVIDIA's value]``, ``[locked; NVIDIA's value is 1248]`` (a hand-edited file),
  ``[rewritten by tao-tui from …]`` (a project's chained paths and class blocks), ``[UNLOCKED …]``.
- ``diff FILE [TEMPLATE]``: a unified diff against NVIDIA's template (exit 0 identical, 1 different).
- A file under another name is matched to NVIDIA's template of the same kind, in a sub-folder too
  (classification_tf1 ``tao_voc/``), by name or by content, with a note on stderr.
- ``check`` and ``show`` warn about class names TAO would not match (``key: "Mask"``).
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
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


def unreadable_specs_under(folder: Path) -> list[tuple[Path, str]]:
    """Files named like a spec below ``folder`` that tao-tui cannot read (no read permission, a FIFO
    or device…), each with why: these are not "no spec files", they are specs to fix."""
    import os
    import stat

    found = []
    for p in sorted(folder.rglob("*")):
        if p.name in NOT_SPECS or p.suffix.lower() not in SPEC_SUFFIXES:
            continue
        try:
            mode = p.stat().st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                found.append((p, "not a regular file (a FIFO, socket or device)"))
                continue
            os.close(os.open(p, os.O_RDONLY | os.O_NONBLOCK))
        except OSError as err:
            found.append((p, err.strerror or type(err).__name__))
    return found


def _unreadable_line(path: Path, why: str) -> str:
    import shlex

    if why.startswith("not a regular file"):
        fix = f"replace it with the spec file itself (`ls -l {shlex.quote(str(path))}`)"
    else:
        fix = f"make it readable: `chmod a+r {shlex.quote(str(path))}` (or run tao-tui as its owner)"
    return f"{path}: cannot read this spec file ({why}); {fix}"


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
            unreadable = unreadable_specs_under(arg)
            files = [p for p in spec_files_under(arg) if p not in {u for u, _ in unreadable}]
            for path, why in unreadable:
                print(_unreadable_line(path, why), file=sys.stderr)
                failed += 1
            if not files and not unreadable:
                print(f"{arg}: no spec files (.txt .cfg .yaml .yml .json) below this folder", file=sys.stderr)
                failed += 1
        else:
            files = [arg]
        for path in files:
            problem = roundtrip_problem(path)
            if problem is None:
                print(f"ok  {path}")
                _warn_classes({str(path): load(path)})
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
        net = load_network(data["network"], version=data.get("tao_version"))
        if net.specs == "download":  # conversational: NVIDIA's files are the ones the project downloaded
            from tao_tui.specs.downloaded import downloaded_network, nvidia_specs_dir

            root = next(f for f in path.resolve().parents if (f / "project.yaml").is_file())
            net = downloaded_network(net, nvidia_specs_dir(root))
        return net
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
    """A value in the one notation the user types (class pairs ``car:car, van:car``)."""
    from tao_tui.specs.params import format_value

    return format_value(value)


def _bounds_text(bounds: tuple[Any, Any] | None) -> str:
    if not bounds:
        return ""
    lo, hi = ("" if b is None else fmt_value(int(b) if float(b).is_integer() else b) for b in bounds)
    return f" {lo}..{hi}"


def _marker(row) -> str:
    """``[locked: NVIDIA's value]``, ``[locked; NVIDIA's value is 1248]``, ``[rewritten by tao-tui
    from dataset_convert's output; NVIDIA's value is …]``, ``[UNLOCKED …]`` or, for a safe value,
    ``[editable] int 1..32: help`` / ``[yours; NVIDIA's default is 4] int 1..32: help``."""
    if not row.safe:
        return f"[{row.note}]"
    what = f"{row.type}{_bounds_text(row.bounds)}"
    label = "editable" if row.provenance == "editable" else row.note
    return f"[{label}] {what}: {row.help.strip()}"


# ----------------------------------------------------------------- which template a file is


@dataclass(frozen=True)
class TemplateMatch:
    """NVIDIA's template a user's spec file is compared with: ``spec`` (its name in network.yaml,
    e.g. ``tao_voc/classification_spec.cfg``), ``path`` (the template file), ``note`` (how it was
    matched, when not by its own name; None otherwise)."""

    spec: str
    path: Path
    note: str | None = None


def _leaf_paths(doc) -> set[str]:
    from tao_tui.specs.params import canonical_path

    return {canonical_path(p) for p, _ in doc.leaves()}


def template_files(net) -> list[Path]:
    """Every spec file of the network's template folder (sub-folders too: classification_tf1's
    ``tao_voc/``, unet's ``tao_isbi/``)."""
    return spec_files_under(net.folder)


def match_template(net, path: Path, doc=None, *, project_spec: str | None = None) -> TemplateMatch | None:
    """NVIDIA's template of ``net`` that ``path`` is a copy of: the spec of the same name (also in
    a sub-folder), else the template of the same format with the most values in common (at least
    half of the values of both), said so in ``note``. None when no template matches."""
    folder = net.folder
    if project_spec and (folder / project_spec).is_file():
        return TemplateMatch(project_spec, folder / project_spec)
    if (folder / path.name).is_file():
        return TemplateMatch(path.name, folder / path.name)
    templates = template_files(net)
    same_name = [t for t in templates if t.name == path.name]
    if same_name:
        rel = same_name[0].relative_to(folder).as_posix()
        return TemplateMatch(rel, same_name[0], f"NVIDIA's {path.name} is {net.name}/{rel}")
    doc = doc if doc is not None else load(path)
    best = _best_by_content(path, doc, templates)
    if best is None:
        return None
    _score, t, shared, total = best
    rel = t.relative_to(folder).as_posix()
    return TemplateMatch(
        rel, t, f"{path.name} matched to NVIDIA's {net.name}/{rel} by content ({shared} of its {total} values)"
    )


def _best_by_content(path: Path, doc, templates: list[Path]) -> tuple[tuple[float, int], Path, int, int] | None:
    """((score, equal values), template, shared values, template's values) of the template sharing the
    most value paths with ``doc`` (Jaccard index of the two path sets; among equals, the one with the
    most equal values: NVIDIA's qat/seq variants share every path); None below one half."""
    from tao_tui.specs import format_for, load_spec
    from tao_tui.specs.params import canonical_path

    mine = {canonical_path(p): v for p, v in doc.leaves()}
    if not mine:
        return None
    best: tuple[tuple[float, int], Path, int, int] | None = None
    for t in templates:
        if format_for(t) != format_for(path):
            continue
        try:
            theirs = {canonical_path(p): v for p, v in load_spec(t).leaves()}
        except TaoTuiError:
            continue
        shared = mine.keys() & theirs.keys()
        score = (len(shared) / len(mine.keys() | theirs.keys()), sum(mine[k] == theirs[k] for k in shared))
        if best is None or score > best[0]:
            best = (score, t, len(shared), len(theirs))
    return best if best is not None and best[0][0] >= 0.5 else None


def guess_network(path: Path, doc=None):
    """(NetworkDef, TemplateMatch) of the NVIDIA template, of any network, that ``path`` is most like by
    content; None when none shares at least half its values. Reads every bundled template (~1 s)."""
    from tao_tui.specs.netdef import load_network, template_networks

    doc = doc if doc is not None else load(path)
    best = None
    for name in template_networks():
        try:
            net = load_network(name)
        except TaoTuiError:
            continue
        found = _best_by_content(path, doc, template_files(net))
        if found is not None and (best is None or found[0] > best[0][0]):
            best = (found, net)
    if best is None:
        return None
    (_score, t, shared, total), net = best
    rel = t.relative_to(net.folder).as_posix()
    note = (f"{path.name} looks like NVIDIA's {net.name}/{rel} ({shared} of its {total} values in common); "
            f"pass --network to choose another network")
    return net, TemplateMatch(rel, t, note)


def _project_root(path: Path) -> Path | None:
    for folder in path.resolve().parents:
        if (folder / "project.yaml").is_file():
            return folder
    return None


def _show(args: argparse.Namespace) -> int:
    from tao_tui.specs import rules
    from tao_tui.specs.params import ParamSet

    path = Path(args.file)
    doc = load(path)
    net = find_network(path, args.network)
    guessed = guess_network(path, doc) if net is None else None
    if net is None and guessed is None:
        for leaf, value in doc.leaves():
            print(f"{leaf} = {fmt_value(value)}")
        _warn_classes({path.name: doc})
        return 0
    root = _project_root(path) if not args.network else None
    project_spec = None
    if root is not None:
        try:
            project_spec = path.resolve().relative_to((root / "specs").resolve()).as_posix()
        except ValueError:
            project_spec = None
    if guessed is not None:
        net, match = guessed
    else:
        match = match_template(net, path, doc, project_spec=project_spec)
    spec = match.spec if match else (project_spec or path.name)
    if match and match.note:
        print(f"# {match.note}", file=sys.stderr)
    if match is None:
        print(
            f"# {path.name} matches none of {net.name}'s spec files (by name or content); every value is "
            "shown as locked, not compared with NVIDIA's",
            file=sys.stderr,
        )
    unlocked = list(args.unlock)
    data = _project_data(path) if not args.network else None
    if data and isinstance(data.get("unlocked"), list):
        unlocked += [str(u) for u in data["unlocked"]]
    # project.yaml may unlock paths of other spec files ("spec:path"): keep this file's only.
    mine = [u for u in unlocked if ":" not in u or u.split(":", 1)[0] in (spec, path.name)]
    mine = [u.split(":", 1)[1] if ":" in u else u for u in mine]
    rewrites = _project_rewrites(root) if root is not None and project_spec == spec else {}
    from tao_tui.specs import load_spec

    nvidia = {spec: load_spec(match.path)} if match else {}
    params = ParamSet(net, {spec: doc}, unlocked=mine, nvidia=nvidia, rewrites=rewrites)
    for row in params.describe(spec):
        print(f"{row.path} = {fmt_value(row.value)}  {_marker(row)}")
    _warn_classes({spec: doc}, rules)
    return 0


def _project_rewrites(root: Path) -> dict:
    """What tao-tui rewrote in the project at ``root`` (empty when it is not a loadable project)."""
    from tao_tui.project import Project
    from tao_tui.workflow.create import render_with_provenance

    try:
        return render_with_provenance(Project.load(root), write=False)[1]
    except (TaoTuiError, OSError, KeyError, TypeError, ValueError):
        return {}


def _warn_classes(docs: dict, rules=None) -> int:
    """Print each capitalised (or otherwise invalid) class name inside the spec files; returns how many."""
    if rules is None:
        from tao_tui.specs import rules
    findings = rules.spec_class_findings(docs)
    for err in findings:
        print(f"warning: {err}", file=sys.stderr)
    return len(findings)


# --------------------------------------------------------------------------- diff


def _diff(args: argparse.Namespace) -> int:
    path = Path(args.file)
    text = _read(path)
    if args.template:
        template = Path(args.template)
    else:
        net = find_network(path, args.network)
        guessed = guess_network(path) if net is None else None
        if net is None and guessed is None:
            raise UserError(
                f"cannot tell which network {path} belongs to (it is like none of NVIDIA's spec files)",
                "pass --network NAME, or the template file as the second argument",
                field=str(path),
            )
        match = guessed[1] if guessed is not None else match_template(net, path)
        if match is None:
            raise UserError(
                f"{path.name} matches none of {net.name}'s spec files, by name or by content",
                f"pass the template as the second argument; templates are in {net.folder}",
                field=str(path),
            )
        if match.note:
            print(f"# {match.note}", file=sys.stderr)
        template = match.path
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
