"""network.yaml: what tao-tui knows about one network's specs and workflow.

The schema is documented in ``specs_templates/README.md``. This module only loads
and checks the shape of the file; the values are used by params.py (safe
parameters), rules.py (cross-field rules) and workflow/ (stages and chaining).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tao_tui.errors import UserError
from tao_tui.resources import templates_dir

PARAM_KINDS = {"batch_size", "epochs", "classes", "num_classes", "path"}
PARAM_TYPES = {"int", "float", "str", "bool", "path", "class_mapping", "class_list"}


@dataclass(frozen=True)
class SafeParamDef:
    spec: str
    path: str
    kind: str
    type: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None

    @property
    def key(self) -> str:
        """Unique name of the parameter within its network: ``<spec>:<path>``."""
        return f"{self.spec}:{self.path}"


@dataclass(frozen=True)
class FeedDef:
    spec: str
    path: str
    value: str


@dataclass(frozen=True)
class ArgGroup:
    """Arguments used from TAO version ``since`` (inclusive) until ``until`` (exclusive)."""

    args: tuple[str, ...]
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class StageDef:
    id: str
    task: str
    spec: str | None = None
    args: tuple[ArgGroup, ...] | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    feeds: tuple[FeedDef, ...] = ()
    derived_from: str | None = None


@dataclass(frozen=True)
class PretrainedDef:
    ngc: str
    file: str
    spec: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class NetworkDef:
    name: str
    description: str
    spec_format: str
    cli: str
    stages: tuple[StageDef, ...]
    safe_params: tuple[SafeParamDef, ...]
    pretrained: PretrainedDef | None
    folder: Path
    launcher_task: str | None = None  # the `tao` task it runs as, when not its own name (facenet)

    @property
    def task_name(self) -> str:
        return self.launcher_task or self.name

    @property
    def spec_files(self) -> list[str]:
        """Every spec file a stage uses, in workflow order, without repeats."""
        seen: list[str] = []
        for st in self.stages:
            if st.spec and st.spec not in seen:
                seen.append(st.spec)
        return seen

    def stage(self, stage_id: str) -> StageDef:
        for st in self.stages:
            if st.id == stage_id:
                return st
        names = ", ".join(s.id for s in self.stages)
        raise UserError(f"{self.name} has no stage '{stage_id}'", f"pick one of: {names}", field="stage")

    def param_key(self, path: str) -> str:
        """The key a user's ``PATH`` is stored under: ``spec:path`` when one spec file has that
        parameter; the bare path (which sets it in every spec that has it) otherwise."""
        matches = [p for p in self.safe_params if path in (p.key, p.path)]
        return matches[0].key if len(matches) == 1 else path

    def param(self, key_or_path: str) -> SafeParamDef | None:
        for p in self.safe_params:
            if key_or_path in (p.key, p.path):
                return p
        return None


def _need(data: dict, key: str, where: str) -> Any:
    if key not in data:
        raise UserError(f"{where}: missing '{key}'", "see specs_templates/README.md for the schema")
    return data[key]


def _parse_args(raw: Any, where: str) -> tuple[ArgGroup, ...] | None:
    """``args`` is a flat list of strings, or a list of groups: a list, or {since, until, args}."""
    if raw is None:
        return None
    if all(not isinstance(a, (list, dict)) for a in raw):
        return (ArgGroup(tuple(str(a) for a in raw)),)
    groups = []
    for item in raw:
        if isinstance(item, list):
            groups.append(ArgGroup(tuple(str(a) for a in item)))
        elif isinstance(item, dict) and "args" in item:
            groups.append(
                ArgGroup(
                    tuple(str(a) for a in item["args"]),
                    since=str(item["since"]) if item.get("since") else None,
                    until=str(item["until"]) if item.get("until") else None,
                )
            )
        else:
            raise UserError(f"{where}: bad args entry {item!r}", "use a list, or {since, until, args}")
    return tuple(groups)


def parse_network(data: dict, folder: Path) -> NetworkDef:
    where = str(folder / "network.yaml")
    stages = []
    for raw in _need(data, "stages", where):
        feeds = tuple(FeedDef(**f) for f in raw.get("feeds") or ())
        args = _parse_args(raw.get("args"), where)
        stages.append(
            StageDef(
                id=_need(raw, "id", where),
                task=raw.get("task", raw["id"]),
                spec=raw.get("spec"),
                args=args,
                outputs=dict(raw.get("outputs") or {}),
                feeds=feeds,
                derived_from=raw.get("derived_from"),
            )
        )
    params = []
    for raw in data.get("safe_params") or ():
        p = SafeParamDef(
            spec=_need(raw, "spec", where),
            path=_need(raw, "path", where),
            kind=_need(raw, "kind", where),
            type=_need(raw, "type", where),
            default=raw.get("default"),
            help=_need(raw, "help", where),
            min=raw.get("min"),
            max=raw.get("max"),
        )
        if p.kind not in PARAM_KINDS or p.type not in PARAM_TYPES:
            raise UserError(
                f"{where}: parameter {p.path} has kind '{p.kind}' / type '{p.type}'",
                f"kind is one of {sorted(PARAM_KINDS)}, type one of {sorted(PARAM_TYPES)}",
            )
        params.append(p)
    pre = data.get("pretrained")
    return NetworkDef(
        name=_need(data, "name", where),
        description=_need(data, "description", where),
        spec_format=data.get("spec_format", "yaml"),
        cli=data.get("cli", "flags"),
        stages=tuple(stages),
        safe_params=tuple(params),
        pretrained=PretrainedDef(**pre) if pre else None,
        folder=folder,
        launcher_task=data.get("launcher_task"),
    )


@cache
def load_network(name: str, root: Path | None = None) -> NetworkDef:
    """The network.yaml of ``name`` in specs_templates (or ``root``)."""
    base = (root or templates_dir()) / name
    path = base / "network.yaml"
    if not path.is_file():
        raise UserError(
            f"no spec templates for network '{name}'",
            "run `tao-tui catalog` to see the networks; those marked 'specs: download' need "
            "`tao <network> download_specs` first",
            field="network",
        )
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return parse_network(data, base)


def template_networks(root: Path | None = None) -> list[str]:
    """Names of every network that has a network.yaml."""
    base = root or templates_dir()
    return sorted(p.parent.name for p in base.glob("*/network.yaml"))
