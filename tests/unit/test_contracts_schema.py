"""Every bundled spec template's keys, and every safe parameter's bounds, against NVIDIA's machine-readable
schemas (tests/data/schemas, made by scripts/gen_schema_index.py):

* TAO 5.x templates (specs_templates/<net>/): the TAO 5.5 API schemas, NVIDIA/tao_front_end_services
  ``<net> - <action>.csv`` (parameter, valid_min, valid_max);
* TAO 6.x templates (specs_templates/<net>/tao6/): the hydra configs' JSON schemas as NVIDIA publishes them
  (NVIDIA-TAO/tao-skill-bank 7.1.0 ``schemas/<action>.schema.json``, the same configs as tao-core's 6.x:
  ``nvidia_tao_core/config/<net>/default_config.py``).

A template key is "in the schema" when it, or a list/collection above it, is a schema parameter of any of
the network's actions (one spec file serves several actions). A top-level section named after an action
the schema has no file for (dino's ``distill``, efficientdet_tf2's ``dataset_convert``) is outside it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from tao_tui.specs.netdef import load_network, template_networks

DATA = Path(__file__).resolve().parent.parent / "data" / "schemas"
ACTIONS = {"train", "evaluate", "inference", "export", "prune", "retrain", "dataset_convert", "distill",
           "quantize", "gen_trt_engine", "convert", "kmeans", "calibration_tensorfile"}
# keys (or sections) of NVIDIA's own 5.5 starter-kit files that its 5.5 API schema (the FTMS CSVs) does not list
# and no fuller public schema here covers; they stay, as NVIDIA wrote them: (network, key prefix) -> why
KNOWN_OUTSIDE = {
    ("mal", "strategy"): "top-level key of NVIDIA's 5.5 spec.yaml; the FTMS mal CSVs omit it",
    ("classification_pyt", "train.exp_config"): "mmpretrain runner section (5.x); FTMS lists only some of it",
    ("classification_pyt", "model.backbone.custom_args"): "free keyword arguments of the mmpretrain backbone",
    ("classification_tf2", "train.optim_config"): "TF2 5.5 optimizer section; FTMS lists none of it",
    ("classification_tf2", "train.lr_config"): "TF2 5.5 learning-rate section; FTMS lists none of it",
    ("classification_tf2", "evaluate.trt_engine"): "TF2 5.5 evaluate/inference with a TensorRT engine",
    ("classification_tf2", "inference.trt_engine"): "TF2 5.5 evaluate/inference with a TensorRT engine",
    ("efficientdet_tf2", "evaluate.trt_engine"): "TF2 5.5 evaluate/inference with a TensorRT engine",
    ("efficientdet_tf2", "inference.trt_engine"): "TF2 5.5 evaluate/inference with a TensorRT engine",
}


def _known(network: str, path: str) -> bool:
    return any(n == network and (path == pre or path.startswith(pre + ".")) for n, pre in KNOWN_OUTSIDE)


@cache
def _schema(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _leaves(d: dict, prefix: str = ""):
    for k, v in d.items():
        path = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            yield from _leaves(v, path)
        else:
            yield path


def _covered(path: str, params: dict[str, bool]) -> bool:
    """``path`` is a schema parameter, or sits inside one that is not a collection (a list, a dict-valued
    field): a collection's own keys are each listed, so they must each be there."""
    if path in params:
        return True
    parts = path.split(".")
    return any(params.get(".".join(parts[:i])) is False for i in range(len(parts) - 1, 0, -1))


def _params(actions: dict) -> dict[str, bool]:
    """parameter -> is a collection, over every action of the network."""
    keys = {key for rows in actions.values() for key in rows}
    out: dict[str, bool] = {}
    for rows in actions.values():
        for key, (_low, _high, container) in rows.items():
            # a collection without listed members is a free mapping (label_map, color_map): any key inside
            listed = container and any(k.startswith(key + ".") for k in keys)
            out[key] = out.get(key, False) or bool(listed)
    return out


def _variants():
    """(network, TAO version label, NetworkDef, schema file) for every template set with a schema."""
    out = []
    for name in template_networks():
        base = load_network(name)
        if base.specs != "bundled":
            continue
        if name in _schema("ftms-5.5.json"):
            out.append((name, "5.5", base, "ftms-5.5.json"))
        six = load_network(name, version="6.26.3")
        if six.folder != base.folder and name in _schema("tao-6x.json"):
            out.append((name, "6.x", six, "tao-6x.json"))
    return out


VARIANTS = _variants()


def test_the_6x_templates_are_checked():
    checked = {(n, v) for n, v, *_ in VARIANTS}
    assert {("classification_pyt", "6.x"), ("segformer", "6.x"), ("dino", "5.5")} <= checked


@pytest.mark.parametrize(("network", "label", "net", "schema"), VARIANTS, ids=[f"{n}-{v}" for n, v, *_ in VARIANTS])
def test_template_keys_are_in_nvidias_schema(network, label, net, schema):
    actions = _schema(schema)[network]
    params = _params(actions)
    if label == "5.5":  # the FTMS CSVs list NVIDIA's API parameters, not every config key: a key the
        # hydra config schema of the same network has (tao-core's, as published for 6.x/7.x) is valid too
        hydra = _params(_schema("tao-6x.json").get(network, {}))
        params = {**hydra, **params}
    problems = []
    for spec in net.spec_files:
        if not spec.endswith((".yaml", ".yml")):
            continue
        data = yaml.safe_load((net.folder / spec).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            continue
        for path in _leaves(data):
            top = path.split(".")[0]
            if top in ACTIONS and top not in actions:
                continue  # a section of an action the schema has no file for
            if _known(network, path) or _covered(path, params):
                continue
            problems.append(f"{spec}: {path}")
    assert not problems, f"{network} ({label} templates, {net.folder}): keys not in NVIDIA's schema {schema}:\n  " + (
        "\n  ".join(problems))


@pytest.mark.parametrize(("network", "label", "net", "schema"), VARIANTS, ids=[f"{n}-{v}" for n, v, *_ in VARIANTS])
def test_safe_parameter_bounds_within_nvidias_schema(network, label, net, schema):
    actions = _schema(schema)[network]
    problems = []
    for p in net.safe_params:
        if p.type not in ("int", "float"):
            continue
        key = re.sub(r"\[\d+\]", "", p.path)
        bounds = [rows[key] for rows in actions.values() if key in rows]
        if not bounds:
            continue
        lows = [b[0] for b in bounds if b[0] is not None]  # b = [min, max, container]
        highs = [b[1] for b in bounds if b[1] is not None]
        low, high = (max(lows) if lows else None), (min(highs) if highs else None)
        if low is not None and (p.min is None or p.min < low):
            problems.append(f"{p.key}: min {p.min} below NVIDIA's valid_min {low}")
        if high is not None and (p.max is None or p.max > high):
            problems.append(f"{p.key}: max {p.max} above NVIDIA's valid_max {high}")
        if p.min is not None and p.max is not None and p.min > p.max:
            problems.append(f"{p.key}: min {p.min} > max {p.max}")
    assert not problems, f"{network} ({label}): safe bounds outside {schema}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("network", ["classification_pyt", "segformer"])
def test_the_55_templates_are_not_6x_specs(network):
    """The reason 6.x projects get their own templates: the 5.5 files' keys are not in 6.x's schema."""
    base = load_network(network)
    params = _params(_schema("tao-6x.json")[network])
    train = next(s.spec for s in base.stages if s.task == "train")
    data = yaml.safe_load((base.folder / train).read_text(encoding="utf-8"))
    outside = [p for p in _leaves(data) if not _covered(p, params)]
    assert len(outside) > len(list(_leaves(data))) // 2, outside


@pytest.mark.parametrize("network", ["classification_pyt", "segformer"])
def test_a_new_6x_project_writes_specs_of_6x_keys(network, tmp_path):
    """`tao-tui new` at 6.26.3 (the default launcher version): every key of every written spec is in 6.x's schema."""
    from tao_tui.project import Project
    from tao_tui.workflow.create import create_project

    project = create_project(tmp_path / "p", network, tao_version="6.26.3")
    actions = _schema("tao-6x.json")[network]
    params = _params(actions)
    net = load_network(network, version=Project.load(project.root).tao_version)
    outside = []
    for spec in net.spec_files:
        data = yaml.safe_load((project.specs_dir / spec).read_text(encoding="utf-8"))
        for path in _leaves(data):
            top = path.split(".")[0]
            if top in ACTIONS and top not in actions:
                continue  # e.g. gen_trt_engine: read by the deploy image, not this schema's
            if not _covered(path, params):
                outside.append(f"{spec}: {path}")
    assert not outside, outside
