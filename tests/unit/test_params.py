"""ParamSet: safe values validated and written; everything else locked unless an expert unlocks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tao_tui.errors import LockedParamError, UserError, ValidationError
from tao_tui.specs.netdef import SafeParamDef, parse_network
from tao_tui.specs.params import ParamSet, as_mapping, canonical_path, coerce

TRAIN = """\
random_seed: 42
dataset_config {
  target_class_mapping {
    key: "car"
    value: "car"
  }
  target_class_mapping {
    key: "van"
    value: "car"
  }
}
model_config {
  pretrained_model_file: "/workspace/x.hdf5"
  arch: "resnet"
}
training_config {
  batch_size_per_gpu: 4
  num_epochs: 120
  checkpoint_interval: 10
  enable_qat: false
}
"""

CONVERT = """\
kitti_config {
  root_directory_path: "/workspace/data/training"
}
"""

NET = {
    "name": "toy",
    "description": "a toy detector",
    "spec_format": "prototxt",
    "stages": [
        {"id": "dataset_convert", "spec": "convert.txt"},
        {"id": "train", "task": "train", "spec": "train.txt"},
    ],
    "safe_params": [
        {"spec": "train.txt", "path": "training_config.batch_size_per_gpu", "kind": "batch_size",
         "type": "int", "min": 1, "max": 32, "default": 4, "help": "Images per GPU per step."},
        {"spec": "train.txt", "path": "training_config.num_epochs", "kind": "epochs", "type": "int",
         "min": 1, "max": 500, "default": 120, "help": "Passes over the data."},
        {"spec": "train.txt", "path": "dataset_config.target_class_mapping", "kind": "classes",
         "type": "class_mapping", "default": [["car", "car"], ["van", "car"]], "help": "Label -> class."},
        {"spec": "train.txt", "path": "model_config.pretrained_model_file", "kind": "path", "type": "path",
         "default": "/workspace/x.hdf5", "help": "Pretrained weights."},
        {"spec": "convert.txt", "path": "kitti_config.root_directory_path", "kind": "path", "type": "path",
         "default": "/workspace/data/training", "help": "Dataset folder."},
    ],
}  # fmt: skip


def _parse(text: str, name: str):
    from tao_tui.specs import parse_spec

    return parse_spec(text, "prototxt", name)


@pytest.fixture
def net():
    return parse_network(NET, Path("/nonexistent/toy"))


@pytest.fixture
def docs():
    return {"convert.txt": _parse(CONVERT, "convert.txt"), "train.txt": _parse(TRAIN, "train.txt")}


@pytest.fixture
def params(net, docs):
    return ParamSet(net, docs)


def _param(**kw) -> SafeParamDef:
    base = {"spec": "s.yaml", "path": "a.b", "kind": "batch_size", "type": "int", "default": 4, "help": "h"}
    base.update(kw)
    return SafeParamDef(**base)


# ----------------------------------------------------------------- safe values


def test_set_int_from_string_writes_only_that_value(params, docs):
    assert params.set("training_config.batch_size_per_gpu", "8") == 8
    assert docs["train.txt"].get("training_config.batch_size_per_gpu") == 8
    assert docs["train.txt"].render() == TRAIN.replace("batch_size_per_gpu: 4", "batch_size_per_gpu: 8")


def test_set_by_spec_key(params, docs):
    params.set("train.txt:training_config.num_epochs", 5)
    assert docs["train.txt"].get("training_config.num_epochs") == 5


@pytest.mark.parametrize(("value", "rule"), [
    (0, "must be between 1 and 32 (got 0)"),
    ("33", "must be between 1 and 32 (got 33)"),
    ("eight", "must be a whole number (got 'eight')"),
    (2.5, "must be a whole number (got 2.5)"),
    (True, "must be a whole number (got True)"),
])  # fmt: skip
def test_bad_int_names_field_rule_and_fix(params, docs, value, rule):
    with pytest.raises(ValidationError) as info:
        params.set("training_config.batch_size_per_gpu", value)
    err = info.value
    assert err.field == "training_config.batch_size_per_gpu"
    assert err.rule == rule
    assert "1 to 32" in err.fix and "default is 4" in err.fix
    assert str(err).startswith("training_config.batch_size_per_gpu: ")
    assert docs["train.txt"].get("training_config.batch_size_per_gpu") == 4  # unchanged


def test_float_param_parses_scientific_notation_and_checks_bounds():
    p = _param(type="float", kind="epochs", path="lr", min=0, max=1, default=5e-5)
    assert coerce(p, "1e-4") == pytest.approx(1e-4)
    assert coerce(p, 1) == 1.0
    with pytest.raises(ValidationError, match=r"must be between 0 and 1 \(got 2\)"):
        coerce(p, "2")
    with pytest.raises(ValidationError, match="finite"):
        coerce(p, "nan")


def test_open_bounds_messages():
    with pytest.raises(ValidationError) as info:
        coerce(_param(min=None, max=None), 0)  # batch sizes are >= 1 even without an explicit min
    assert info.value.rule == "must be at least 1 (got 0)"
    with pytest.raises(ValidationError) as info:
        coerce(_param(kind="path", min=None, max=10), 11)
    assert info.value.rule == "must be at most 10 (got 11)"


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("No", False), ("1", True), (False, False)])
def test_bool_values(text, expected):
    assert coerce(_param(type="bool", kind="path"), text) is expected


def test_bool_rejects_other_text():
    with pytest.raises(ValidationError, match="must be true or false"):
        coerce(_param(type="bool", kind="path"), "maybe")


def test_str_rejects_line_breaks():
    p = _param(type="str", kind="path")
    assert coerce(p, "resnet") == "resnet"
    with pytest.raises(ValidationError, match="single line"):
        coerce(p, "a\nb")


@pytest.mark.parametrize(("value", "rule_part"), [
    ("~/data", "'~' is not expanded"),
    ("data/training", "absolute path"),
    ("   ", "must not be empty"),
    (3, "must be a path"),
])  # fmt: skip
def test_bad_paths(params, value, rule_part):
    with pytest.raises(ValidationError) as info:
        params.set("kitti_config.root_directory_path", value)
    assert info.value.field == "kitti_config.root_directory_path"
    assert rule_part in info.value.rule
    assert info.value.fix


def test_relative_path_only_where_nvidia_uses_one():
    rel = _param(type="path", kind="path", default="annotations/train.json")
    assert coerce(rel, "annotations/mine.json") == "annotations/mine.json"
    with pytest.raises(ValidationError, match="'~'"):
        coerce(rel, "~/x.json")
    with pytest.raises(ValidationError, match="absolute"):
        coerce(_param(type="path", kind="path", default="/workspace/a"), "a")


def test_good_path_is_written_in_its_own_spec(params, docs):
    params.set("kitti_config.root_directory_path", " /workspace/mydata ")
    assert docs["convert.txt"].get("kitti_config.root_directory_path") == "/workspace/mydata"
    assert docs["train.txt"].render() == TRAIN


# ----------------------------------------------------------------- classes


def test_class_mapping_from_text_rewrites_the_group(params, docs):
    params.set("dataset_config.target_class_mapping", "person->person, car->car, truck->car")
    doc = docs["train.txt"]
    assert doc.get_mapping("dataset_config.target_class_mapping") == [
        ("person", "person"), ("car", "car"), ("truck", "car"),
    ]  # fmt: skip
    assert doc.render().count("target_class_mapping {") == 3
    assert "batch_size_per_gpu: 4" in doc.render()


def test_capitalised_class_name_explains_zero_map(params, docs):
    with pytest.raises(ValidationError) as info:
        params.set("dataset_config.target_class_mapping", [("Person", "person")])
    err = info.value
    assert err.field == "dataset_config.target_class_mapping"
    assert "lower-cases" in err.rule and "0 mAP" in err.rule
    assert "'person'" in err.fix
    assert docs["train.txt"].get_mapping("dataset_config.target_class_mapping") == [
        ("car", "car"),
        ("van", "car"),
    ]


def test_capitalised_target_class_is_rejected(params):
    with pytest.raises(ValidationError) as info:
        params.set("dataset_config.target_class_mapping", "car->Car")
    assert "capital letters" in info.value.rule and "'car'" in info.value.fix


def test_unset_placeholder_is_reported_not_an_error(net):
    docs = {
        "train.txt": _parse(TRAIN, "train.txt"),
        "convert.txt": _parse(CONVERT.replace("/workspace/data/training", "???"), "convert.txt"),
    }
    ps = ParamSet(net, docs)
    assert [p.path for p in ps.unset()] == ["kitti_config.root_directory_path"]
    assert ps.check() == []
    ps.set("kitti_config.root_directory_path", "/workspace/data")
    assert ps.unset() == []


@pytest.mark.parametrize(
    "mapping", [[("traffic light", "sign")], [("a" * 41, "a")], [], [("car", "car"), ("car", "van")]]
)
def test_invalid_class_mappings(params, mapping):
    with pytest.raises(ValidationError) as info:
        params.set("dataset_config.target_class_mapping", mapping)
    assert info.value.field == "dataset_config.target_class_mapping"
    assert info.value.fix


def test_as_mapping_accepts_the_usual_shapes():
    want = [("car", "car"), ("van", "car")]
    assert as_mapping({"car": "car", "van": "car"}) == want
    assert as_mapping([["car", "car"], ["van", "car"]]) == want
    assert as_mapping([{"key": "car", "value": "car"}, {"key": "van", "value": "car"}]) == want
    assert as_mapping("car, van=car") == want


def test_class_list_and_num_classes():
    cl = _param(type="class_list", kind="classes")
    assert coerce(cl, "car, person") == ["car", "person"]
    with pytest.raises(ValidationError, match="listed twice"):
        coerce(cl, ["car", "car"])
    assert coerce(cl, ["Car", "Pedestrian"]) == ["Car", "Pedestrian"]  # lists are matched verbatim
    with pytest.raises(ValidationError, match="not valid"):
        coerce(cl, ["traffic light"])
    nc = _param(kind="num_classes", min=None, max=None)
    assert coerce(nc, "3") == 3
    with pytest.raises(ValidationError, match="at least 1"):
        coerce(nc, 0)


# ----------------------------------------------------------------- locked / unlocked


def test_locked_path_raises_with_value_and_fix(params, docs):
    with pytest.raises(LockedParamError) as info:
        params.set("training_config.checkpoint_interval", 5)
    err = info.value
    assert err.field == "training_config.checkpoint_interval"
    assert err.message == "training_config.checkpoint_interval is locked at NVIDIA's default (10)"
    assert "training_config.batch_size_per_gpu" in err.fix
    assert "--unlock training_config.checkpoint_interval" in err.fix
    assert docs["train.txt"].get("training_config.checkpoint_interval") == 10


def test_unknown_path_is_a_user_error(params):
    with pytest.raises(UserError, match="not in") as info:
        params.set("training_config.no_such_field", 1)
    assert not isinstance(info.value, LockedParamError)
    with pytest.raises(UserError):
        params.unlock("training_config.no_such_field")


def test_unlock_allows_and_is_reported(params, docs):
    params.unlock("training_config.checkpoint_interval")
    assert "training_config.checkpoint_interval" in params.unlocked
    assert params.set("training_config.checkpoint_interval", "5") == 5
    assert docs["train.txt"].get("training_config.checkpoint_interval") == 5
    with pytest.raises(ValidationError, match="whole number"):
        params.set("training_config.checkpoint_interval", "soon")
    rows = {r.path: r for r in params.describe()}
    assert rows["training_config.checkpoint_interval"].state == "unlocked"
    assert params.values()["train.txt:training_config.checkpoint_interval"] == 5


def test_unlocked_from_constructor_even_when_unchanged(net, docs):
    ps = ParamSet(net, docs, unlocked={"train.txt:model_config.arch"})
    rows = {r.path: r for r in ps.describe("train.txt")}
    assert rows["model_config.arch"].state == "unlocked"
    ps.set("model_config.arch", "vgg")
    assert docs["train.txt"].get("model_config.arch") == "vgg"


# ----------------------------------------------------------------- describe / values


def test_describe_marks_every_leaf(params):
    params.set("training_config.num_epochs", 10)
    rows = params.describe("train.txt")
    by_path = {r.path: r for r in rows}
    assert [r.path for r in rows] == [
        "random_seed", "dataset_config.target_class_mapping", "model_config.pretrained_model_file",
        "model_config.arch", "training_config.batch_size_per_gpu", "training_config.num_epochs",
        "training_config.checkpoint_interval", "training_config.enable_qat",
    ]  # fmt: skip
    assert by_path["training_config.batch_size_per_gpu"].state == "editable"
    assert by_path["training_config.batch_size_per_gpu"].bounds == (1, 32)
    assert by_path["training_config.batch_size_per_gpu"].help == "Images per GPU per step."
    epochs = by_path["training_config.num_epochs"]
    assert (epochs.state, epochs.value, epochs.default) == ("changed", 10, 120)
    assert by_path["random_seed"].state == "locked" and by_path["random_seed"].default == 42
    assert by_path["dataset_config.target_class_mapping"].value == [("car", "car"), ("van", "car")]
    assert {r.state for r in rows} <= {"editable", "locked", "unlocked", "changed"}


def test_values_and_check(params):
    vals = params.values()
    assert vals["train.txt:training_config.batch_size_per_gpu"] == 4
    assert vals["convert.txt:kitti_config.root_directory_path"] == "/workspace/data/training"
    assert "train.txt:training_config.checkpoint_interval" not in vals
    assert params.check() == []


def test_check_reports_a_hand_edited_bad_value(net):
    bad = {"train.txt": _parse(TRAIN.replace("batch_size_per_gpu: 4", "batch_size_per_gpu: 0"), "train.txt")}
    errors = ParamSet(net, bad).check()
    assert any(
        e.field == "training_config.batch_size_per_gpu" and "between 1 and 32" in e.rule for e in errors
    )


def test_safe_param_whose_spec_is_not_loaded(net, docs):
    ps = ParamSet(net, {"train.txt": docs["train.txt"]})
    with pytest.raises(UserError):
        ps.set("kitti_config.root_directory_path", "/workspace/x")


def test_canonical_path():
    assert canonical_path("a[0].b[0]") == canonical_path("a.b") == "a.b"
    assert canonical_path("a[10].b") == "a[10].b"


# ----------------------------------------------------------------- cross-field rules


def test_a_rule_broken_by_the_value_is_raised_and_rolled_back(params, docs, monkeypatch):
    from tao_tui.specs import rules

    def check(net_def, docs_):
        epochs = docs_["train.txt"].get("training_config.num_epochs")
        if epochs < 10:
            return [
                ValidationError("train.txt:training_config.num_epochs", "must be >= 10", "use 10 or more")
            ]
        return []

    monkeypatch.setattr(rules, "check", check)
    with pytest.raises(ValidationError, match="must be >= 10"):
        params.set("training_config.num_epochs", 5)
    assert docs["train.txt"].get("training_config.num_epochs") == 120
    params.set("training_config.num_epochs", 10)
    assert docs["train.txt"].render() == TRAIN.replace("num_epochs: 120", "num_epochs: 10")


def test_detectnet_v2_templates_end_to_end():
    from tao_tui.specs import load_spec
    from tao_tui.specs.netdef import load_network

    try:
        net = load_network("detectnet_v2")
    except UserError:
        pytest.skip("detectnet_v2 template not written yet")
    docs = {name: load_spec(net.folder / name) for name in net.spec_files}
    ps = ParamSet(net, docs)
    assert ps.check() == []
    ps.set("dataset_config.target_class_mapping", "person->person, person_sitting->person, car->car")
    train = docs["detectnet_v2_train_resnet18_kitti.txt"]
    assert train.get_mapping("dataset_config.target_class_mapping")[1] == ("person_sitting", "person")
    assert ps.check() == []  # every class block regenerated from the one mapping (S2)
    with pytest.raises(ValidationError, match="between 1 and 32"):
        ps.set("training_config.batch_size_per_gpu", 64)
    with pytest.raises(LockedParamError, match="model_config.arch is locked at NVIDIA's default"):
        ps.set("model_config.arch", "vgg")


# ----------------------------------------------------------------- provenance


def _row(rows, path):
    return next(r for r in rows if r.path == path)


def test_provenance_of_each_kind_against_nvidias_file(net):
    from tao_tui.specs.params import Rewrite

    nvidia = {"train.txt": _parse(TRAIN, "train.txt")}
    mine = TRAIN.replace("random_seed: 42", "random_seed: 7").replace("num_epochs: 120", "num_epochs: 30")
    mine = mine.replace('arch: "resnet"', 'arch: "resnet"\n  extra_field: 3').replace("enable_qat: false", "enable_qat: true")
    docs = {"train.txt": _parse(mine, "train.txt")}
    rewrites = {"train.txt:model_config.arch": Rewrite("feed", "from nowhere's output", "resnet")}
    rows = ParamSet(net, docs, unlocked=["training_config.enable_qat"], nvidia=nvidia, rewrites=rewrites).describe()
    seed = _row(rows, "random_seed")
    assert (seed.provenance, seed.nvidia, seed.state) == ("differs", 42, "locked")
    assert seed.note == "locked; NVIDIA's value is 42"
    extra = _row(rows, "model_config.extra_field")
    assert extra.provenance == "differs" and not extra.in_nvidia and "no such value" in extra.note
    epochs = _row(rows, "training_config.num_epochs")
    assert (epochs.provenance, epochs.state, epochs.editable) == ("yours", "changed", True)
    assert epochs.note == "yours; NVIDIA's default is 120"
    batch = _row(rows, "training_config.batch_size_per_gpu")
    assert (batch.provenance, batch.editable) == ("editable", True)
    arch = _row(rows, "model_config.arch")
    assert (arch.provenance, arch.origin, arch.editable) == ("rewritten", "from nowhere's output", False)
    assert arch.note == "rewritten by tao-tui from nowhere's output; NVIDIA's value is resnet"
    qat = _row(rows, "training_config.enable_qat")
    assert (qat.provenance, qat.nvidia, qat.editable) == ("unlocked", False, True)
    assert _row(rows, "training_config.checkpoint_interval").provenance == "nvidia"
    group = _row(rows, "dataset_config.target_class_mapping")
    assert group.provenance == "editable" and group.nvidia == [("car", "car"), ("van", "car")]


def test_a_rewrite_edited_by_hand_since_is_no_longer_tao_tuis(net):
    from tao_tui.specs.params import Rewrite

    nvidia = {"train.txt": _parse(TRAIN, "train.txt")}
    docs = {"train.txt": _parse(TRAIN.replace("checkpoint_interval: 10", "checkpoint_interval: 3"), "train.txt")}
    rewrites = {"train.txt:training_config.checkpoint_interval": Rewrite("interval", "lowered to fit", 5)}
    row = _row(ParamSet(net, docs, nvidia=nvidia, rewrites=rewrites).describe(), "training_config.checkpoint_interval")
    assert (row.provenance, row.note) == ("differs", "locked; NVIDIA's value is 10")


def test_without_nvidias_file_nothing_is_claimed(net, docs):
    rows = ParamSet(net, docs).describe()  # /nonexistent/toy: no template to compare with
    seed = _row(rows, "random_seed")
    assert seed.provenance == "nvidia" and not seed.in_nvidia
    assert seed.note == "locked (no NVIDIA file to compare with)"


def test_format_value_is_the_one_class_notation():
    from tao_tui.specs.params import format_value

    assert format_value([("forklift", "forklift"), ["pallet", "forklift"]]) == "forklift:forklift, pallet:forklift"
    assert format_value(True) == "true" and format_value(["a", "b"]) == "a, b" and format_value(1e-4) == "0.0001"


@pytest.fixture
def flat_dataset(tmp_path):
    """A KITTI dataset with image_2/label_2 at its top (no training/ folder)."""
    ds = tmp_path / "ds"
    for sub in ("image_2", "label_2"):
        (ds / sub).mkdir(parents=True)
    return ds


def test_project_provenance_detectnet_v2(tmp_path, flat_dataset):
    from tao_tui.project import Project
    from tao_tui.workflow.create import create_project, project_paramset

    create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0", dataset=str(flat_dataset),
                   sets=[("training_config.num_epochs", "6")],
                   classes=[("forklift", "forklift"), ("pallet", "forklift"), ("person", "person")])  # fmt: skip
    rows = project_paramset(Project.load(tmp_path / "p")).describe()
    train = "detectnet_v2_train_resnet18_kitti.txt"
    by = {(r.spec, r.path): r for r in rows}
    tf = by[(train, "dataset_config.data_sources.tfrecords_path")]
    assert (tf.provenance, tf.origin) == ("rewritten", "from dataset_convert's output")
    assert tf.nvidia == "/workspace/tao-experiments/data/tfrecords/kitti_trainval/*"
    block = by[(train, "postprocessing_config.target_class_config[0].key")]
    assert block.provenance == "rewritten" and block.value == "forklift"
    assert block.origin == "from the class mapping forklift:forklift, pallet:forklift, person:person"
    root = by[(train, "dataset_config.data_sources.image_directory_path")]
    assert root.provenance == "rewritten" and "training/" in root.origin and root.editable
    ckpt = by[(train, "training_config.checkpoint_interval")]
    assert (ckpt.provenance, ckpt.value, ckpt.nvidia) == ("rewritten", 6, 10)
    assert ckpt.origin == "lowered from 10 to fit training_config.num_epochs = 6"
    retrain = "detectnet_v2_retrain_resnet18_kitti.txt"
    model = by[(retrain, "model_config.pretrained_model_file")]
    assert (model.provenance, model.origin) == ("rewritten", "from prune's output")
    assert by[(train, "training_config.num_epochs")].provenance == "yours"
    assert by[(train, "training_config.batch_size_per_gpu")].provenance == "editable"
    assert by[(train, "random_seed")].provenance == "nvidia"
    assert not [r for r in rows if r.provenance == "differs"]  # nothing hand-edited


def test_project_provenance_sees_a_hand_edit(tmp_path):
    from tao_tui.project import Project
    from tao_tui.workflow.create import create_project, project_paramset

    project = create_project(tmp_path / "p", "yolo_v4", tao_version="5.0.0")
    spec = next(p.spec for p in project_paramset(project).network.safe_params if p.kind == "epochs")
    path = tmp_path / "p" / "specs" / spec
    text = path.read_text()
    assert "random_seed: 42" in text
    path.write_text(text.replace("random_seed: 42", "random_seed: 43"))
    rows = project_paramset(Project.load(tmp_path / "p")).describe(spec)
    seed = _row(rows, "random_seed")
    assert (seed.provenance, seed.note) == ("differs", "locked; NVIDIA's value is 42")


def test_project_provenance_in_a_template_sub_folder(tmp_path):
    """classification_tf1 keeps its specs in tao_voc/; the retrain spec is derived from the train spec."""
    from tao_tui.project import Project
    from tao_tui.workflow.create import create_project, project_paramset

    create_project(tmp_path / "p", "classification_tf1", tao_version="5.0.0")
    rows = project_paramset(Project.load(tmp_path / "p")).describe()
    specs = {r.spec for r in rows}
    assert "tao_voc/classification_spec.cfg" in specs and "tao_voc/classification_retrain_spec.cfg" in specs
    pruned = next(r for r in rows if r.spec.endswith("retrain_spec.cfg") and r.path.endswith("pretrained_model_path"))
    assert (pruned.provenance, pruned.origin) == ("rewritten", "from prune's output")
    assert not [r for r in rows if r.provenance == "differs"]


def test_a_fresh_project_of_every_network_has_no_unexplained_value(tmp_path):
    """Every value of a new project is NVIDIA's, a safe default, or one tao-tui says it rewrote."""
    from tao_tui.specs.netdef import load_network, template_networks
    from tao_tui.workflow.create import create_project, project_paramset

    for i, name in enumerate(template_networks()):
        if load_network(name).specs == "download":
            continue  # no spec files until download_specs ran: tests/unit/test_conversational.py
        project = create_project(tmp_path / str(i), name)
        rows = project_paramset(project).describe()
        assert rows, name
        odd = [(r.key, r.value, r.nvidia) for r in rows if r.provenance not in ("nvidia", "editable", "rewritten")]
        assert not odd, (name, odd[:3])
        assert all(r.origin for r in rows if r.provenance == "rewritten"), name


def test_provenance_lines_list_what_is_not_nvidias(tmp_path):
    from tao_tui.project import Project
    from tao_tui.specs.params import provenance_lines
    from tao_tui.workflow.create import create_project, project_paramset, set_params

    create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0", sets=[("training_config.num_epochs", "40")])
    set_params(tmp_path / "p", {}, unlock=["detectnet_v2_train_resnet18_kitti.txt:random_seed"])
    spec = tmp_path / "p" / "specs" / "detectnet_v2_train_resnet18_kitti.txt"
    spec.write_text(spec.read_text().replace("output_image_width: 1248", "output_image_width: 480"))
    rows = project_paramset(Project.load(tmp_path / "p")).describe()
    lines = provenance_lines(rows)
    assert lines == [
        "detectnet_v2_train_resnet18_kitti.txt: random_seed = 42  [UNLOCKED by an expert; NVIDIA's value is 42]",
        "detectnet_v2_train_resnet18_kitti.txt: augmentation_config.preprocessing.output_image_width = 480  "
        "[locked; NVIDIA's value is 1248]",
        "detectnet_v2_train_resnet18_kitti.txt: training_config.num_epochs = 40  [yours; NVIDIA's default is 120]",
    ]
    rewritten = provenance_lines(rows, kinds=["rewritten"])
    assert any("tfrecords_path" in line and "from dataset_convert's output" in line for line in rewritten)


def test_tao7_gpu_count_written_by_tao_tui_is_marked_rewritten(tmp_path):
    from tao_tui.workflow.create import create_project, project_paramset

    project = create_project(tmp_path / "p", "rtdetr", tao_version="7.1.0", gpus=2)
    rows = {(r.spec, r.path): r for r in project_paramset(project).describe()}
    gpus = [r for (_s, path), r in rows.items() if path.endswith("num_gpus") and r.value == 2]
    assert gpus and all(r.provenance == "rewritten" and r.origin == "from the project's GPU count (2)" for r in gpus)
    assert not [r for r in rows.values() if r.provenance == "differs"]
