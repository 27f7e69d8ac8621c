#!/usr/bin/env python3
"""Generate tao-tui's TAO 7 networks from NVIDIA's machine-readable model contracts.

Source: NVIDIA-TAO/tao-skill-bank at tag 7.1.0 (Apache-2.0), the data files only: per model skill
``references/skill_info.yaml`` (image, data format, GPU key, each action's command, inputs, outputs,
``spec_params`` roles), ``references/tao-deploy-<net>.skill_info.yaml`` (the TensorRT actions),
``references/spec_template_<action>.yaml`` and ``schemas/<action>.schema.json`` (defaults, types,
bounds, enums, NVIDIA's ``popular`` flag), ``references/*errors*.md`` (error catalogs) and the
release's ``versions.yaml`` (images).

Writes (and with ``--check`` only compares, exit 1 on any difference):

* ``specs_templates/<network>/tao7/network.yaml`` and the action spec files, byte for byte NVIDIA's
  templates, named ``<stage>.yaml``;
* ``tao_tui/data/tao7/<release>.json``: the catalog of the release (every model skill, also those
  tao-tui cannot run, each with its actions, images and why not).

Rerunnable: the same source gives the same bytes. Usage::

    python scripts/gen_tao7.py [--source ../shared/reference/tao7] [--out .] [--check]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import sys
from pathlib import Path

import yaml

RELEASE = "7.1.0"
SOURCE_NOTE = "NVIDIA-TAO/tao-skill-bank@7.1.0 (67a2ca782ef84bf085ab10afdaf61490e3efcb4f), Apache-2.0"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "tao7"
GENERATION = "tao7"  # the sub-folder of specs_templates/<network>/ holding the 7.x definition

# workflow order of NVIDIA's action names; actions not listed keep the contract's order after these
ORDER = ["dataset_convert", "convert", "train", "segment_train", "prune", "retrain", "distill", "evaluate",
         "segment_evaluate", "inference", "segment_inference", "quantize", "export"]
DEPLOY_ORDER = ["gen_trt_engine", "evaluate", "inference"]
# config sections that belong to one action (each action's schema holds all of them)
ACTION_SECTIONS = {*ORDER, *DEPLOY_ORDER, "gen_trt_engine", "deploy", "segment"}
# actions that make a model the later actions start from (spec_params role parent_model)
MODEL_MAKERS = ("train", "retrain", "segment_train")
# popular keys that follow the project's GPU settings instead (the contract's gpu_spec_key says where)
GPU_LEAVES = {"num_gpus", "gpu_ids", "num_nodes", "gpu_id"}
SCHEMA_TYPES = {"int": "int", "ordered_int": "int", "float": "float", "bool": "bool", "string": "str",
                "str": "str", "categorical": "str"}
EPOCH_SHORTHANDS = {"num_epochs", "max_iter", "max_iters", "epochs", "epoch", "num_iterations"}
CREATE_EXT = {"create_onnx_file": "onnx", "create_engine_file": "engine", "create_cal_cache": "bin"}


class ContractError(Exception):
    """A contract file that does not have the shape this script reads."""


# --------------------------------------------------------------------------- reading


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_json(path: Path):
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def images_of(source: Path) -> dict[str, str]:
    """versions.yaml -> {"tao_toolkit.pyt": "nvcr.io/...:7.1.0-pyt", ...}."""
    data = load_yaml(source / "versions.yaml") or {}
    out = {}
    for family, entries in (data.get("images") or {}).items():
        for key, image in (entries or {}).items():
            out[f"{family}.{key}"] = str(image)
    return out


def resolve_image(value: str | None, images: dict[str, str]) -> str | None:
    """A literal image, or a legacy versions key (``tao_toolkit.deploy``) resolved through versions.yaml."""
    if not value:
        return None
    value = str(value).strip()
    return images.get(value, images.get(value.removeprefix("images."), value))


def network_name(arch: str) -> str:
    return arch.replace("-", "_")


def skill_names(skills: list[tuple[str, dict]]) -> dict[str, str]:
    """skill -> tao-tui network name: NVIDIA's ``network_arch`` (``-`` as ``_``), or, where two skills
    share one (depth_net_stereo), the skill's own name without its tao-train-/tao-finetune- prefix."""
    arches: dict[str, list[str]] = {}
    for skill, info in skills:
        arches.setdefault(network_name(str(info.get("network_arch") or skill)), []).append(skill)
    out = {}
    for arch, owners in arches.items():
        for skill in owners:
            if len(owners) == 1:
                out[skill] = arch
            else:
                out[skill] = network_name(re.sub(r"^tao-(train|finetune)-", "", skill))
    return out


# --------------------------------------------------------------------------- schema


def schema_leaves(props: dict, prefix: str = "") -> dict[str, dict]:
    """Flatten a schema's ``properties`` into {dotted path: leaf schema}."""
    out: dict[str, dict] = {}
    for key, value in (props or {}).items():
        if not isinstance(value, dict):
            continue
        path = f"{prefix}{key}"
        if isinstance(value.get("properties"), dict) and value["properties"]:
            out.update(schema_leaves(value["properties"], path + "."))
        else:
            out[path] = value
    return out


def finite(value) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def help_text(leaf: dict, fallback: str) -> str:
    text = " ".join(str(leaf.get("description") or "").split()) or str(leaf.get("title") or "") or fallback
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first[:200]


# --------------------------------------------------------------------------- spec documents


def get_path(doc, path: str):
    """Value at a dotted path with ``[i]`` list indexes; KeyError when absent."""
    node = doc
    for part in path.split("."):
        m = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        if not m or not isinstance(node, dict) or m.group(1) not in node:
            raise KeyError(path)
        node = node[m.group(1)]
        for idx in re.findall(r"\[(\d+)\]", m.group(2)):
            if not isinstance(node, list) or int(idx) >= len(node):
                raise KeyError(path)
            node = node[int(idx)]
    return node


def has_path(doc, path: str) -> bool:
    try:
        get_path(doc, path)
    except KeyError:
        return False
    return True


def scalar_path(doc, path: str) -> str | None:
    """``path`` as a scalar in ``doc``: a list value becomes its first item (``image_dir[0]``)."""
    if not has_path(doc, path):
        return None
    value = get_path(doc, path)
    if isinstance(value, list) and value and not isinstance(value[0], (dict, list)):
        return f"{path}[0]"
    if isinstance(value, (dict, list)):
        return None
    return path


# --------------------------------------------------------------------------- commands


def command_form(command: str) -> str:
    """``argv``: the command splits into words (no shell); ``shell``: it needs ``sh -c`` (here-docs,
    ``&&`` outside quotes)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return "shell"
    return "shell" if any(t and set(t) <= set("();<>|&") for t in tokens) else "argv"


# --------------------------------------------------------------------------- stages


def ordered(actions: list[str], order: list[str]) -> list[str]:
    known = [a for a in order if a in actions]
    return known + [a for a in actions if a not in known]


def spec_template_file(info: dict, action: str, refs: Path, deploy: bool) -> Path | None:
    mapping = info.get("spec_templates") or {}
    name = mapping.get(action)
    if isinstance(name, str):
        path = (refs / name).resolve() if not name.startswith("../") else (refs / Path(name).name)
        if path.is_file():
            return path
    if not name:  # nested variants (visual_changenet: classify / segment): the first variant's file
        for variant in mapping.values():
            if isinstance(variant, dict) and isinstance(variant.get(action), str):
                path = refs / Path(variant[action]).name
                if path.is_file():
                    return path
    candidates = [f"spec_template_deploy_{action}.yaml"] if deploy else []
    candidates.append(f"spec_template_{action}.yaml")
    for cand in candidates:
        if (refs / cand).is_file():
            return refs / cand
    return None


class Stage:
    def __init__(self, sid: str, action: str, body: dict, roles: dict, image: str, deploy: bool):
        self.id, self.action, self.body, self.image, self.deploy = sid, action, body, image, deploy
        # spec_params: key -> role (output_dir, parent_model, create_onnx_file, ...); a mapping value
        # (a download link for a pretrained file) is not a role
        self.roles = {k: v for k, v in (roles or {}).items() if isinstance(v, str)}
        self.spec: str | None = None
        self.template: dict | None = None
        self.template_path: Path | None = None
        self.outputs: dict[str, str] = {}
        self.feeds: list[dict] = []

    @property
    def inputs(self) -> dict:
        return dict(self.body.get("inputs") or {})


def build_network(skill: str, name: str, info: dict, deploy_info: dict | None, skill_dir: Path,
                  images: dict[str, str]) -> tuple[dict, dict[str, bytes]] | None:
    """(network.yaml data, {spec file name: NVIDIA's bytes}) of one model skill; None when tao-tui
    cannot run it (no container actions, or a config format it does not read)."""
    refs = skill_dir / "references"
    image = resolve_image(info.get("container_image"), images)
    actions = info.get("actions") or {}
    if not image or not actions:
        return None
    if any(str(a.get("config_format", "yaml")) != "yaml" for a in actions.values()):
        return None
    pyt_image = image == images.get("tao_toolkit.pyt")
    stages: list[Stage] = []
    for action in ordered(list(actions), ORDER):
        body = actions[action]
        st_image = resolve_image(body.get("container_image"), images) or image
        roles = (info.get("spec_params") or {}).get(action) or {}
        stages.append(Stage(action, action, body, roles, st_image, st_image != image))
    if deploy_info:
        dimage = resolve_image(deploy_info.get("container_image"), images) or images.get("tao_toolkit.deploy")
        have = {s.id for s in stages}
        for action in ordered(list(deploy_info.get("actions") or {}), DEPLOY_ORDER):
            sid = action if action.startswith("gen_trt_engine") else f"trt_{action}"
            if sid in have:  # the model skill already runs it in the deploy image
                continue
            body = deploy_info["actions"][action]
            roles = (deploy_info.get("spec_params") or {}).get(action) or {}
            stages.append(Stage(sid, action, body, roles, dimage, True))
            stages[-1].info = deploy_info  # type: ignore[attr-defined]
    files: dict[str, bytes] = {}
    kept = []
    for st in stages:
        src_info = getattr(st, "info", info)
        path = spec_template_file(src_info, st.action, refs, deploy=src_info is not info)
        if path is None:
            continue  # an action without NVIDIA's spec file: tao-tui does not invent one
        st.template_path = path
        st.template = load_yaml(path) or {}
        if not isinstance(st.template, dict):
            continue
        st.spec = f"{st.id}.yaml"
        files[st.spec] = path.read_bytes()
        kept.append(st)
    stages = kept
    if not any(s.action in MODEL_MAKERS for s in stages):
        return None
    _outputs_and_feeds(stages, name, pyt_image)
    schemas = {a: _schema(skill_dir, a) for a in {s.action for s in stages}}
    params = _safe_params(stages, info, schemas)
    stage_rows = []
    for st in stages:
        row: dict = {"id": st.id, "task": st.action, "spec": st.spec, "command": str(st.body["command"])}
        if st.deploy:
            row["image"] = st.image
        if st.outputs:
            row["outputs"] = st.outputs
        if st.feeds:
            row["feeds"] = st.feeds
        stage_rows.append(row)
    data = {
        "name": name,
        "description": describe(skill, info),
        "spec_format": "yaml",
        "cli": "contract",
        "framework": "pyt",
        "tao_versions": {"since": "7.0"},
        "skill": skill,
        "source": f"{SOURCE_NOTE}: skills/models/{skill}",
        "gpu_spec_key": info.get("gpu_spec_key"),
        "stages": stage_rows,
        "safe_params": params,
    }
    if not data["gpu_spec_key"]:
        del data["gpu_spec_key"]
    return data, files


def describe(skill: str, info: dict) -> str:
    """NVIDIA's description of the skill; where it has none, what its name and data format say."""
    text = " ".join(str(info.get("description") or "").split())
    if text:
        return text
    fmt = f" on {info['data_format']} data" if info.get("data_format") not in (None, "", "default") else ""
    return f"{info.get('network_arch') or skill} (NVIDIA skill {skill}){fmt}."


def container_task(command: str, action: str) -> str:
    """The task word of a contract command (``ocdnet train -e {config_path}`` -> ``train``), else ``action``."""
    m = re.search(r"([A-Za-z_][\w-]*)\s+-e\s+\{config_path\}", command)
    return m.group(1) if m else action


def _create_ext(role: str, key: str) -> str:
    """``create_pth_file`` -> ``pth``; otherwise the key's last word."""
    m = re.fullmatch(r"create_(\w+?)_file", role)
    return m.group(1) if m else key.rsplit(".", 1)[-1]


def _schema(skill_dir: Path, action: str) -> dict:
    path = skill_dir / "schemas" / f"{action}.schema.json"
    return load_json(path) if path.is_file() else {}


def _outputs_and_feeds(stages: list[Stage], name: str, pyt_image: bool) -> None:
    by_id = {s.id: s for s in stages}
    for st in stages:
        st.outputs["results"] = "{results}"
        out_key = next((k for k, r in st.roles.items() if r == "output_dir"), None)
        if out_key is None and has_path(st.template, "results_dir"):
            out_key = "results_dir"
        if out_key and has_path(st.template, out_key):
            st.feeds.append({"spec": st.spec, "path": out_key, "value": "{results}"})
        if st.action in MODEL_MAKERS or st.action == "distill":
            # PyTorch tasks write checkpoints to <results_dir>/<task>/ (NVIDIA's dino catalog: "DINO train
            # jobs upload checkpoints under results_dir/train/"; the task is the command's, so retrain =
            # `ocdnet train` writes to train/); other images: the results folder
            task = container_task(str(st.body.get("command", "")), st.action)
            st.outputs["model"] = f"{{results}}/{task}/*.pth" if pyt_image and not st.deploy else "{results}"
        for key, role in st.roles.items():
            if role in CREATE_EXT or str(role).startswith("create_"):
                scalar = scalar_path(st.template, key)
                if scalar is None:
                    continue
                ext = CREATE_EXT.get(role) or _create_ext(role, key)
                value = f"{{results}}/{name}.{ext}"
                st.feeds.append({"spec": st.spec, "path": scalar, "value": value})
                if key in (st.body.get("outputs") or {}) or role in ("create_onnx_file", "create_engine_file"):
                    out = {"create_onnx_file": "onnx", "create_engine_file": "engine"}.get(role)
                    st.outputs[out or ("model" if st.action == "prune" else key.rsplit(".", 1)[-1])] = value
        if st.action == "prune" and "model" not in st.outputs and pyt_image:
            st.outputs["model"] = "{results}/*.pth"  # the pruned model, where the contract names no file
    for i, st in enumerate(stages):
        earlier = stages[:i]
        for key, role in st.roles.items():
            if role not in ("parent_model", "parent_model_folder"):
                continue
            if st.inputs and key not in st.inputs:
                continue
            scalar = scalar_path(st.template, key)
            if scalar is None:
                continue
            producer, output = _parent(st, key, earlier)
            if producer is None:
                continue
            value = by_id[producer].outputs[output]
            if role == "parent_model_folder":
                value = "{results}"
            by_id[producer].feeds.append({"spec": st.spec, "path": scalar, "value": value})


def _parent(st: Stage, key: str, earlier: list[Stage]) -> tuple[str | None, str]:
    """Which earlier stage's output a parent_model key reads."""
    def last(pred, output):
        for cand in reversed(earlier):
            if pred(cand) and output in cand.outputs:
                return cand.id, output
        return None, output

    leaf = key.rsplit(".", 1)[-1]
    if "trt_engine" in leaf or "engine_file" in leaf:
        if not st.deploy:
            return None, ""  # a PyTorch stage's optional TensorRT input: left to the user
        return last(lambda c: c.action.startswith("gen_trt_engine"), "engine")
    if "onnx" in leaf:
        return last(lambda c: c.action == "export", "onnx")
    if st.action == "retrain":  # retrain starts from the pruned model
        return last(lambda c: c.action == "prune", "model")
    if st.action in MODEL_MAKERS:
        return None, ""
    # a variant's actions read that variant's model (visual_changenet: segment_evaluate <- segment_train)
    same = last(lambda c: c.action in MODEL_MAKERS and variant(c.action) == variant(st.action), "model")
    return same if same[0] else last(lambda c: c.action in MODEL_MAKERS, "model")


def variant(action: str) -> str:
    """``segment_evaluate`` -> ``segment_``; a plain action -> ''."""
    for base in (*ORDER, *DEPLOY_ORDER):
        if action != base and action.endswith("_" + base):
            return action[: -len(base)]
    return ""


def _concerns(st: Stage, path: str, shorthand: dict[str, str]) -> bool:
    """Whether a schema leaf is the stage's to offer: every action's schema is the whole config, so a
    training action offers everything but the other actions' sections, another action its own section,
    the class count and NVIDIA's batch-size shorthand."""
    section = path.split(".", 1)[0]
    if path.rsplit(".", 1)[-1] == "num_classes" or "batch_size" in shorthand.get(path, ""):
        return True
    if st.action in MODEL_MAKERS or st.action == "distill":
        return section not in ACTION_SECTIONS or section in ("train", st.action)
    return section == st.action


def _fed(stages: list[Stage]) -> set[tuple[str, str]]:
    return {(f["spec"], f["path"]) for st in stages for f in st.feeds}


def _safe_params(stages: list[Stage], info: dict, schemas: dict[str, dict]) -> list[dict]:
    fed = _fed(stages)
    shorthand = {str(v): str(k) for k, v in (info.get("spec_shorthand_keys") or {}).items()}
    gpu_key = str(info.get("gpu_spec_key") or "")
    node_key = str(info.get("node_spec_key") or "")
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(st: Stage, path: str, kind: str, leaf: dict | None, help_fallback: str) -> None:
        if (st.spec, path) in seen or (st.spec, path) in fed:
            return
        value = get_path(st.template, path)
        if isinstance(value, (dict, list)) or value is None and kind != "path":
            return
        row: dict = {"spec": st.spec, "path": path, "kind": kind}
        if kind == "path":
            row["type"] = "path"
        else:
            stype = SCHEMA_TYPES.get(str((leaf or {}).get("type")))
            if stype is None:
                stype = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value))
            if stype is None:
                return
            if stype == "float" and isinstance(value, int) and not isinstance(value, bool):
                pass
            elif stype == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
                return
            elif stype == "bool" and not isinstance(value, bool):
                return
            elif stype == "str" and not isinstance(value, str):
                return
            row["type"] = stype
            lo, hi = finite((leaf or {}).get("minimum")), finite((leaf or {}).get("maximum"))
            if lo is not None:
                row["min"] = lo
            if hi is not None:
                row["max"] = hi
            enum = (leaf or {}).get("enum")
            if isinstance(enum, list) and enum and all(isinstance(e, (str, int, float)) for e in enum):
                if value not in enum:
                    return  # NVIDIA's template value outside its own enum: keep it locked
                row["choices"] = list(enum)
        row["default"] = value
        row["help"] = help_text(leaf or {}, help_fallback)
        rows.append(row)
        seen.add((st.spec, path))

    for st in stages:
        leaves = schema_leaves((schemas.get(st.action) or {}).get("properties") or {})
        # paths: the action's typed inputs that no earlier stage feeds
        for key in st.inputs:
            scalar = scalar_path(st.template, key)
            if scalar and (st.spec, scalar) not in fed:
                add(st, scalar, "path", leaves.get(key), f"The {key.rsplit('.', 1)[-1]} this action reads.")
        for path, leaf in leaves.items():
            leaf_name = path.rsplit(".", 1)[-1]
            if not has_path(st.template, path) or not _concerns(st, path, shorthand):
                continue
            if path in (gpu_key, node_key) or leaf_name in GPU_LEAVES:
                continue
            short = shorthand.get(path, "")
            if "batch_size" in short or (st.action in MODEL_MAKERS and leaf_name == "batch_size"):
                kind = "batch_size"
            elif (short in EPOCH_SHORTHANDS or leaf_name == "num_epochs") and st.action in (*MODEL_MAKERS, "distill"):
                kind = "epochs"
            elif leaf_name == "num_classes":
                kind = "num_classes"
            elif leaf.get("popular"):
                kind = "popular"
            else:
                continue
            add(st, path, kind, leaf, leaf_name.replace("_", " "))
    return rows


# --------------------------------------------------------------------------- errors


def error_catalog(refs: Path) -> list[dict]:
    """NVIDIA's ``**pattern**: explanation and fix`` lines of ``references/*errors*.md``."""
    out = []
    for path in sorted(refs.glob("*errors*.md")):
        text = path.read_text(encoding="utf-8")
        section = text.split("## Error Patterns", 1)[-1]
        for block in re.split(r"\n\s*\n", section):
            m = re.match(r"\s*\*\*(.+?)\*\*:?\s*(.*)", block, re.S)
            if not m:
                continue
            pattern = m.group(1).strip().strip("`").replace("`", "")
            fix = " ".join(m.group(2).split()).lstrip(": ")
            if pattern and fix:
                out.append({"pattern": pattern, "fix": fix, "source": f"{refs.parent.name}/references/{path.name}"})
    return out


# --------------------------------------------------------------------------- catalog


def _actions_row(info: dict, images: dict[str, str], default_image: str | None, group: str) -> dict:
    out = {}
    for action, body in (info.get("actions") or {}).items():
        out[action] = {
            "command": str(body.get("command", "")),
            "image": resolve_image(body.get("container_image"), images) or default_image,
            "config_format": str(body.get("config_format", "yaml")),
            "group": group,
            "inputs": sorted((body.get("inputs") or {}).keys()),
            "outputs": sorted((body.get("outputs") or {}).keys()),
        }
    return out


def build(source: Path) -> dict[Path, bytes]:
    """Every generated file (path relative to the repository) and its bytes."""
    images = images_of(source)
    models = source / "skills" / "models"
    skills = []
    for skill_dir in sorted(p for p in models.iterdir() if p.is_dir()):
        info_path = skill_dir / "references" / "skill_info.yaml"
        if info_path.is_file():
            skills.append((skill_dir.name, load_yaml(info_path) or {}))
    names = skill_names(skills)
    out: dict[Path, bytes] = {}
    catalog_rows = []
    for skill, info in skills:
        skill_dir = models / skill
        refs = skill_dir / "references"
        deploy_paths = sorted(refs.glob("tao-deploy-*.skill_info.yaml"))
        deploy_info = load_yaml(deploy_paths[0]) if deploy_paths else None
        name = names[skill]
        image = resolve_image(info.get("container_image"), images)
        built = build_network(skill, name, info, deploy_info, skill_dir, images)
        actions = _actions_row(info, images, image, "model")
        if deploy_info:
            dimage = resolve_image(deploy_info.get("container_image"), images)
            for action, row in _actions_row(deploy_info, images, dimage, "deploy").items():
                actions[action if action.startswith("gen_trt_engine") and action not in actions else
                        f"trt_{action}"] = row
        row = {
            "skill": skill,
            "network": name,
            "network_arch": str(info.get("network_arch") or ""),
            "image": image,
            "data_format": info.get("data_format"),
            "description": describe(skill, info),
            "gpu_spec_key": info.get("gpu_spec_key"),
            "actions": actions,
            "required_credentials": list(info.get("required_credentials") or ()),
            "runtime_requirements": info.get("runtime_requirements") or {},
            "execution_environment": info.get("execution_environment") or ("docker" if image else None),
            "runs": built is not None,
            "errors": error_catalog(refs),
        }
        if built is None:
            row["why_not"] = _why_not(info, image)
        else:
            data, files = built
            folder = Path("specs_templates") / name / GENERATION
            header = (f"# Generated by scripts/gen_tao7.py from {SOURCE_NOTE}, skills/models/{skill}.\n"
                      "# Do not edit: change the generator and run it again.\n")
            text = header + yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True)
            out[folder / "network.yaml"] = text.encode("utf-8")
            for fname, body in files.items():
                out[folder / fname] = body
            row["stages"] = [s["id"] for s in data["stages"]]
        catalog_rows.append(row)
    catalog = {
        "tao_version": RELEASE,
        "source": SOURCE_NOTE,
        "images": images,
        "host_minimums": {"min_driver_version": "580", "min_cuda_version": "13.0",
                          "min_container_toolkit_version": "1.19"},
        "skills": catalog_rows,
    }
    out[Path("tao_tui/data/tao7") / f"{RELEASE}.json"] = (json.dumps(catalog, indent=1, sort_keys=False) + "\n").encode()
    return out


def _why_not(info: dict, image: str | None) -> str:
    if not image:
        env = info.get("execution_environment") or "its own Python environment"
        return f"runs outside a TAO container ({env}); tao-tui runs container jobs only"
    if not info.get("actions"):
        return "its contract declares no actions"
    formats = {str(a.get("config_format", "yaml")) for a in (info.get("actions") or {}).values()}
    if formats - {"yaml"}:
        return f"its specs are {', '.join(sorted(formats - {'yaml'}))}; tao-tui edits YAML, JSON and prototxt specs"
    return "NVIDIA publishes no spec template for its train action"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the tao-skill-bank 7.1.0 data folder")
    ap.add_argument("--out", type=Path, default=ROOT, help="the repository root to write into")
    ap.add_argument("--check", action="store_true", help="compare with what is there; exit 1 on a difference")
    args = ap.parse_args(argv)
    if not (args.source / "skills" / "models").is_dir():
        print(f"gen_tao7: {args.source} has no skills/models; pass --source <tao-skill-bank data>", file=sys.stderr)
        return 2
    files = build(args.source)
    generated_dirs = {(args.out / p).parent for p in files if p.parts[0] == "specs_templates"}
    stale = [
        f for d in generated_dirs if d.is_dir() for f in d.iterdir()
        if f.is_file() and f.relative_to(args.out) not in files
    ]
    stale += [
        p.parent for p in (args.out / "specs_templates").glob(f"*/{GENERATION}/network.yaml")
        if p.parent not in generated_dirs
    ]
    if args.check:
        diff = [str(p) for p, body in files.items()
                if not (args.out / p).is_file() or (args.out / p).read_bytes() != body]
        diff += [f"{s} (not generated any more)" for s in stale]
        for line in diff:
            print(f"differs: {line}")
        return 1 if diff else 0
    for path, body in files.items():
        target = args.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != body:
            target.write_bytes(body)
    for s in stale:
        if s.is_file():
            s.unlink()
    print(f"gen_tao7: {sum(1 for p in files if p.name == 'network.yaml')} networks, {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
