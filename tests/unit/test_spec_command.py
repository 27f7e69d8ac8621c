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
    assert lines[0] == "random_seed = 42  [locked: NVIDIA default]"
    batch = next(line for line in lines if line.startswith("training_config.batch_size_per_gpu = 4"))
    assert "[editable]" in batch and "1..32" in batch and "Images per GPU per step." in batch
    assert any(line.startswith("dataset_config.target_class_mapping.key = car  [locked") for line in lines)


def test_show_unlock_flag(toy, capsys):
    assert cli("show", toy / "train.txt", "--unlock", "random_seed") == 0
    assert capsys.readouterr().out.splitlines()[0] == "random_seed = 42  [UNLOCKED]"


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
    assert "[editable, changed from 4]" in batch
    assert any(line.startswith("training_config.checkpoint_interval = ") and line.endswith("[UNLOCKED]")
               for line in lines)  # fmt: skip
    assert any(line.endswith("[locked: NVIDIA default]") for line in lines)


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
