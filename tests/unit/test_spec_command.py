"""`tao-tui spec check|show|diff`."""

from __future__ import annotations

import argparse
import shutil
import sys

import pytest

from tao_tui.commands import spec as spec_cmd
from tao_tui.errors import TaoTuiError
from tao_tui.resources import templates_dir

TRAIN = """\
# toy train spec
random_seed: 42
dataset_config {
  target_class_mapping {
    key: "car"
    value: "car"
  }
}
training_config {
  batch_size_per_gpu: 4
  num_epochs: 120
}
"""

NETWORK_YAML = """\
name: toy
description: a toy detector
spec_format: prototxt
stages:
  - {id: train, task: train, spec: train.txt}
safe_params:
  - {spec: train.txt, path: training_config.batch_size_per_gpu, kind: batch_size, type: int,
     min: 1, max: 32, default: 4, help: Images per GPU per step.}
  - {spec: train.txt, path: training_config.num_epochs, kind: epochs, type: int,
     min: 1, max: 500, default: 120, help: Passes over the data.}
"""


def cli(*argv: str) -> int:
    """What `tao-tui spec ...` does: parse, run, show a TaoTuiError as cli.main does."""
    parser = argparse.ArgumentParser(prog="tao-tui spec")
    spec_cmd.add_arguments(parser)
    args = parser.parse_args([str(a) for a in argv])
    try:
        return spec_cmd.run(args)
    except TaoTuiError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


@pytest.fixture
def toy(tmp_path):
    """A template folder: specs_templates/toy/{network.yaml, train.txt}."""
    folder = tmp_path / "specs_templates" / "toy"
    folder.mkdir(parents=True)
    (folder / "network.yaml").write_text(NETWORK_YAML)
    (folder / "train.txt").write_text(TRAIN)
    return folder


# ----------------------------------------------------------------- check


def test_check_ok(toy, capsys):
    assert cli("check", toy / "train.txt") == 0
    assert capsys.readouterr().out == f"ok  {toy / 'train.txt'}\n"


def test_check_malformed_gives_file_line_col(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("a {\n  b = 1\n}\n")  # YAML-style `=` in protobuf text
    assert cli("check", bad) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{bad}:2:5: ")
    assert "=" in captured.err.splitlines()[0]


def test_check_unclosed_block_is_located(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("a {\n  b: 1\n")
    assert cli("check", bad) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"{bad}:")
    line, col = first[len(str(bad)) + 1 :].split(":")[:2]
    assert 1 <= int(line) <= 3 and int(col) >= 1
    assert "}" in first


def test_check_reports_a_round_trip_that_is_not_identical(tmp_path, capsys, monkeypatch):
    import tao_tui.specs as specs

    real = specs.parse_spec

    class Lossy:
        def __init__(self, doc):
            self.doc = doc

        def render(self):
            return self.doc.render().replace("num_epochs: 120", "num_epochs:120")

    monkeypatch.setattr(specs, "parse_spec", lambda text, fmt, name: Lossy(real(text, fmt, name)))
    f = tmp_path / "train.txt"
    f.write_text(TRAIN)
    assert cli("check", f) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{f}:11:14: round trip is not identical")
    assert "'  num_epochs: 120'" in err


def test_check_folder_skips_non_specs(toy, capsys):
    (toy / "classmap.txt").write_text("car\nperson\n")
    (toy / "ids.txt").write_text("000001\n000002\n")
    (toy / "schema.csv").write_text("a,b\n1,2\n")
    (toy / "eval.yaml").write_text("evaluate:\n  batch_size: 4  # keep\n")
    (toy / "labels.json").write_text('{"a": [1, 2]}\n')
    assert cli("check", toy.parent) == 0
    out = capsys.readouterr().out.splitlines()
    assert sorted(out) == sorted(f"ok  {toy / n}" for n in ("eval.yaml", "labels.json", "train.txt"))


def test_check_continues_after_a_failure(toy, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    assert cli("check", bad, toy / "train.txt") == 1
    captured = capsys.readouterr()
    assert f"ok  {toy / 'train.txt'}" in captured.out
    assert captured.err.startswith(f"{bad}:")


def test_check_missing_file(tmp_path, capsys):
    assert cli("check", tmp_path / "nope.txt") == 1
    assert "no such file" in capsys.readouterr().err


def test_check_empty_folder(tmp_path, capsys):
    assert cli("check", tmp_path) == 1
    assert "no spec files" in capsys.readouterr().err


# ----------------------------------------------------------------- show


def test_show_plain_tree(tmp_path, capsys):
    f = tmp_path / "train.txt"
    f.write_text(TRAIN)
    assert cli("show", f) == 0
    assert capsys.readouterr().out.splitlines() == [
        "random_seed = 42",
        "dataset_config.target_class_mapping.key = car",
        "dataset_config.target_class_mapping.value = car",
        "training_config.batch_size_per_gpu = 4",
        "training_config.num_epochs = 120",
    ]


def test_show_in_template_folder_marks_safe_and_locked(toy, capsys):
    assert cli("show", toy / "train.txt") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "random_seed = 42  [locked: NVIDIA's value]"
    batch = next(line for line in lines if line.startswith("training_config.batch_size_per_gpu = 4"))
    assert "[editable]" in batch and "1..32" in batch and "Images per GPU per step." in batch
    assert any(line.startswith("dataset_config.target_class_mapping.key = car  [locked") for line in lines)


def test_show_unlock_flag(toy, capsys):
    assert cli("show", toy / "train.txt", "--unlock", "random_seed") == 0
    assert capsys.readouterr().out.splitlines()[0] == "random_seed = 42  [UNLOCKED by an expert; NVIDIA's value is 42]"


def test_show_project_file_uses_project_yaml(tmp_path, capsys):
    name = "detectnet_v2_train_resnet18_kitti.txt"
    src = templates_dir() / "detectnet_v2" / name
    if not src.is_file():
        pytest.skip("detectnet_v2 template not written yet")
    (tmp_path / "specs").mkdir()
    (tmp_path / "project.yaml").write_text(
        "network: detectnet_v2\nunlocked: [training_config.checkpoint_interval]\n"
    )
    f = tmp_path / "specs" / name
    f.write_text(src.read_text().replace("batch_size_per_gpu: 4", "batch_size_per_gpu: 8"))
    assert cli("show", f) == 0
    lines = capsys.readouterr().out.splitlines()
    batch = next(line for line in lines if line.startswith("training_config.batch_size_per_gpu = 8"))
    assert "[yours; NVIDIA's default is 4]" in batch
    assert any(line.startswith("training_config.checkpoint_interval = ") and "[UNLOCKED by an expert" in line
               for line in lines)  # fmt: skip
    assert any(line.endswith("[locked: NVIDIA's value]") for line in lines)


# ----------------------------------------------------------------- diff


def test_diff_identical_is_zero(toy, tmp_path, capsys):
    copy = tmp_path / "mine.txt"
    shutil.copy(toy / "train.txt", copy)
    assert cli("diff", copy, toy / "train.txt") == 0
    assert capsys.readouterr().out == ""


def test_diff_changed_is_one_with_unified_diff(toy, tmp_path, capsys):
    project = tmp_path / "proj"
    (project / "specs").mkdir(parents=True)
    (project / "project.yaml").write_text("network: toy\n")
    mine = project / "specs" / "train.txt"
    mine.write_text(TRAIN.replace("num_epochs: 120", "num_epochs: 5"))
    assert cli("diff", mine, toy / "train.txt") == 1
    out = capsys.readouterr().out
    assert f"--- {toy / 'train.txt'} (NVIDIA)" in out
    assert f"+++ {mine}" in out
    assert "-  num_epochs: 120\n" in out and "+  num_epochs: 5\n" in out
    changed = [ln for ln in out.splitlines() if ln[:1] in "+-" and not ln.startswith(("---", "+++"))]
    assert changed == ["-  num_epochs: 120", "+  num_epochs: 5"]


def test_diff_finds_the_template_from_the_network(tmp_path, capsys):
    name = "detectnet_v2_train_resnet18_kitti.txt"
    src = templates_dir() / "detectnet_v2" / name
    if not src.is_file():
        pytest.skip("detectnet_v2 template not written yet")
    mine = tmp_path / name
    mine.write_text(src.read_text())
    assert cli("diff", mine, "--network", "detectnet_v2") == 0
    mine.write_text(src.read_text().replace("batch_size_per_gpu: 4", "batch_size_per_gpu: 8"))
    assert cli("diff", mine, "--network", "detectnet_v2") == 1
    assert "+  batch_size_per_gpu: 8" in capsys.readouterr().out


def test_diff_without_a_template_is_a_user_error(tmp_path, capsys):
    f = tmp_path / "train.txt"
    f.write_text(TRAIN)
    assert cli("diff", f) == 1
    err = capsys.readouterr().err
    assert "cannot tell which network" in err and "fix:" in err


# ----------------------------------------------------------------- the truth about values


def test_a_renamed_copy_is_matched_to_its_template_by_content(toy, tmp_path):
    mine = tmp_path / "my_edit.txt"  # another name: matched to train.txt by content
    mine.write_text(TRAIN.replace("random_seed: 42", "random_seed: 7"))
    from tao_tui.specs.netdef import load_network

    net = load_network("toy", toy.parent)
    match = spec_cmd.match_template(net, mine)
    assert match is not None and match.spec == "train.txt" and "by content" in match.note


def _show_lines(capsys, *argv):
    assert cli("show", *argv) == 0
    out = capsys.readouterr()
    return out.out.splitlines(), out.err


def test_show_user_copy_of_detectnet_v2_spec_tells_the_truth(tmp_path, capsys):
    src = templates_dir() / "detectnet_v2" / "detectnet_v2_train_resnet18_kitti.txt"
    mine = tmp_path / "warehouse.txt"
    mine.write_text(src.read_text().replace("output_image_width: 1248", "output_image_width: 480"))
    lines, err = _show_lines(capsys, mine, "--network", "detectnet_v2")
    width = next(line for line in lines if line.startswith("augmentation_config.preprocessing.output_image_width"))
    assert width == "augmentation_config.preprocessing.output_image_width = 480  [locked; NVIDIA's value is 1248]"
    assert "matched to NVIDIA's detectnet_v2/detectnet_v2_train_resnet18_kitti.txt by content" in err
    height = next(line for line in lines if line.startswith("augmentation_config.preprocessing.output_image_height"))
    assert height.endswith("[locked: NVIDIA's value]")
    assert "[editable]" in next(line for line in lines if line.startswith("training_config.num_epochs"))


def test_show_project_spec_marks_what_tao_tui_rewrote(tmp_path, capsys):
    from tao_tui.workflow.create import create_project

    create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0",
                   classes=[("forklift", "forklift"), ("pallet", "forklift")])  # fmt: skip
    lines, _ = _show_lines(capsys, tmp_path / "p" / "specs" / "detectnet_v2_train_resnet18_kitti.txt")
    tf = next(line for line in lines if line.startswith("dataset_config.data_sources.tfrecords_path"))
    assert "[rewritten by tao-tui from dataset_convert's output; NVIDIA's value is " in tf
    block = next(line for line in lines if line.startswith("cost_function_config.target_classes.name"))
    assert block == ("cost_function_config.target_classes.name = forklift  [rewritten by tao-tui from the class "
                     "mapping forklift:forklift, pallet:forklift; NVIDIA's value is car]")  # fmt: skip
    mapping = next(line for line in lines if line.startswith("dataset_config.target_class_mapping = "))
    assert mapping.startswith("dataset_config.target_class_mapping = forklift:forklift, pallet:forklift  [yours; ")
    assert not any("NVIDIA default]" in line for line in lines)


@pytest.mark.parametrize(("network", "rel"), [
    ("classification_tf1", "tao_voc/classification_spec.cfg"),
    ("classification_tf1", "tao_voc/classification_retrain_spec.cfg"),
    ("unet", "tao_isbi/unet_train_resnet_unet_isbi.txt"),
])  # fmt: skip
def test_templates_in_sub_folders_are_found_by_name_and_by_content(network, rel, tmp_path, capsys):
    src = templates_dir() / network / rel
    same = tmp_path / src.name
    same.write_text(src.read_text())
    assert cli("diff", "--network", network, same) == 0
    assert f"is {network}/{rel}" in capsys.readouterr().err
    other = tmp_path / "mine.txt" if src.suffix == ".txt" else tmp_path / "mine.cfg"
    other.write_text(src.read_text())
    assert cli("diff", "--network", network, other) == 0
    assert f"matched to NVIDIA's {network}/{rel} by content" in capsys.readouterr().err
    lines, _ = _show_lines(capsys, other, "--network", network)
    assert lines and all("[locked: NVIDIA's value]" in line or "[editable]" in line for line in lines)
    assert any("[editable]" in line for line in lines) or network == "unet"


def test_a_file_of_no_kind_is_not_claimed(tmp_path, capsys):
    f = tmp_path / "other.txt"
    f.write_text("something_else {\n  a: 1\n}\n")
    assert cli("diff", "--network", "detectnet_v2", f) == 1
    assert "matches none of detectnet_v2's spec files" in capsys.readouterr().err
    lines, err = _show_lines(capsys, f, "--network", "detectnet_v2")
    assert lines == ["something_else.a = 1  [locked (no NVIDIA file to compare with)]"]
    assert "matches none" in err


def test_capitalised_class_keys_in_a_spec_are_warned_about(toy, tmp_path, capsys):
    f = tmp_path / "train.txt"
    f.write_text(TRAIN.replace('key: "car"', 'key: "Mask"').replace('value: "car"', 'value: "mask"'))
    assert cli("check", f) == 0  # the round trip is fine; the class name is not
    err = capsys.readouterr().err
    assert f"{f}:dataset_config.target_class_mapping.key: class name 'Mask' has capital letters" in err
    assert "use 'mask'" in err
    _lines, err = _show_lines(capsys, f)
    assert "class name 'Mask' has capital letters" in err
    other = tmp_path / "classes.txt"
    other.write_text('inferencer_config {\n  target_classes: "Forklift"\n}\n'
                     'bbox_handler_config {\n  classwise_bbox_handler_config {\n    key: "default"\n  }\n}\n')
    assert cli("check", other) == 0
    err = capsys.readouterr().err
    assert "'Forklift' has capital letters" in err and "default" not in err


def test_without_network_a_copy_is_matched_to_the_closest_template_of_any_network(tmp_path, capsys):
    src = templates_dir() / "yolo_v4" / "yolo_v4_train_resnet18_kitti_qat.txt"
    mine = tmp_path / "mine.txt"
    mine.write_text(src.read_text().replace("num_epochs: 80", "num_epochs: 20"))
    assert cli("diff", mine) == 1
    out = capsys.readouterr()
    assert "looks like NVIDIA's yolo_v4/yolo_v4_train_resnet18_kitti_qat.txt" in out.err  # not the non-QAT twin
    assert "-  num_epochs: 80" in out.out and "+  num_epochs: 20" in out.out
    lines, err = _show_lines(capsys, mine)
    assert "pass --network to choose another network" in err
    # the QAT spec is none of the project's spec files: its values are locked, and it says so
    assert "training_config.num_epochs = 20  [locked; NVIDIA's value is 80]" in lines
    plain = tmp_path / "plain.txt"
    plain.write_text((templates_dir() / "yolo_v4" / "yolo_v4_train_resnet18_kitti.txt").read_text()
                     .replace("num_epochs: 80", "num_epochs: 20"))
    lines, err = _show_lines(capsys, plain)
    assert "looks like NVIDIA's yolo_v4/yolo_v4_train_resnet18_kitti.txt" in err
    assert any(line.startswith("training_config.num_epochs = 20  [yours; NVIDIA's default is 80]") for line in lines)


def test_check_folder_of_unreadable_specs_names_each_file_and_the_fix(toy, tmp_path, monkeypatch, capsys):
    """chmod 000 specs (simulated: tests run as root, so os.open is refused for them) and a FIFO named
    like a spec: each named with why and the quoted fix, never "no spec files"."""
    import errno
    import os
    import shlex
    import shutil
    from pathlib import Path

    folder = tmp_path / "my specs; rm -rf ~"
    shutil.copytree(toy, folder)
    locked = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix == ".txt")
    assert locked
    os.mkfifo(folder / "pipe.yaml")
    real_open = os.open

    def refusing(path, flags, *a, **kw):
        if Path(path) in locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", refusing)
    assert cli("check", folder) == 1
    err = capsys.readouterr().err
    assert "no spec files" not in err and "Traceback" not in err
    for path in locked:
        line = next(ln for ln in err.splitlines() if ln.startswith(f"{path}: cannot read"))
        assert "Permission denied" in line
        cmd = line.split("`")[1]
        assert shlex.split(cmd) == ["chmod", "a+r", str(path)]
    assert f"{folder / 'pipe.yaml'}: cannot read this spec file (not a regular file" in err
