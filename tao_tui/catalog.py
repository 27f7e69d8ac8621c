"""Which TAO networks exist, in which container image, with which sub-tasks, per TAO version.

Two sources, merged:

* ``tao_tui/data/launcher/<launcher-version>.json``: the unmodified ``config.json`` of each PyPI
  launcher wheel ``nvidia-tao`` (image -> task lists; format 2 = flat ``dockers``, format 3 =
  ``task_group`` model/dataset/deploy), plus ``<v>-deploy.json`` (``config_deploy.json``) for the
  4.0.x launchers whose deploy images live in that separate file;
* ``tao_tui/data/networks.yaml``: domain, sub-tasks and a one-line description per task name.

When the ``nvidia-tao`` launcher is installed in this Python, its own ``config.json`` is read too
(the JSON only; the launcher's code is never imported), so the images and networks of a newer
launcher show up without a tao-tui release. For the same toolkit version it replaces the bundled
copy: it is what ``tao`` on this machine will actually run.

Everything parsed is cached (``functools.cache``); :func:`clear_cache` resets it (tests).
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tao_tui.errors import UserError
from tao_tui.resources import data_dir

GROUPS = ("model", "dataset", "deploy")
_GROUP_PREFERENCE = {"model": 0, None: 0, "dataset": 1, "deploy": 2}
LAUNCHER_PACKAGES = ("nvidia_tao_cli", "tlt")  # 5.x+ and 0.1.x/4.0.x package names of nvidia-tao


# --------------------------------------------------------------------------- versions


def tao_version_tuple(version: str) -> tuple[int, ...]:
    """``"3.22.05"`` -> ``(3, 22, 5)``; a leading ``v`` is allowed. UserError when not a version."""
    text = str(version).strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    if not re.fullmatch(r"\d+(\.\d+)*", text):
        raise UserError(
            f"'{version}' is not a TAO version",
            "write it as numbers with dots, e.g. 5.0.0, 3.22.05 or 6.26.3",
            field="version",
        )
    return tuple(int(p) for p in text.split("."))


def _key(version: str) -> tuple[int, ...]:
    """Comparable form: trailing zeros dropped, so 5.0 == 5.0.0 and 3.22.5 == 3.22.05."""
    parts = list(tao_version_tuple(version))
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class Network:
    """One task name as one launcher version runs it (one per task group it appears in)."""

    name: str
    domain: str  # vision | conversational | data | deploy
    framework: str  # tf1 | tf2 | pyt | lm | data-services | deploy | cosmos-embed | ...
    task_group: str | None  # None for 3.x/4.x model tasks, else model | dataset | deploy
    image: str  # full reference, e.g. nvcr.io/nvidia/tao/tao-toolkit:5.0.0-tf1.15.5
    subtasks: tuple[str, ...]
    description: str
    specs: str  # bundled | download | none
    versions: tuple[str, ...]  # every TAO version whose launcher lists it (in this task group)
    tao_version: str = ""  # the catalog version this entry belongs to
    runs_directly: bool = False  # no sub-task: `tao converter <args>`

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain": self.domain,
            "framework": self.framework,
            "task_group": self.task_group,
            "image": self.image,
            "subtasks": list(self.subtasks),
            "description": self.description,
            "specs": self.specs,
            "versions": list(self.versions),
        }


@dataclass(frozen=True)
class _Entry:
    group: str | None
    name: str
    image: str
    framework: str


@dataclass(frozen=True)
class LauncherConfig:
    """One parsed launcher catalog (config.json [+ config_deploy.json])."""

    toolkit_version: str
    launcher_version: str | None
    published_date: str | None
    format_version: str
    source: str  # "bundled" or "installed: <path>"
    entries: tuple[_Entry, ...]

    @property
    def installed(self) -> bool:
        return self.source != "bundled"


@dataclass(frozen=True)
class Catalog:
    version: str  # the toolkit version, as the launcher writes it ("3.22.05")
    launcher_version: str | None
    published_date: str | None
    source: str
    _networks: tuple[Network, ...] = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def networks(self) -> list[Network]:
        return list(self._networks)

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tao_version_tuple(self.version)

    def names(self) -> list[str]:
        return sorted({n.name for n in self._networks})

    def find(self, name: str) -> list[Network]:
        """Every entry of ``name`` (model, dataset and deploy groups), model first."""
        hits = [n for n in self._networks if n.name == name]
        return sorted(hits, key=lambda n: _GROUP_PREFERENCE.get(n.task_group, 3))

    def network(self, name: str, task_group: str | None = None) -> Network:
        """``name`` in this version; the model-group entry unless ``task_group`` says otherwise."""
        hits = self.find(name)
        if task_group is not None:
            hits = [n for n in hits if (n.task_group or "model") == task_group]
        if hits:
            return hits[0]
        raise UserError(
            f"TAO {self.version} has no network '{name}'", self._unknown_fix(name), field="network"
        )

    def _unknown_fix(self, name: str) -> str:
        elsewhere = [c.toolkit_version for c in _configs() if any(e.name == name for e in c.entries)]
        if elsewhere:
            return f"'{name}' exists in TAO {', '.join(_unique(elsewhere))}; pass --version with one of them"
        close = difflib.get_close_matches(name, self.names(), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        return f"{hint}run `tao-tui catalog --version {self.version}` to list every network"

    def images(self) -> dict[str, list[Network]]:
        """Image -> its networks, in launcher order (model, dataset, deploy)."""
        out: dict[str, list[Network]] = {}
        for n in self._networks:
            out.setdefault(n.image, []).append(n)
        return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------- parsing


def framework_of(repo: str, tag: str) -> str:
    """Framework from an image name: ``tao-toolkit:5.0.0-tf1.15.5`` -> tf1, ``...-pyt2.1.0`` -> pyt."""
    r = repo.rsplit("/", 1)[-1].lower()
    t = tag.lower()
    if "tf1" in t:
        return "tf1"
    if "tf2" in t:
        return "tf2"
    if r.endswith("-lm"):
        return "lm"
    if "pyt" in t or r.endswith("-pyt"):
        return "pyt"
    if r.endswith("-tf"):
        return "tf1"
    if r.endswith("-deploy"):
        return "deploy"
    m = re.fullmatch(r"v?\d+(?:\.\d+)*-(.+)", t)
    return m.group(1) if m else r


def _iter_dockers(dockers: dict, group: str | None):
    for repo, tags in (dockers or {}).items():
        for tag, info in (tags or {}).items():
            registry = (info or {}).get("docker_registry") or "nvcr.io"
            image = f"{registry}/{repo}:{tag}"
            fw = framework_of(repo, tag)
            for task in (info or {}).get("tasks") or ():
                yield _Entry(group, str(task), image, fw)


def parse_launcher_config(
    config: dict,
    *,
    deploy: dict | None = None,
    launcher_version: str | None = None,
    source: str = "bundled",
) -> LauncherConfig:
    """A config.json dict (format 2 or 3) [+ a format-2 config_deploy.json] -> LauncherConfig."""
    if not isinstance(config, dict) or "toolkit_version" not in config:
        raise ValueError("not a TAO launcher config.json (no toolkit_version)")
    raw: list[_Entry] = []
    if "task_group" in config:
        for group, body in config["task_group"].items():
            raw.extend(_iter_dockers((body or {}).get("dockers"), str(group)))
    else:
        raw.extend(_iter_dockers(config.get("dockers"), None))
        if deploy:
            raw.extend(_iter_dockers(deploy.get("dockers"), "deploy"))
    # A task listed under two images of one group: the launcher maps it to the last one
    # (4.0.1 re-points mask_rcnn and unet to 4.0.1-tf1.15.5).
    last: dict[tuple[str | None, str], _Entry] = {}
    for e in raw:
        last.pop((e.group, e.name), None)
        last[(e.group, e.name)] = e
    return LauncherConfig(
        toolkit_version=str(config["toolkit_version"]),
        launcher_version=launcher_version,
        published_date=config.get("published_date"),
        format_version=str(config.get("format_version", "")),
        source=source,
        entries=tuple(last.values()),
    )


def _read_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


@cache
def _bundled() -> tuple[LauncherConfig, ...]:
    folder = data_dir() / "launcher"
    out = []
    for path in sorted(folder.glob("*.json")):
        if path.stem.endswith("-deploy"):
            continue
        deploy_path = path.with_name(f"{path.stem}-deploy.json")
        config = _read_json(path)
        deploy = _read_json(deploy_path) if deploy_path.is_file() and "task_group" not in config else None
        out.append(parse_launcher_config(config, deploy=deploy, launcher_version=path.stem))
    if not out:
        raise FileNotFoundError(f"no launcher catalogs in {folder}; reinstall tao-tui")
    return tuple(out)


def _launcher_dist_version() -> str | None:
    import importlib.metadata  # ~25 ms; only when a launcher package is found

    try:
        return importlib.metadata.version("nvidia-tao")
    except importlib.metadata.PackageNotFoundError:
        return None


@cache
def installed_launcher() -> tuple[LauncherConfig | None, str | None]:
    """The installed ``nvidia-tao`` launcher's catalog, and a note when it could not be read.

    Finds the package with ``importlib.util.find_spec`` (which locates it without running it)
    and reads ``config/config.json`` next to it.
    """
    for package in LAUNCHER_PACKAGES:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            path = Path(location) / "config" / "config.json"
            if not path.is_file():
                continue
            try:
                config = _read_json(path)
                deploy_path = path.with_name("config_deploy.json")
                deploy = None
                if "task_group" not in config and deploy_path.is_file():
                    deploy = _read_json(deploy_path)
                return (
                    parse_launcher_config(
                        config,
                        deploy=deploy,
                        launcher_version=_launcher_dist_version(),
                        source=f"installed: {path}",
                    ),
                    None,
                )
            except (OSError, ValueError, AttributeError, TypeError) as err:
                return None, f"ignored the installed launcher's {path}: {err}"
    return None, None


def _order(c: LauncherConfig) -> tuple:
    launcher = _key(c.launcher_version) if c.launcher_version and _is_version(c.launcher_version) else ()
    return (_key(c.toolkit_version), c.installed, launcher)


def _is_version(text: str) -> bool:
    return bool(re.fullmatch(r"v?\d+(\.\d+)*", str(text).strip()))


@cache
def _configs() -> tuple[LauncherConfig, ...]:
    """Every known launcher catalog, oldest first; the installed one replaces its toolkit version."""
    configs = list(_bundled())
    mine, _note = installed_launcher()
    if mine is not None:
        configs = [c for c in configs if _key(c.toolkit_version) != _key(mine.toolkit_version)]
        configs.append(mine)
    return tuple(sorted(configs, key=_order))


def known_versions() -> list[str]:
    """Toolkit versions tao-tui knows, oldest first."""
    return _unique([c.toolkit_version for c in _configs()])


def _resolve(version: str | None) -> LauncherConfig:
    configs = _configs()
    if version is None or str(version).strip() == "":
        return configs[-1]
    want = _key(version)
    by_toolkit = [c for c in configs if _key(c.toolkit_version) == want]
    if by_toolkit:
        return by_toolkit[-1]
    by_launcher = [
        c
        for c in configs
        if c.launcher_version and _is_version(c.launcher_version) and _key(c.launcher_version) == want
    ]
    if by_launcher:
        return by_launcher[-1]
    aliases = [
        f"{c.launcher_version} = {c.toolkit_version}"
        for c in configs
        if c.launcher_version
        and _is_version(c.launcher_version)
        and _key(c.launcher_version) != _key(c.toolkit_version)
    ]
    alias_text = f" (launcher versions work too: {', '.join(aliases)})" if aliases else ""
    raise UserError(
        f"unknown TAO version '{version}'",
        f"use one of {', '.join(known_versions())}{alias_text}; a newer launcher "
        "(`pip install -U nvidia-tao`) adds its version here",
        field="version",
    )


# --------------------------------------------------------------------------- network notes


@cache
def _notes() -> dict:
    path = data_dir() / "networks.yaml"
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader) or {}


@cache
def _bundled_specs() -> frozenset[str]:
    from tao_tui.specs.netdef import template_networks

    try:
        return frozenset(template_networks())
    except FileNotFoundError:
        return frozenset()


def _subtasks(items: list, version: str) -> tuple[str, ...]:
    out = []
    for item in items or ():
        if isinstance(item, dict):
            since = item.get("since")
            if since and _key(version) < _key(str(since)):
                continue
            out.append(str(item["name"]))
        else:
            out.append(str(item))
    return tuple(out)


def _build_network(e: _Entry, config: LauncherConfig, versions: tuple[str, ...]) -> Network:
    notes = _notes()
    defaults = notes.get("defaults") or {}
    info = (notes.get("networks") or {}).get(e.name)
    version = config.toolkit_version
    if info is None:
        domain = {"dataset": "data", "deploy": "deploy"}.get(e.group or "", "vision")
        subtasks = tuple(defaults.get("deploy_subtasks") or ()) if e.group == "deploy" else ()
        description = str(defaults.get("unknown_description", "")).strip()
        runs_directly = False
        specs_mode = None
    elif e.group == "deploy":
        domain = "deploy"
        subtasks = _subtasks(info.get("deploy_subtasks", defaults.get("deploy_subtasks")), version)
        description = str(info.get("deploy_description") or defaults.get("deploy_description", ""))
        description = description.strip().format(name=e.name)
        runs_directly = not subtasks
        specs_mode = None
    else:
        domain = "data" if e.group == "dataset" else str(info.get("domain", "vision"))
        subtasks = _subtasks(info.get("subtasks"), version)
        description = str(info.get("description", "")).strip()
        runs_directly = bool(info.get("runs_directly"))
        specs_mode = info.get("specs")
    if specs_mode == "download":
        specs = "download"
    else:
        specs = "bundled" if e.name in _bundled_specs() else "none"
    return Network(
        name=e.name,
        domain=domain,
        framework=e.framework,
        task_group=e.group,
        image=e.image,
        subtasks=subtasks,
        description=description,
        specs=specs,
        versions=versions,
        tao_version=version,
        runs_directly=runs_directly,
    )


@cache
def _versions_index() -> dict[tuple[str, str], tuple[str, ...]]:
    index: dict[tuple[str, str], list[str]] = {}
    for c in _configs():
        for e in c.entries:
            index.setdefault((e.group or "model", e.name), []).append(c.toolkit_version)
    return {k: tuple(_unique(v)) for k, v in index.items()}


@cache
def _load(config: LauncherConfig) -> Catalog:
    index = _versions_index()
    networks = tuple(
        _build_network(e, config, index.get((e.group or "model", e.name), (config.toolkit_version,)))
        for e in config.entries
    )
    _mine, note = installed_launcher()
    return Catalog(
        version=config.toolkit_version,
        launcher_version=config.launcher_version,
        published_date=config.published_date,
        source=config.source,
        _networks=networks,
        notes=(note,) if note else (),
    )


def load_catalog(version: str | None = None) -> Catalog:
    """The catalog of ``version`` (toolkit version like 5.0.0 / 3.22.05, or a launcher version
    like 0.1.24 / 5.5.1); the newest known version when None. UserError naming the known ones."""
    return _load(_resolve(version))


def command_prefix(network: Network | str, version: str | None = None) -> list[str]:
    """The start of the ``tao`` command line for a network.

    ``["tao", "detectnet_v2"]`` before TAO 5.0; ``["tao", "model", "detectnet_v2"]`` from 5.0
    (``dataset`` / ``deploy`` for those groups).
    """
    if isinstance(network, str):
        net = load_catalog(version).network(network)
    else:
        net = network
    version = version or net.tao_version or load_catalog().version
    if tao_version_tuple(version) < (5,):
        # 4.0.x TAO Deploy entries come from config_deploy.json: `tao deploy <network> ...`
        if net.task_group == "deploy":
            return ["tao", "deploy", net.name]
        return ["tao", net.name]
    return ["tao", net.task_group or "model", net.name]


def clear_cache() -> None:
    """Forget everything parsed (tests, or after installing another launcher)."""
    for fn in (_bundled, installed_launcher, _configs, _notes, _bundled_specs, _versions_index, _load):
        fn.cache_clear()
