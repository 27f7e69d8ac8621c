"""Every specs_templates/<network>/network.yaml agrees with the NVIDIA spec files next to it.

The failures are written for the template authors: each names the network, the file, the path
and what to fix.
"""

from __future__ import annotations

import math

import pytest

from tao_tui.commands.spec import roundtrip_problem
from tao_tui.errors import TaoTuiError, ValidationError
from tao_tui.resources import templates_dir
from tao_tui.specs.netdef import load_network, template_networks
from tao_tui.specs.params import as_mapping, coerce, is_unset

NETWORKS = template_networks()
SPEC_SUFFIXES = {".txt", ".yaml", ".yml", ".json"}


def _template_files() -> list[tuple[str, str]]:
    """(network folder, file relative to it) for every spec-like file (class lists included)."""
    out = []
    for folder in sorted(p for p in templates_dir().iterdir() if p.is_dir()):
        for f in sorted(folder.rglob("*")):
            if f.is_file() and f.suffix in SPEC_SUFFIXES and f.name != "network.yaml":
                out.append((folder.name, f.relative_to(folder).as_posix()))
    return out


def _load(net_name: str, spec: str, version: str | None = None):
    from tao_tui.specs import load_spec

    return load_spec(load_network(net_name, version=version).folder / spec)


def test_there_are_templates():
    assert len(NETWORKS) >= 1, f"no network.yaml under {templates_dir()}"


def test_every_template_folder_has_a_network_yaml():
    """(a network only TAO 7 has keeps its generated definition in <network>/tao7/network.yaml)"""
    folders = sorted(p.name for p in templates_dir().iterdir() if p.is_dir() and not (p / "tao7" / "network.yaml").is_file())
    missing = [f for f in folders if f not in NETWORKS]
    assert not missing, f"template folders without network.yaml: {', '.join(missing)}"


@pytest.mark.parametrize("net", NETWORKS)
def test_network_yaml_parses(net):
    nd = load_network(net)
    assert nd.name == net, f"{net}/network.yaml: name is '{nd.name}', must equal the folder name '{net}'"
    ids = [s.id for s in nd.stages]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"{net}/network.yaml: stage ids used twice: {dupes}"
    assert nd.spec_format in {"prototxt", "yaml", "json"}, f"{net}: spec_format '{nd.spec_format}'"
    assert nd.cli in {"flags", "hydra"}, f"{net}: cli '{nd.cli}' must be flags or hydra"


@pytest.mark.parametrize("net", NETWORKS)
def test_every_referenced_spec_file_exists(net, version=None):
    nd = load_network(net, version=version)
    refs: list[tuple[str, str]] = []
    for st in nd.stages:
        if st.spec:
            refs.append((f"stage {st.id}: spec", st.spec))
        if st.derived_from:
            refs.append((f"stage {st.id}: derived_from", st.derived_from))
        for feed in st.feeds:
            refs.append((f"stage {st.id}: feeds {feed.path}", feed.spec))
    if nd.pretrained and nd.pretrained.spec:
        refs.append(("pretrained.spec", nd.pretrained.spec))
    for p in nd.safe_params:
        refs.append((f"safe param {p.path}", p.spec))
    missing = [f"{where} -> {spec}" for where, spec in refs if not (nd.folder / spec).is_file()]
    assert not missing, f"{net}: spec files not in {nd.folder}:\n  " + "\n  ".join(missing)


def _same(kind_type: str, default, actual) -> bool:
    if kind_type == "float":
        try:
            return math.isclose(float(default), float(actual), rel_tol=1e-9, abs_tol=0.0)
        except (TypeError, ValueError):
            return False
    if kind_type == "int":
        return not isinstance(actual, bool) and default == actual
    return default == actual


def _version_variants() -> list[tuple[str, str]]:
    """(network, TAO version) for every `versions:` variant that differs from the file as written."""
    from tao_tui.catalog import known_versions, load_catalog

    out, seen = [], set()
    for net in NETWORKS:
        base = load_network(net)
        if base.specs != "bundled" or base.cli == "contract":
            continue
        for version in known_versions():
            if not any(n.name == base.task_name for n in load_catalog(version).networks):
                continue
            nd = load_network(net, version=version)
            if nd.cli == "contract":
                continue
            sig = (net, nd.folder, repr(nd.stages), repr(nd.safe_params))
            if sig != (net, base.folder, repr(base.stages), repr(base.safe_params)) and sig not in seen:
                seen.add(sig)
                out.append((net, version))
    return out


VARIANTS = _version_variants()


def test_there_are_version_variants():
    assert {("classification_pyt", "6.0.0"), ("segformer", "6.0.0"), ("dino", "5.0.0")} <= set(VARIANTS)


@pytest.mark.parametrize(("net", "version"), VARIANTS, ids=[f"{n}-{v}" for n, v in VARIANTS])
def test_version_variant_matches_its_spec_files(net, version):
    """A `versions:` entry's stages, feeds and safe values name spec files of its own template folder, and
    its safe defaults are the values in those files."""
    test_every_referenced_spec_file_exists(net, version)
    test_safe_params_match_their_spec_files(net, version)


@pytest.mark.parametrize("net", NETWORKS)
def test_safe_params_match_their_spec_files(net, version=None):
    nd = load_network(net, version=version)
    problems: list[str] = []
    for p in nd.safe_params:
        where = f"{p.spec}:{p.path}"
        if not (nd.folder / p.spec).is_file():
            problems.append(f"{where}: spec file missing")
            continue
        try:
            doc = _load(net, p.spec, version)
        except TaoTuiError as err:
            problems.append(f"{where}: spec does not parse: {err}")
            continue
        try:
            if p.type == "class_mapping":
                actual = doc.get_mapping(p.path)
                if not actual:
                    problems.append(f"{where}: no class mapping at this path in the spec")
                    continue
                default = as_mapping(p.default, p.path) if p.default is not None else None
                actual = [tuple(x) for x in actual]
            elif p.type == "class_list":
                actual = doc.get_list(p.path)
                default = p.default
            else:
                if not doc.has(p.path):
                    problems.append(f"{where}: path not found in the spec")
                    continue
                actual = doc.get(p.path)
                default = p.default
        except TaoTuiError as err:
            problems.append(f"{where}: {err}")
            continue
        if default is None:
            problems.append(f"{where}: no default (must be the spec file's value: {actual!r})")
        elif not _same(p.type, default, actual):
            problems.append(f"{where}: default {default!r} but the spec file has {actual!r}")
        if p.min is not None and p.max is not None and p.min > p.max:
            problems.append(f"{where}: min {p.min} > max {p.max}")
        if default is not None and not is_unset(default):  # "???" = NVIDIA's "fill me in"
            try:
                coerce(p, default)
            except ValidationError as err:
                problems.append(f"{where}: default {default!r} is not valid for the parameter: {err.rule}")
        if not p.help.strip():
            problems.append(f"{where}: empty help")
    assert not problems, f"{net}/network.yaml safe_params:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("net", NETWORKS)
def test_train_networks_expose_batch_size_and_training_length(net):
    nd = load_network(net)
    if not any(st.task == "train" or st.id == "train" for st in nd.stages):
        pytest.skip(f"{net} has no train stage")
    kinds = {p.kind for p in nd.safe_params}
    missing = [k for k in ("batch_size", "epochs") if k not in kinds]
    assert not missing, (
        f"{net}: has a train stage but no safe param of kind {' / '.join(missing)} "
        "(add the batch size and the epochs / iterations of the train spec to safe_params)"
    )


@pytest.mark.parametrize(("net", "name"), _template_files())
def test_template_spec_round_trips(net, name):
    problem = roundtrip_problem(templates_dir() / net / name)
    assert problem is None, problem
