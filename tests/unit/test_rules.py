"""Cross-field rules on NVIDIA's real detectnet_v2 specs: class blocks, intervals, retrain spec."""

from __future__ import annotations

import difflib
from pathlib import Path
from types import SimpleNamespace

import pytest

from tao_tui.errors import ValidationError
from tao_tui.specs import load_spec, parse_spec
from tao_tui.specs.rules import CLASS_RULES, apply_classes, check, derive_retrain, target_classes

REF = Path(__file__).resolve().parents[1] / "fixtures" / "reference_specs"
DNV2 = REF / "detectnet_v2"
TRAIN = "detectnet_v2_train_resnet18_kitti.txt"
INFER = "detectnet_v2_inference_kitti_tlt.txt"
RETRAIN = "detectnet_v2_retrain_resnet18_kitti.txt"
PRUNED = "/workspace/tao-experiments/detectnet_v2/experiment_dir_pruned/resnet18_nopool_bn_detectnet_v2_pruned.hdf5"
KEY_BLOCKS = [b.path for b in CLASS_RULES["detectnet_v2"].blocks if b.how == "key"]


def _net(name: str = "detectnet_v2", folder: Path = DNV2, specs: tuple[str, ...] = (TRAIN, INFER)):
    return SimpleNamespace(name=name, folder=folder, spec_files=list(specs))


def _docs(*names: str, folder: Path = DNV2) -> dict:
    return {n: load_spec(folder / n) for n in names}


def _diff(a: str, b: str) -> list[str]:
    return list(difflib.unified_diff(a.splitlines(), b.splitlines(), "nvidia", "tao-tui", lineterm="", n=0))


def _block_texts(doc, path: str) -> dict[str, str]:
    return {doc.child(f, "key").value: doc.block_text(f) for f in doc.fields(path)}


def test_nvidia_specs_pass_the_checks():
    assert check(_net(), _docs(TRAIN, INFER, RETRAIN)) == []


def test_detectnet_v2_edit_changes_only_the_expected_lines():
    docs = _docs(TRAIN, INFER)
    train, infer = docs[TRAIN], docs[INFER]
    before_train, before_infer = train.render(), infer.render()
    old_blocks = {p: _block_texts(train, p) for p in KEY_BLOCKS if train.fields(p)}
    old_infer_blocks = _block_texts(infer, "bbox_handler_config.classwise_bbox_handler_config")

    train.set("training_config.batch_size_per_gpu", 8)
    train.set("training_config.num_epochs", 80)
    apply_classes(_net(), docs, [("car", "car"), ("truck", "car"), ("pedestrian", "pedestrian")])

    diff = _diff(before_train, train.render())
    print("\n".join(diff))
    print("\n".join(_diff(before_infer, infer.render())))

    # NVIDIA's file with exactly the intended edits, done by hand on the text
    expected = before_train.replace("  batch_size_per_gpu: 4\n", "  batch_size_per_gpu: 8\n", 1)
    expected = expected.replace("  num_epochs: 120\n", "  num_epochs: 80\n", 1)
    old_mapping = before_train[
        before_train.index("  target_class_mapping {") : before_train.index("  validation_fold")
    ]
    new_mapping = "".join(
        f'  target_class_mapping {{\n    key: "{k}"\n    value: "{v}"\n  }}\n'
        for k, v in [("car", "car"), ("truck", "car"), ("pedestrian", "pedestrian")]
    )
    expected = expected.replace(old_mapping, new_mapping, 1)
    original = load_spec(DNV2 / TRAIN)
    cyclist_blocks = [texts["cyclist"] for texts in old_blocks.values()]
    cyclist_blocks.append(original.block_text(original.fields("cost_function_config.target_classes")[1]))
    for block in cyclist_blocks:
        assert '"cyclist"' in block and expected.count(block) == 1
        expected = expected.replace(block, "", 1)
    assert train.render() == expected
    assert train.get_mapping("dataset_config.target_class_mapping") == [
        ("car", "car"), ("truck", "car"), ("pedestrian", "pedestrian")
    ]  # fmt: skip
    # every class block: cyclist gone, car and pedestrian byte-identical to NVIDIA's
    for path, old in old_blocks.items():
        new = _block_texts(train, path)
        assert list(new) == ["car", "pedestrian"], path
        assert new["car"] == old["car"] and new["pedestrian"] == old["pedestrian"], path
    names = [train.get(f"cost_function_config.target_classes[{i}].name") for i in range(2)]
    assert names == ["car", "pedestrian"] and train.count("cost_function_config.target_classes") == 2
    removed_text = "\n".join(ln[1:] for ln in diff if ln.startswith("-") and not ln.startswith("---"))
    assert removed_text.count('"cyclist"') >= 7  # mapping + 6 class groups
    assert "person_sitting" in removed_text and '"van"' in removed_text

    # inference spec: cyclist removed from target_classes and the bbox handler, "default" kept
    assert infer.get_list("inferencer_config.target_classes") == ["car", "pedestrian"]
    new_infer = _block_texts(infer, "bbox_handler_config.classwise_bbox_handler_config")
    assert list(new_infer) == ["car", "pedestrian", "default"]
    assert all(new_infer[k] == old_infer_blocks[k] for k in new_infer)
    infer_added = [
        ln for ln in _diff(before_infer, infer.render()) if ln.startswith("+") and ln != "+++ tao-tui"
    ]
    assert infer_added == []
    assert check(_net(), docs) == []


def test_new_class_copies_first_block_with_name_replaced():
    docs = _docs(TRAIN, INFER)
    apply_classes(_net(), docs, {"car": "car", "bus": "bus"})
    train, infer = docs[TRAIN], docs[INFER]
    post = _block_texts(train, "postprocessing_config.target_class_config")
    assert post["bus"] == post["car"].replace('"car"', '"bus"')
    assert train.get("cost_function_config.target_classes[1].name") == "bus"
    assert train.get("cost_function_config.target_classes[1].class_weight") == 1.0  # car's weights
    handler = _block_texts(infer, "bbox_handler_config.classwise_bbox_handler_config")
    assert list(handler) == ["car", "bus", "default"]
    assert 'output_map: "bus"' in handler["bus"]
    assert infer.get_list("inferencer_config.target_classes") == ["car", "bus"]
    assert check(_net(), docs) == []
    # the spec still parses the same way TAO would read it
    assert parse_spec(train.render(), "prototxt", "again").render() == train.render()


@pytest.mark.parametrize("bad", ["Car", "Pedestrian", "TRUCK"])
def test_capitalised_class_names_are_refused_with_the_reason(bad):
    docs = _docs(TRAIN)
    before = docs[TRAIN].render()
    with pytest.raises(ValidationError) as err:
        apply_classes(_net(), docs, [(bad, "car")])
    e = err.value
    assert e.field == "dataset_config.target_class_mapping"
    assert "lower-cases" in e.rule and "0 mAP" in e.rule
    assert e.fix == f"use '{bad.lower()}'"
    assert docs[TRAIN].render() == before  # nothing written


@pytest.mark.parametrize("bad", ["", "traffic light", "a" * 41, "car!"])
def test_other_bad_class_names(bad):
    with pytest.raises(ValidationError):
        apply_classes(_net(), _docs(TRAIN), [("car", bad)])


def test_conflicting_label_mapping_is_refused():
    with pytest.raises(ValidationError):
        apply_classes(_net(), _docs(TRAIN), [("van", "car"), ("van", "truck")])


def test_check_reports_out_of_sync_blocks():
    docs = _docs(TRAIN, INFER)
    train = docs[TRAIN]
    train.set_mapping("dataset_config.target_class_mapping", [("car", "car"), ("person", "pedestrian")])
    errors = check(_net(), docs)
    fields = {e.field for e in errors}
    assert f"{TRAIN}:cost_function_config.target_classes" in fields
    assert f"{TRAIN}:postprocessing_config.target_class_config" in fields
    assert f"{INFER}:inferencer_config.target_classes" in fields
    assert all("cyclist" in e.rule and e.fix for e in errors)


def test_check_reports_capitals_already_in_a_spec():
    docs = _docs(TRAIN)
    docs[TRAIN].set("dataset_config.target_class_mapping[3].key", "Person_sitting")
    errors = check(_net(specs=(TRAIN,)), docs)
    assert any("0 mAP" in e.rule for e in errors)


def test_check_intervals_tf1():
    docs = _docs(TRAIN)
    docs[TRAIN].set("training_config.num_epochs", 5)
    errors = {e.field: e for e in check(_net(specs=(TRAIN,)), docs)}
    assert set(errors) == {
        f"{TRAIN}:training_config.checkpoint_interval",
        f"{TRAIN}:evaluation_config.validation_period_during_training",
        f"{TRAIN}:evaluation_config.first_validation_epoch",
    }
    first = errors[f"{TRAIN}:evaluation_config.first_validation_epoch"]
    assert "30" in first.rule and "5" in first.rule and "no mAP" in first.rule
    assert "at most 5" in first.fix


def test_check_intervals_pytorch_yaml():
    text = (
        "train:\n  num_epochs: 3\n  checkpoint_interval: 5\n  validation_interval: 2\nother:\n  epochs: 1\n"
    )
    docs = {"train.yaml": parse_spec(text, "yaml", "train.yaml")}
    errors = check(_net("dino", specs=("train.yaml",)), docs)
    assert [e.field for e in errors] == ["train.yaml:train.checkpoint_interval"]
    assert "train.num_epochs" in errors[0].rule  # the length next to it, not other.epochs


def test_check_skips_interpolated_values():
    text = "train:\n  validation_interval: 20\n  checkpoint_interval: ${train.validation_interval}\n  num_epochs: 40\n"
    assert check(_net("centerpose"), {"t.yaml": parse_spec(text, "yaml", "t.yaml")}) == []


def test_other_detectors_rewrite_their_mapping():
    folder = REF / "yolo_v4"
    name = "yolo_v4_train_resnet18_kitti.txt"
    docs = _docs(name, folder=folder)
    apply_classes(_net("yolo_v4", folder, (name,)), docs, [("car", "car"), ("van", "car")])
    assert docs[name].get_mapping("dataset_config.target_class_mapping") == [("car", "car"), ("van", "car")]
    assert target_classes(docs[name].get_mapping("dataset_config.target_class_mapping")) == ["car"]


def test_derive_retrain_matches_nvidia_retrain_spec():
    train = load_spec(DNV2 / TRAIN)
    before = train.render()
    retrain = derive_retrain(train, PRUNED)
    assert train.render() == before  # the train spec is not modified
    nvidia = (DNV2 / RETRAIN).read_text()
    diff = _diff(nvidia, retrain.render())
    print("\n".join(diff))
    changed = [ln for ln in diff if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    # NVIDIA's file ends with "}  " (two trailing spaces); ours keeps the train spec's last line
    assert changed == ["-}  ", "+}"]
    assert retrain.get("model_config.load_graph") is True
    assert retrain.get("model_config.pretrained_model_file") == PRUNED


def test_derive_retrain_renames_the_weights_field_for_yolo():
    train = load_spec(REF / "yolo_v4" / "yolo_v4_train_resnet18_kitti.txt")
    retrain = derive_retrain(train, "/r/pruned.hdf5")
    assert retrain.get("training_config.pruned_model_path") == "/r/pruned.hdf5"
    assert not retrain.has("training_config.pretrain_model_path")
    assert not retrain.has("model_config.load_graph")


# ----------------------------------------------------------------- class names inside spec files


def test_spec_class_findings_names_field_rule_and_fix():
    from tao_tui.specs import parse_spec
    from tao_tui.specs.rules import spec_class_findings

    text = (
        'dataset_config {\n  target_class_mapping {\n    key: "Mask"\n    value: "mask"\n  }\n'
        '  target_class_mapping {\n    key: "no mask"\n    value: "No_Mask"\n  }\n}\n'
        "training_config {\n  classifier_regr_std {\n    key: 'X'\n    value: 10.0\n  }\n}\n"  # faster_rcnn: not classes
        'postprocessing_config {\n  target_class_config {\n    key: "Mask"\n    value {\n      x: 1\n    }\n  }\n}\n'
    )
    found = spec_class_findings({"yolo.txt": parse_spec(text, "prototxt", "yolo.txt")})
    fields = [e.field for e in found]
    assert fields == [
        "yolo.txt:dataset_config.target_class_mapping[0].key",
        "yolo.txt:dataset_config.target_class_mapping[1].key",
        "yolo.txt:dataset_config.target_class_mapping[1].value",
        "yolo.txt:postprocessing_config.target_class_config.key",
    ]
    assert "capital letters" in found[0].rule and found[0].fix == "use 'mask'"
    assert "spaces" in found[1].rule and "no_mask" in found[1].fix


def test_spec_class_findings_leave_yaml_and_nvidias_files_alone():
    from tao_tui.commands.spec import spec_files_under
    from tao_tui.specs import load_spec, parse_spec
    from tao_tui.specs.netdef import load_network
    from tao_tui.specs.rules import spec_class_findings

    yaml_doc = parse_spec("dataset:\n  class_names: [Car, Pedestrian]\n", "yaml", "pointpillars.yaml")
    assert spec_class_findings({"pointpillars.yaml": yaml_doc}) == []  # PyTorch matches names verbatim
    for net in ("detectnet_v2", "faster_rcnn", "yolo_v4", "retinanet", "classification_tf1"):
        docs = {f.name: load_spec(f) for f in spec_files_under(load_network(net).folder)}
        assert spec_class_findings(docs) == [], net


def test_preflight_fails_on_a_capitalised_class_key_the_user_wrote_into_a_spec(tmp_path):
    from tao_tui.preflight import preflight, preflight_stage
    from tao_tui.project import Project
    from tao_tui.workflow.create import create_project

    create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0")
    spec = tmp_path / "p" / "specs" / "detectnet_v2_train_resnet18_kitti.txt"
    spec.write_text(spec.read_text().replace('key: "van"', 'key: "Van"', 1))
    project = Project.load(tmp_path / "p")
    for findings in (preflight_stage(project, "train"), preflight(project)):
        bad = [f for f in findings if "'Van' has capital letters" in f.what]
        assert bad and bad[0].level == "fail" and bad[0].fix == "use 'van'"
        assert bad[0].what.startswith("detectnet_v2_train_resnet18_kitti.txt:dataset_config.target_class_mapping[")
