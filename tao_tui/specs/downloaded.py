"""Networks whose spec files NVIDIA ships only inside the container (TAO 3.x/4.x conversational AI).

``tao <network> download_specs -o <dir> -r <results>`` copies them out (NVIDIA, TAO 3.0-22.05 and
4.0.1 docs, e.g. https://docs.nvidia.com/tao/tao-toolkit-archive/tao-30-2205/text/asr/speech_recognition.html
"Downloading Sample Spec Files"). A project of such a network starts with that one stage; its
``-o`` is ``<project>/nvidia_specs`` (NVIDIA's files, kept as written: the templates) and tao-tui
renders the project's ``specs/`` from them like any bundled template. Once the files are there:

* the network.yaml's later stages appear, each bound to the first of its ``spec`` names found;
* the safe parameters are found in the files by their NeMo keys (:func:`nemo_safe_params`);
  everything else stays locked at the downloaded value.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path
from typing import Any

from tao_tui.errors import TaoTuiError
from tao_tui.specs.netdef import NetworkDef, SafeParamDef, StageDef

NVIDIA_SPECS_DIR = "nvidia_specs"
SPEC_SUFFIXES = (".yaml", ".yml")

# NeMo config keys (the last name of a dotted path) that hold a dataset path: manifests (ASR),
# TSV / text+labels files and data folders (NLP), TTS manifests, converter folders. Source: the
# spec examples and `key=value` overrides of the TAO 3.0-22.05 / 4.0.1 conversational docs pages
# (e.g. training_ds.manifest_filepath on .../text/asr/speech_recognition.html).
PATH_KEYS = frozenset({
    "manifest_filepath", "file_path", "data_dir", "data_file", "text_file", "labels_file",
    "train_dataset", "validation_dataset", "source_data_dir", "target_data_dir",
    "class_labels_file", "intent_labels_file", "slot_labels_file", "sup_data_path", "prior_folder",
    "manifests", "file", "input_path", "output_path",
})  # fmt: skip
_INDEX = re.compile(r"\[\d+\]")
_HELP = {
    "epochs": "Training length in epochs (NeMo trainer.max_epochs). Lower it for a quick first run.",
    "batch_size": "Examples in each step of this data loader ({path}). Lower it if you run out of GPU memory.",
    "num_classes": "How many categories your labels have ({path}); it must match your dataset.",
    "path": "Where this data is inside the container ({path}); your dataset is mounted at "
    "/workspace/tao-experiments/data.",
}


def nvidia_specs_dir(project_root: Path | str) -> Path:
    """``<project>/nvidia_specs``: where download_specs writes NVIDIA's files (host path)."""
    return Path(project_root) / NVIDIA_SPECS_DIR


def downloaded_files(folder: Path) -> list[str]:
    """The YAML files download_specs wrote into ``folder``, as paths relative to it (``train.yaml``, or
    ``asr/train.yaml`` when it made sub-folders); sorted; [] when none."""
    if not folder.is_dir():
        return []
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in SPEC_SUFFIXES
    )


def _bind(stage: StageDef, present: set[str], others: frozenset[str] = frozenset()) -> StageDef | None:
    """``stage`` with its spec set to the first of its names NVIDIA's download holds; else the file
    named after its sub-task (``<task>.yaml``, else the first ``<task>_*.yaml`` in name order, e.g.
    ``train_citrinet_1024.yaml``; never a file named after another sub-task such as ``infer_onnx.yaml``
    in ``others``); None when there is none (the stage cannot run from these files)."""
    names = stage.spec_choices or ((stage.spec,) if stage.spec else ())
    if not names:
        return stage
    for name in names:
        if name in present:
            return dataclasses.replace(stage, spec=name)
        nested = [n for n in sorted(present) if n.rsplit("/", 1)[-1] == name]  # in a sub-folder
        if len(nested) == 1:
            return dataclasses.replace(stage, spec=nested[0])
    stems = {n: n.rsplit("/", 1)[-1].rsplit(".", 1)[0] for n in present}
    exact = [n for n in sorted(present) if stems[n] == stage.task]
    prefixed = [
        n for n in sorted(present) if stems[n].startswith(stage.task + "_") and stems[n] not in others
    ]
    own = exact or prefixed
    return dataclasses.replace(stage, spec=own[0]) if own else None


def _other_tasks(net: NetworkDef, stage: StageDef) -> frozenset[str]:
    """Sub-task names a spec file may be named after that are not ``stage``'s (``infer_onnx`` is one
    of TAO 3.x/4.x's NeMo sub-tasks even where tao-tui has no stage for it)."""
    return frozenset({s.task for s in (*net.stages, *net.downloaded_stages)} | {"infer_onnx"}) - {stage.task}


def downloaded_network(net: NetworkDef, folder: Path) -> NetworkDef:
    """``net`` (``specs: download``) bound to the files in ``folder``.

    Returns the NetworkDef with ``folder`` = the download folder (so the templates are NVIDIA's
    downloaded files), ``stages`` = download_specs plus, once files are there, every later stage
    whose spec file was downloaded, and ``safe_params`` found in those files. Unreadable YAML
    raises the spec parser's SpecParseError (file:line:column)."""
    present = set(downloaded_files(folder))
    if not present:
        return dataclasses.replace(net, folder=folder)
    stages = list(net.stages)
    for st in net.downloaded_stages:
        bound = _bind(st, present, _other_tasks(net, st))
        if bound is not None:
            stages.append(bound)
    bound_net = dataclasses.replace(net, folder=folder, stages=tuple(stages))
    return dataclasses.replace(bound_net, safe_params=tuple(nemo_safe_params(folder, bound_net.spec_files)))


def missing_stage_specs(net: NetworkDef, folder: Path) -> list[str]:
    """'<stage> (<names>)' for each later stage none of whose spec names was downloaded."""
    present = set(downloaded_files(folder))
    if not present:
        return []
    out = []
    for st in net.downloaded_stages:
        if _bind(st, present, _other_tasks(net, st)) is None:
            out.append(f"{st.id} ({' or '.join(st.spec_choices or (st.spec or '',))})")
    return out


def nemo_safe_params(folder: Path, spec_files: list[str]) -> list[SafeParamDef]:
    """The safe parameters of NVIDIA's downloaded NeMo specs, by key (general rules, no file names):

    * ``trainer.max_epochs`` (int >= 1): kind ``epochs``;
    * every int ``batch_size`` (a data loader's, e.g. ``training_ds.batch_size``): kind ``batch_size``;
    * an int ``<...>dataset.num_classes`` (text classification): kind ``num_classes`` (>= 1);
    * a string leaf whose last key is in :data:`PATH_KEYS` (``training_ds.manifest_filepath``,
      ``validation_ds.file_path``, ``data_dir``...): kind/type ``path``; NeMo's ``???`` (MISSING)
      counts as a string; an interpolation (``${train_dataset}``) follows its source and stays locked.

    Lists (e.g. ``model.labels``, the vocabulary) and everything else stay locked. Returns
    SafeParamDefs whose ``default`` is the downloaded value."""
    from tao_tui.specs import load_spec

    out: list[SafeParamDef] = []
    for name in spec_files:
        path = folder / name
        if not path.is_file():
            continue
        try:
            doc = load_spec(path)
        except TaoTuiError:
            continue  # reported when the spec is rendered (file:line:column)
        for leaf, value in doc.leaves():
            p = _classify(name, leaf, value)
            if p is not None:
                out.append(p)
    return out


def _classify(spec: str, path: str, value: Any) -> SafeParamDef | None:
    if _INDEX.search(path):
        return None  # an item of a list: locked
    last = path.rsplit(".", 1)[-1]
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if (path == "trainer.max_epochs" or path.endswith(".trainer.max_epochs")) and is_int:
        return _param(spec, path, "epochs", "int", value, lo=1)
    if last == "batch_size" and is_int:
        return _param(spec, path, "batch_size", "int", value, lo=1)
    if path.endswith("dataset.num_classes") and is_int:  # the task's classes (not a decoder's vocabulary)
        return _param(spec, path, "num_classes", "int", value, lo=1)
    if (
        last in PATH_KEYS and isinstance(value, str) and not value.startswith("${")
    ):  # ${...}: follows another key
        return _param(spec, path, "path", "path", value)
    return None


def _param(spec: str, path: str, kind: str, typ: str, value: Any, lo: float | None = None) -> SafeParamDef:
    return SafeParamDef(
        spec=spec, path=path, kind=kind, type=typ, default=value, help=_HELP[kind].format(path=path), min=lo
    )


def download_note(project: Any) -> str:
    """The line the wizard and ``tao-tui status`` show for a ``specs: download`` project (anything with
    ``network``, ``tao_version`` and ``root``): before download_specs ran, that NVIDIA ships the specs
    inside the container and what appears after; afterwards, stages whose spec NVIDIA did not ship
    (left out). "" for other projects and when nothing is worth saying."""
    from tao_tui.specs.netdef import load_network

    net = load_network(project.network, version=getattr(project, "tao_version", None))
    if net.specs != "download":
        return ""
    folder = nvidia_specs_dir(project.root)
    if not downloaded_files(folder):
        return (
            "NVIDIA ships these specs inside the container: run download_specs to fetch them into "
            f"{folder}; the other stages and their parameters appear once it has run"
        )
    missing = missing_stage_specs(net, folder)
    if missing:
        return f"left out: NVIDIA's download_specs wrote no spec for {', '.join(missing)}"
    return ""


def require_downloaded(project: Any) -> None:
    """UserError (field "values") when ``project``'s network ships its specs inside the container and
    download_specs has not written them yet: there is nothing to change before that."""
    from tao_tui.errors import UserError
    from tao_tui.specs.netdef import load_network

    net = load_network(project.network, version=getattr(project, "tao_version", None))
    if net.specs == "download" and not downloaded_files(nvidia_specs_dir(project.root)):
        raise UserError(
            f"{project.network}'s spec files are not here yet: NVIDIA ships them inside the container",
            f"run `tao-tui run download_specs --project {shlex.quote(str(project.root))}` first; its values "
            "can be set then",
            field="values",
        )
