"""Cross-field rules: class lists in every block, intervals within the training length, retrain specs.

Class names live in many places of a TF1 detector's specs (pitfall S2: a mismatch ends
in a bare AssertionError inside TAO). tao-tui owns one list, the class mapping, and
regenerates every other place from it, using the table ``CLASS_RULES`` below:

* ``key``      repeated ``{ key: "car" value ... }`` blocks (protobuf maps);
* ``name``     repeated blocks holding the class in a ``name`` field;
* ``repeated`` a repeated string field (``target_classes: "car"``), order = model output order.

An existing class keeps its block byte for byte; a new class gets a copy of the first
class block with the class name replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tao_tui.errors import UserError, ValidationError
from tao_tui.specs.prototxt import PtDocument, PtField, PtList, PtValue, parse_path

# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class ClassBlock:
    path: str  # the repeated field, e.g. postprocessing_config.target_class_config
    how: str  # key | name | repeated
    reserved: tuple[str, ...] = ()  # entries that are not classes (kept as they are, after the classes)


@dataclass(frozen=True)
class ClassRules:
    mapping: str  # the repeated key/value source -> target class mapping
    blocks: tuple[ClassBlock, ...] = ()


_TF1_MAPPING = "dataset_config.target_class_mapping"

CLASS_RULES: dict[str, ClassRules] = {
    "detectnet_v2": ClassRules(
        _TF1_MAPPING,
        (
            ClassBlock("postprocessing_config.target_class_config", "key"),
            ClassBlock("cost_function_config.target_classes", "name"),
            ClassBlock("bbox_rasterizer_config.target_class_config", "key"),
            ClassBlock("evaluation_config.minimum_detection_ground_truth_overlap", "key"),
            ClassBlock("evaluation_config.evaluation_box_config", "key"),
            ClassBlock("training_config.visualizer.target_class_config", "key"),
            # inference spec
            ClassBlock("inferencer_config.target_classes", "repeated"),
            ClassBlock("bbox_handler_config.classwise_bbox_handler_config", "key", reserved=("default",)),
        ),
    ),
    # The other TF1 detectors keep their classes only in the mapping (their specs have no per-class
    # blocks and no num_classes field: the count comes from the mapping's distinct values).
    **{
        net: ClassRules(_TF1_MAPPING)
        for net in ("yolo_v3", "yolo_v4", "yolo_v4_tiny", "ssd", "dssd", "retinanet", "faster_rcnn")
    },
}

CLASS_NAME_RE = re.compile(r"[a-z0-9][-a-z0-9_]{0,39}\Z")

INTERVAL_FIELDS = ("checkpoint_interval", "validation_period_during_training", "first_validation_epoch",
                   "validation_interval")  # fmt: skip
LENGTH_FIELDS = ("num_epochs", "n_epochs", "epochs", "max_epochs", "max_iters", "total_steps")


# ----------------------------------------------------------------------------- class names


def check_class_name(name: str, field: str) -> None:
    """ValidationError unless ``name`` is a lower-case KITTI class name."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(field, "a class name is empty", "give every class a name like 'car'")
    if name != name.strip() or any(c.isspace() for c in name):
        raise ValidationError(field, f"class name {name!r} contains spaces (KITTI labels cannot)",
                              f"use '{re.sub(r'[^-a-z0-9_]+', '_', name.strip().lower())}'")  # fmt: skip
    if name != name.lower():
        raise ValidationError(
            field,
            f"class name '{name}' has capital letters: TAO lower-cases KITTI labels in dataset_convert, "
            f"so '{name}' never matches a box and that class would train to 0 mAP",
            f"use '{name.lower()}'",
        )
    if not CLASS_NAME_RE.match(name):
        raise ValidationError(field, f"class name '{name}' is not 1-40 of a-z 0-9 _ -",
                              "use lower-case letters, digits, '_' or '-'")  # fmt: skip


def target_classes(mapping: Iterable[tuple[str, str]]) -> list[str]:
    """Distinct target classes (mapping values), in first-seen order."""
    out: list[str] = []
    for _, target in mapping:
        if target not in out:
            out.append(target)
    return out


def _normalize_mapping(mapping: Any, field: str) -> list[tuple[str, str]]:
    pairs = list(mapping.items()) if isinstance(mapping, dict) else [tuple(p) for p in mapping]
    if not pairs:
        raise ValidationError(field, "the class mapping is empty", "map at least one label to a class")
    seen: dict[str, str] = {}
    for pair in pairs:
        if len(pair) != 2:
            raise ValidationError(
                field, f"{pair!r} is not a (label, class) pair", "give label -> class pairs"
            )
        src, dst = pair
        check_class_name(src, field)
        check_class_name(dst, field)
        if src in seen and seen[src] != dst:
            raise ValidationError(field, f"label '{src}' is mapped to both '{seen[src]}' and '{dst}'",
                                  f"map '{src}' to one class")  # fmt: skip
        seen[src] = dst
    # drop exact duplicates, keep order
    out: list[tuple[str, str]] = []
    for p in pairs:
        if p not in out:
            out.append(p)  # type: ignore[arg-type]
    return out


# ----------------------------------------------------------------------------- block helpers


def _block_class(doc: PtDocument, fld: PtField, how: str) -> str | None:
    if how == "repeated":
        v = fld.value
        return v.value if isinstance(v, PtValue) and isinstance(v.value, str) else None
    node = doc.child(fld, "key" if how == "key" else "name")
    return node.value if isinstance(node, PtValue) and isinstance(node.value, str) else None


def _classes_in(doc: PtDocument, block: ClassBlock) -> list[str]:
    if block.how == "repeated":
        vals: list[str] = []
        for f in doc.fields(block.path):
            items = f.value.items if isinstance(f.value, PtList) else [f.value]
            vals.extend(str(it.value) for it in items if isinstance(it, PtValue))
        return vals
    out = []
    for f in doc.fields(block.path):
        name = _block_class(doc, f, block.how)
        if name is not None and name not in block.reserved:
            out.append(name)
    return out


def _clone_block(template: str, old: str, new: str, where: str) -> str:
    """The block text with every string value equal to the old class name set to the new one."""
    snip = PtDocument(template, where)
    paths = [p for p, node in snip.value_nodes() if node.kind == "string" and node.value == old]
    for p in paths:
        snip.set(p, new)
    return snip.render()


def _template_block(net_def: Any, spec_name: str, block: ClassBlock) -> tuple[str, str] | None:
    """NVIDIA's first class block for ``block`` from the network's template spec, if it has one."""
    folder = getattr(net_def, "folder", None)
    if folder is None:
        return None
    path = folder / spec_name
    if not path.is_file():
        return None
    doc = PtDocument(path.read_text(encoding="utf-8"), str(path))
    for f in doc.fields(block.path):
        name = _block_class(doc, f, block.how)
        if name is not None and name not in block.reserved:
            return doc.block_text(f), name
    return None


def _regenerate(doc: PtDocument, block: ClassBlock, classes: list[str], net_def: Any, spec_name: str) -> bool:
    """Make ``block`` list exactly ``classes``. False if the spec has no such group."""
    fields = doc.fields(block.path)
    if block.how == "repeated":
        if not fields:
            return False
        doc.set_list(block.path, classes)
        return True
    existing: dict[str, str] = {}
    reserved: list[str] = []
    template: tuple[str, str] | None = None
    for f in fields:
        name = _block_class(doc, f, block.how)
        if name is None:
            continue
        if name in block.reserved:
            reserved.append(doc.block_text(f))
            continue
        existing.setdefault(name, doc.block_text(f))
        if template is None:
            template = (doc.block_text(f), name)
    if not fields:
        return False
    if template is None:
        template = _template_block(net_def, spec_name, block)
        if template is None:
            raise UserError(f"{spec_name}: {block.path} has no class block to copy",
                            "restore the block from NVIDIA's spec file", field=block.path)  # fmt: skip
    texts = [existing.get(c) or _clone_block(template[0], template[1], c, f"{spec_name}:{block.path}")
             for c in classes]  # fmt: skip
    doc.replace_group(fields, texts + reserved)
    return True


def _prototxt_docs(docs: dict[str, Any]) -> list[tuple[str, PtDocument]]:
    return [(name, d) for name, d in docs.items() if isinstance(d, PtDocument)]


def _ordered(net_def: Any, docs: dict[str, Any]) -> list[str]:
    order = [s for s in getattr(net_def, "spec_files", []) if s in docs]
    return order + [s for s in docs if s not in order]


# ----------------------------------------------------------------------------- public API


def apply_classes(net_def: Any, docs: dict[str, Any], mapping: Any) -> None:
    """Write the class mapping into every spec that has one and regenerate every class block."""
    rules = CLASS_RULES.get(getattr(net_def, "name", ""))
    if rules is None:
        raise UserError(f"tao-tui does not manage classes for {getattr(net_def, 'name', '?')}",
                        "edit the class fields in the spec files by hand")  # fmt: skip
    pairs = _normalize_mapping(mapping, rules.mapping)
    classes = target_classes(pairs)
    for spec_name in _ordered(net_def, docs):
        doc = docs[spec_name]
        if not isinstance(doc, PtDocument):
            continue
        if doc.fields(rules.mapping):
            doc.set_mapping(rules.mapping, pairs)
        for block in rules.blocks:
            _regenerate(doc, block, classes, net_def, spec_name)


def _source_classes(net_def: Any, docs: dict[str, Any], rules: ClassRules) -> list[str] | None:
    for name in _ordered(net_def, docs):
        doc = docs[name]
        if isinstance(doc, PtDocument) and doc.fields(rules.mapping):
            return target_classes(doc.get_mapping(rules.mapping))
    return None


def _check_classes(net_def: Any, docs: dict[str, Any]) -> list[ValidationError]:
    rules = CLASS_RULES.get(getattr(net_def, "name", ""))
    if rules is None:
        return []
    errors: list[ValidationError] = []
    reference = _source_classes(net_def, docs, rules)
    for spec_name in _ordered(net_def, docs):
        doc = docs[spec_name]
        if not isinstance(doc, PtDocument):
            continue
        classes = reference
        if doc.fields(rules.mapping):
            mapping = doc.get_mapping(rules.mapping)
            for src, dst in mapping:
                for name in (src, dst):
                    try:
                        check_class_name(name, f"{spec_name}:{rules.mapping}")
                    except ValidationError as exc:
                        errors.append(exc)
            classes = target_classes(mapping)
        if classes is None:
            continue
        for block in rules.blocks:
            if not doc.fields(block.path):
                continue
            found = _classes_in(doc, block)
            extra = [c for c in found if c not in classes]
            missing = [c for c in classes if c not in found]
            dupes = sorted({c for c in found if found.count(c) > 1})
            if extra or missing or dupes:
                parts = []
                if missing:
                    parts.append(f"misses {', '.join(missing)}")
                if extra:
                    parts.append(
                        f"has {', '.join(extra)} which {'is' if len(extra) == 1 else 'are'} not a target class"
                    )
                if dupes:
                    parts.append(f"repeats {', '.join(dupes)}")
                errors.append(ValidationError(
                    f"{spec_name}:{block.path}",
                    f"{block.path} {'; '.join(parts)} (target classes from {rules.mapping}: {', '.join(classes)}); "
                    "TAO would stop with a bare AssertionError",
                    "set the classes with tao-tui (apply_classes) so every class block is regenerated",
                ))  # fmt: skip
    return errors


def _split(path: str) -> tuple[list[str], str]:
    segs = parse_path(path)
    return [n for n, _ in segs[:-1]], segs[-1][0]


def _shared(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _interval_overruns(docs: dict[str, Any], order: list[str]) -> Iterator[tuple[str, str, str, Any, Any, str, str]]:
    """(spec, path, field name, value, length, length field, length path) for each interval that is
    longer than the training length nearest to it (longest shared parent path)."""
    for spec_name in order:
        doc = docs[spec_name]
        try:
            leaves = list(doc.leaves())
        except Exception:  # a document type without leaves (should not happen): nothing to check
            continue
        lengths = []
        intervals = []
        for path, value in leaves:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            try:
                parents, name = _split(path)
            except UserError:
                continue
            if name in LENGTH_FIELDS:
                lengths.append((parents, name, path, value))
            elif name in INTERVAL_FIELDS:
                intervals.append((parents, name, path, value))
        if not lengths:
            continue
        units = {path.rsplit(".", 1)[0] if "." in path else "": value for path, value in leaves
                 if path.rsplit(".", 1)[-1] == "checkpoint_interval_unit"}
        for parents, name, path, value in intervals:
            section = path.rsplit(".", 1)[0] if "." in path else ""
            if name == "checkpoint_interval" and str(units.get(section, "epoch")).lower() in ("step", "steps", "iter"):
                continue  # counted in steps (TAO 7 dinov3: checkpoint_interval_unit: step), not epochs
            _, lname, lpath, length = max(lengths, key=lambda entry, p=parents: _shared(entry[0], p))
            if value > length:
                yield spec_name, path, name, value, length, lname, lpath


def _check_intervals(docs: dict[str, Any], order: list[str]) -> list[ValidationError]:
    errors: list[ValidationError] = []
    for spec_name, path, name, value, length, lname, lpath in _interval_overruns(docs, order):
        unit = "iterations" if lname in ("max_iters", "total_steps") else "epochs"
        consequence = {
            "first_validation_epoch": "so no mAP is ever shown during training",
            "checkpoint_interval": "so no checkpoint is saved during training (PyTorch networks stop "
            "with 'Checkpoint interval > Number of epochs')",
        }.get(name, "so it never runs (PyTorch networks stop with an assertion)")
        errors.append(ValidationError(
            f"{spec_name}:{path}",
            f"{path} is {value} but training runs only {length} {unit} ({lpath}), {consequence}",
            f"set {path} to at most {length} (or raise {lpath})",
        ))  # fmt: skip
    return errors


def fit_intervals(net_def: Any, docs: dict[str, Any]) -> list[str]:
    """Lower every *locked* interval (checkpoint/validation period, first validation epoch) that is
    longer than the training the user asked for to that length (pitfall S11: a beginner lowers the
    epochs; the intervals are NVIDIA's and not theirs to edit). Returns one notice per change."""
    # a safe interval still at NVIDIA's default is lowered too (TAO 7 marks intervals `popular`, and
    # NVIDIA's visual_changenet template checkpoints every 200 epochs of 100)
    safe = {(p.spec, p.path): p.default for p in getattr(net_def, "safe_params", ())}
    notices = []
    for spec_name, path, _name, value, length, _lname, lpath in list(_interval_overruns(docs, _ordered(net_def, docs))):
        if (spec_name, path) in safe and value != safe[(spec_name, path)]:
            continue  # the user's own value: check() reports it
        docs[spec_name].set(path, length)
        notices.append(f"{spec_name}: {path} lowered from {value} to {length} to fit {lpath} = {length}")
    return notices


def check(net_def: Any, docs: dict[str, Any]) -> list[ValidationError]:
    """Every cross-field problem in ``docs`` (spec name -> SpecDoc), each with field, rule and fix."""
    order = _ordered(net_def, docs)
    return _check_classes(net_def, docs) + _check_intervals(docs, order)


# ----------------------------------------------------------------------------- class names in files

# The last name of a path that holds a class name inside a class group (a field whose name has
# "class" in it): protobuf map entries (`key`/`value`), named blocks (`name`, `class_name`).
_CLASS_LEAF_NAMES = {"key", "value", "name", "class_name", "output_map"}


def _class_leaf(path: str) -> bool:
    try:
        segs = [n for n, _ in parse_path(path)]
    except UserError:
        return False
    if not segs:
        return False
    last = segs[-1]
    if last in ("target_classes", "class_names") and len(segs) == 2 and segs[0] == "inferencer_config":
        return True
    if last not in _CLASS_LEAF_NAMES or len(segs) < 2:
        return False
    parent = segs[-2]
    if "class" not in parent or "classifier" in parent:  # faster_rcnn's classifier_regr_std {key: "x"}
        return False
    if last == "value" and "mapping" not in parent:
        return False  # target_class_config { key: "car" value { ... } }: the value is a block
    return True


def spec_class_findings(docs: dict[str, Any]) -> list[ValidationError]:
    """Class names inside protobuf spec files that TAO would not match, one ValidationError each
    (field ``<spec>:<path>``): a capitalised label such as ``target_class_mapping { key: "Mask" }``
    (TAO's KITTI dataset_convert lower-cases every label, so the class gets no boxes and trains to
    0 mAP; tao-tui reference tao-pitfalls.md S2/S4), spaces or other characters KITTI labels cannot hold.

    Checks every prototxt document whatever the network, on every call (`spec check`, `spec show`,
    pre-flight): a user may edit a file by hand after tao-tui wrote it. YAML specs are not checked:
    PyTorch networks match class names verbatim (PointPillars' ``Car``)."""
    errors: list[ValidationError] = []
    for spec_name, doc in docs.items():
        if not isinstance(doc, PtDocument):
            continue
        for path, node in doc.value_nodes():
            if node.kind != "string" or not isinstance(node.value, str) or not _class_leaf(path):
                continue
            if node.value in ("default",):
                continue  # bbox_handler_config's catch-all entry is not a class
            try:
                check_class_name(node.value, f"{spec_name}:{path}")
            except ValidationError as exc:
                errors.append(exc)
    return errors


# ----------------------------------------------------------------------------- retrain

# (train-spec field with the starting weights, field name in the retrain spec, add load_graph)
_RETRAIN_WEIGHTS: tuple[tuple[str, str, bool], ...] = (
    ("model_config.pretrained_model_file", "pretrained_model_file", True),  # detectnet_v2, facenet
    ("training_config.pretrain_model_path", "pruned_model_path", False),  # yolo, ssd, dssd, retinanet
    ("training_config.pretrained_weights", "retrain_pruned_model", False),  # faster_rcnn
    ("train_config.pretrained_model_path", "pretrained_model_path", False),  # classification_tf1
)


def _scalar_run_end(doc: PtDocument, fld: PtField) -> PtField:
    """The last of the single-value fields that follow ``fld`` before the next block: NVIDIA's
    retrain specs put ``load_graph`` at the end of that run (after ``use_batch_norm``)."""
    siblings = fld.parent.fields if fld.parent is not None else [fld]
    last = fld
    for f in siblings[siblings.index(fld) + 1 :]:
        if not isinstance(f.value, PtValue):
            break
        last = f
    return last


def can_derive_retrain(train_doc: Any) -> bool:
    """Whether the train spec names its starting weights in a field ``derive_retrain`` knows."""
    if not isinstance(train_doc, PtDocument):
        return False
    return any(
        (f := train_doc.fields(path)) and isinstance(f[0].value, PtValue) for path, _n, _g in _RETRAIN_WEIGHTS
    )


def derive_retrain(train_doc: Any, pruned_model_path: str, *, name_tag: str = "pruned") -> PtDocument:
    """NVIDIA's retrain spec from the train spec: start from the pruned model (``load_graph: true``
    where the network needs it) and tag experiment trackers ``pruned`` instead of ``unpruned``."""
    if not isinstance(train_doc, PtDocument):
        raise UserError(f"{getattr(train_doc, 'name', 'this spec')} is not a TF1 protobuf spec",
                        "retrain specs are derived only for TF1 networks")  # fmt: skip
    name = train_doc.name
    if "retrain" not in name and "train" in name:
        name = name.replace("train", "retrain", 1)
    doc = PtDocument(train_doc.render(), name)
    for path, new_name, load_graph in _RETRAIN_WEIGHTS:
        fields = doc.fields(path)
        if not fields or not isinstance(fields[0].value, PtValue):
            continue
        doc.set(path, pruned_model_path)
        fld = doc.fields(path)[0]
        if new_name != fld.name:
            doc.rename(fld, new_name)
        if load_graph:
            parent_path = path.rsplit(".", 1)[0]
            if not doc.has(f"{parent_path}.load_graph"):
                doc.insert_after(
                    _scalar_run_end(doc, doc.fields(f"{parent_path}.{new_name}")[0]), "load_graph: true"
                )
            else:
                doc.set(f"{parent_path}.load_graph", True)
        break
    else:
        raise UserError(f"{train_doc.name}: no pretrained-model field to point at the pruned model",
                        "set the retrain spec's model path by hand")  # fmt: skip
    tags = [p for p, node in doc.value_nodes()
            if parse_path(p)[-1][0] == "tags" and node.kind == "string" and node.value == "unpruned"]  # fmt: skip
    for p in tags:
        doc.set(p, name_tag)
    return doc


__all__ = [
    "CLASS_RULES",
    "ClassBlock",
    "ClassRules",
    "apply_classes",
    "check",
    "can_derive_retrain",
    "check_class_name",
    "derive_retrain",
    "spec_class_findings",
    "target_classes",
]
