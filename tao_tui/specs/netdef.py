"""network.yaml: what tao-tui knows about one network's specs and workflow.

The schema is documented in ``specs_templates/README.md``. This module only loads
and checks the shape of the file; the values are used by params.py (safe
parameters), rules.py (cross-field rules) and workflow/ (stages and chaining).

A network.yaml describes the newest TAO version first; its ``versions:`` list says what differs in
older (or newer) TAO versions, each entry citing the NVIDIA source file that shows it
(``load_network(name, version=...)`` applies them).
"""

from __future__ import annotations

import copy
import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tao_tui.errors import UserError
from tao_tui.resources import templates_dir

PARAM_KINDS = {"batch_size", "epochs", "classes", "num_classes", "path", "popular"}
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
    choices: tuple | None = None  # the only values allowed (TAO 7 schemas' enum), else None

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
    command: str | None = None  # cli: contract (TAO 7): NVIDIA's command line, `{config_path}` = the spec
    image: str | None = None  # the stage's own image when not the project's (TAO 7 deploy actions)
    # networks whose specs are downloaded: the file names NVIDIA's download_specs may have written
    # for this stage, first match wins (``spec`` is the first of them)
    spec_choices: tuple[str, ...] = ()


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
    tao_versions: ArgGroup | None = None  # the TAO versions this definition is for (since/until); None: all
    gpu_spec_key: str | None = None  # TAO 7: the spec key that holds the GPU count (the contract's)
    skill: str | None = None  # TAO 7: NVIDIA's model skill this definition was generated from
    framework: str = "tf1"  # tf1 | pyt | tf2: how the container's entrypoint reads GPUs and keys
    verified: bool = True  # False: this TAO version's stages/flags/outputs have no public NVIDIA source
    unverified_reason: str = ""  # why (shown with "not checked against NVIDIA's source")
    sources: tuple[str, ...] = ()  # repository:path of the NVIDIA files the version's facts come from
    tao_version: str | None = None  # the TAO version the ``versions:`` overrides were applied for
    gpu_args: tuple[ArgGroup, ...] | None = None  # args that give a train stage the GPU count
    key_field: str | None = "encryption_key"  # hydra: the spec key of the encryption key (None: no key)
    hydra_since: str = "5.0"  # cli: hydra: the first TAO version whose entrypoint takes hydra overrides
    key_required: tuple[str, ...] = ()  # stages whose script requires the key (argparse required=True)
    # "bundled": the spec files are in ``folder``; "download": NVIDIA ships them inside the container
    # and the project's first stage (download_specs) copies them out (TAO 3.x/4.x conversational)
    specs: str = "bundled"
    # specs: download -> the stages that appear once the specs are downloaded (``stages`` holds only
    # the download_specs stage until then); see tao_tui/specs/downloaded.py
    downloaded_stages: tuple[StageDef, ...] = ()

    @property
    def uses_overrides(self) -> bool:
        """Earlier stages' outputs go in as ``key=value`` overrides (hydra, and NeMo's TAO 3.x/4.x
        tasks), not written into the spec files."""
        return self.cli == "hydra" or self.specs == "download"

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
        if any(st.id == stage_id for st in self.downloaded_stages):  # conversational, before download_specs
            raise UserError(f"{self.name}'s stage '{stage_id}' needs NVIDIA's spec files, which are not here yet",
                            "run the download_specs stage first (`tao-tui run download_specs --project DIR`)",
                            field="stage")
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


FRAMEWORKS = {"tf1", "pyt", "tf2"}
NOT_VERIFIED = "not checked against NVIDIA's source"


def _version_key(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in re.findall(r"\d+", str(text))] or [0]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _in_range(version: str, since: Any, until: Any) -> bool:
    v = _version_key(version)
    if since is not None and v < _version_key(str(since)):
        return False
    return not (until is not None and v >= _version_key(str(until)))


def apply_versions(data: dict, version: str | None, where: str = "network.yaml") -> dict:
    """``data`` (a parsed network.yaml) with the ``versions:`` entries that cover ``version`` applied.

    Each entry: ``since`` (inclusive) / ``until`` (exclusive) TAO versions; ``source`` (the
    repository:path that shows the difference); and any of ``verified`` (false: no public source),
    ``unverified_reason``, ``templates`` (a sub-folder holding that version's spec files), ``cli``,
    ``pretrained``, ``safe_params`` (replace the whole value), ``gpu_args``, and ``stages``: stage id ->
    fields of that stage to replace (``{remove: true}`` drops the stage). Entries apply in file order.
    With ``version`` None the data is returned without them.
    """
    out = copy.deepcopy({k: v for k, v in data.items() if k != "versions"})
    out.setdefault("sources", list(_as_list(data.get("source"))))
    if version is None:
        return out
    for entry in data.get("versions") or ():
        if not isinstance(entry, dict):
            raise UserError(f"{where}: bad versions entry {entry!r}", "each entry is a mapping with since/until")
        if not _in_range(version, entry.get("since"), entry.get("until")):
            continue
        for key, value in entry.items():
            if key in ("since", "until"):
                continue
            if key == "source":
                out["sources"] = [*out["sources"], *_as_list(value)]
            elif key == "stages":
                out["stages"] = _override_stages(out["stages"], value, where)
            else:
                out[key] = copy.deepcopy(value)
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _override_stages(stages: list[dict], changes: dict, where: str) -> list[dict]:
    known = {s.get("id") for s in stages}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise UserError(f"{where}: versions: names stages {unknown} that the file does not have",
                        f"use one of {sorted(known)}")
    out = []
    for stage in stages:
        change = changes.get(stage.get("id"))
        if change is None:
            out.append(stage)
        elif not change.get("remove"):
            out.append({**stage, **copy.deepcopy(change)})
    return out


def parse_network(data: dict, folder: Path, version: str | None = None) -> NetworkDef:
    where = str(folder / "network.yaml")
    data = apply_versions(data, version, where)
    stages = []
    for raw in _need(data, "stages", where):
        feeds = tuple(FeedDef(**f) for f in raw.get("feeds") or ())
        args = _parse_args(raw.get("args"), where)
        spec = raw.get("spec")
        choices = tuple(str(s) for s in spec) if isinstance(spec, list) else ()
        stages.append(
            StageDef(
                id=_need(raw, "id", where),
                task=raw.get("task", raw["id"]),
                spec=choices[0] if choices else spec,
                args=args,
                outputs=dict(raw.get("outputs") or {}),
                feeds=feeds,
                derived_from=raw.get("derived_from"),
                spec_choices=choices,
                command=raw.get("command"),
                image=raw.get("image"),
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
            choices=tuple(raw["choices"]) if raw.get("choices") else None,
        )
        if p.kind not in PARAM_KINDS or p.type not in PARAM_TYPES:
            raise UserError(
                f"{where}: parameter {p.path} has kind '{p.kind}' / type '{p.type}'",
                f"kind is one of {sorted(PARAM_KINDS)}, type one of {sorted(PARAM_TYPES)}",
            )
        params.append(p)
    pre = data.get("pretrained")
    specs = str(data.get("specs", "bundled"))
    later: tuple[StageDef, ...] = ()
    if specs == "download":
        # until download_specs ran, the pipeline is that one stage; the rest needs NVIDIA's files
        if not stages or stages[0].task != "download_specs":
            raise UserError(f"{where}: specs: download needs download_specs as the first stage",
                            "add {id: download_specs, task: download_specs, args: [...]} first")
        stages, later = stages[:1], stages[1:]
    elif specs != "bundled":
        raise UserError(f"{where}: specs is '{specs}'", "use bundled (the default) or download")
    cli = data.get("cli", "flags")
    framework = data.get("framework") or ("pyt" if cli == "hydra" else "tf1")
    if framework not in FRAMEWORKS:
        raise UserError(f"{where}: framework '{framework}'", f"use one of {sorted(FRAMEWORKS)}")
    if data.get("templates"):
        folder = folder / str(data["templates"])
    return NetworkDef(
        name=_need(data, "name", where),
        description=_need(data, "description", where),
        spec_format=data.get("spec_format", "yaml"),
        cli=cli,
        stages=tuple(stages),
        safe_params=tuple(params),
        pretrained=PretrainedDef(**pre) if pre else None,
        folder=folder,
        launcher_task=data.get("launcher_task"),
        framework=framework,
        verified=bool(data.get("verified", True)),
        unverified_reason=str(data.get("unverified_reason") or ""),
        sources=tuple(data.get("sources") or ()),
        tao_version=version,
        gpu_args=_parse_args(data.get("gpu_args"), where) if data.get("gpu_args") is not None else None,
        key_field=data.get("key_field", "encryption_key") or None,
        hydra_since=str(data.get("hydra_since", "5.0")),
        key_required=tuple(str(x) for x in data.get("key_required") or ()),
        specs=specs,
        downloaded_stages=tuple(later),
        tao_versions=_version_span(data.get("tao_versions")),
        gpu_spec_key=data.get("gpu_spec_key"),
        skill=data.get("skill"),
    )


def _version_span(raw: Any) -> ArgGroup | None:
    if not raw:
        return None
    since, until = raw.get("since"), raw.get("until")
    return ArgGroup((), since=None if since is None else str(since), until=None if until is None else str(until))


# network.yaml files are tao-tui's own: read with libyaml's loader where PyYAML has it (same safe
# constructor, ~10x faster than the pure-Python one; the wizard's first frame waits for it)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

@cache
def _generations(base: Path) -> tuple[tuple[ArgGroup, Path], ...]:
    """Whole definitions of one network for a span of TAO versions: ``<network>/<folder>/network.yaml``
    files with ``tao_versions: {since, until}`` (TAO 7's, generated from NVIDIA's model contracts by
    scripts/gen_tao7.py, in ``<network>/tao7/`` with their own spec templates)."""
    out = []
    for path in sorted(base.glob("*/network.yaml")):
        with path.open(encoding="utf-8") as fh:
            span = _version_span((yaml.load(fh, Loader=_LOADER) or {}).get("tao_versions"))
        if span is not None:
            out.append((span, path))
    return tuple(out)


def _generation_for(base: Path, version: str | None) -> Path | None:
    """The generation file covering ``version``; with no version and no ``<network>/network.yaml``,
    the newest generation (a network only TAO 7 has)."""
    spans = _generations(base) if base.is_dir() else ()
    if version is not None:
        for span, path in spans:
            if _in_range(version, span.since, span.until):
                return path
        return None
    if spans and not (base / "network.yaml").is_file():
        return max(spans, key=lambda sp: _version_key(sp[0].since or "0"))[1]
    return None


def load_network(name: str, root: Path | None = None, version: str | None = None) -> NetworkDef:
    """The network.yaml of ``name`` in specs_templates (or ``root``), for TAO ``version`` (e.g.
    "5.0.0": the file's ``versions:`` entries that cover it applied; None: the file as written,
    which describes the newest TAO version). UserError when the network has no folder."""
    return _load_network(name, root, _norm_version(version))


def _norm_version(version: str | None) -> str | None:
    return None if version is None or str(version).strip() == "" else str(version).strip()


@cache
def _load_network(name: str, root: Path | None, version: str | None) -> NetworkDef:
    base = (root or templates_dir()) / name
    generation = _generation_for(base, version)
    if generation is not None:
        with generation.open(encoding="utf-8") as fh:
            return parse_network(yaml.load(fh, Loader=_LOADER), generation.parent, version)
    path = base / "network.yaml"
    if not path.is_file() and _generations(base):
        first = min(sp.since or "0" for sp, _ in _generations(base))
        raise UserError(
            f"network '{name}' has no definition for TAO {version}: it runs from TAO {first} on",
            f"pass --tao-version {first} or newer (`tao-tui catalog --version {shlex.quote(str(first))}` lists it)",
            field="tao_version",
        )
    if not path.is_file():
        raise UserError(
            f"no spec templates for network '{name}'",
            "run `tao-tui catalog` to see the networks; those marked 'specs: download' need "
            "`tao <network> download_specs` first",
            field="network",
        )
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_LOADER)
    return parse_network(data, base, version)


def project_network(project: Any) -> NetworkDef:
    """The network definition of a project (anything with ``network`` and ``tao_version``).

    A network whose specs NVIDIA ships inside the container (``specs: download``) is bound to the
    files the project's download_specs stage wrote (``<project>/nvidia_specs``, when ``project`` has
    a ``root``): its later stages and safe parameters appear once they are there."""
    net = load_network(project.network, version=getattr(project, "tao_version", None))
    if net.specs == "download" and getattr(project, "root", None) is not None:
        from tao_tui.specs.downloaded import downloaded_network, nvidia_specs_dir

        return downloaded_network(net, nvidia_specs_dir(project.root))
    return net


def verified_note(net: NetworkDef) -> str:
    """'' when ``net`` (loaded for a version) was checked against NVIDIA's source; else the line the
    catalog, ``status`` and the app show."""
    if net.verified:
        return ""
    why = f": {net.unverified_reason}" if net.unverified_reason else ""
    return f"TAO {net.tao_version or '?'} {net.name}: {NOT_VERIFIED}{why}"


def template_networks(root: Path | None = None) -> list[str]:
    """Names of every network that has a network.yaml."""
    base = root or templates_dir()
    return sorted(p.parent.name for p in base.glob("*/network.yaml"))
