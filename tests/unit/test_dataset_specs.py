"""A project's converter spec points at the dataset's own KITTI folders; retrain reads train's inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tao_tui.specs import load_spec
from tao_tui.workflow.create import create_project, project_paramset
from tests.datasets import make_kitti

CONVERT = "detectnet_v2_tfrecords_kitti_trainval.txt"
TRAIN = "detectnet_v2_train_resnet18_kitti.txt"
RETRAIN = "detectnet_v2_retrain_resnet18_kitti.txt"
DATA = "/workspace/tao-experiments/data"


def _new(tmp_path: Path, dataset: Path):
    return create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0", dataset=str(dataset),
                          classes=[("forklift", "forklift"), ("person", "person"), ("pallet", "pallet")])


@pytest.mark.parametrize("layout,image_dir,label_dir", [("images", "images", "labels"), ("image_2", "image_2", "label_2")])
def test_folders_at_the_top(tmp_path, layout, image_dir, label_dir):
    project = _new(tmp_path, make_kitti(tmp_path / "ds", layout=layout))
    convert = load_spec(project.specs_dir / CONVERT)
    assert convert.get("kitti_config.root_directory_path") == DATA
    assert convert.get("kitti_config.image_dir_name") == image_dir
    assert convert.get("kitti_config.label_dir_name") == label_dir
    assert convert.get("image_directory_path") == DATA
    assert load_spec(project.specs_dir / TRAIN).get("dataset_config.data_sources.image_directory_path") == DATA
    rows = {(r.spec, r.path): r for r in project_paramset(project).describe()}
    row = rows[(CONVERT, "kitti_config.image_dir_name")]
    if image_dir != "image_2":
        assert row.provenance == "rewritten" and "dataset" in row.origin


def test_image_extension_follows_the_files_in_nvidia_s_notation(tmp_path):
    ds = make_kitti(tmp_path / "ds", layout="images")
    for png in (ds / "images").iterdir():
        png.rename(png.with_suffix(".jpg"))
    project = _new(tmp_path, ds)
    assert load_spec(project.specs_dir / CONVERT).get("kitti_config.image_extension") == ".jpg"  # NVIDIA: ".png"


def test_nvidia_s_own_layout_keeps_nvidia_s_values(tmp_path):
    project = _new(tmp_path, make_kitti(tmp_path / "ds", layout="training"))
    ours = load_spec(project.specs_dir / CONVERT)
    nvidia = load_spec(Path("specs_templates/detectnet_v2") / CONVERT)
    for key in ("kitti_config.root_directory_path", "kitti_config.image_dir_name", "kitti_config.label_dir_name",
                "kitti_config.image_extension", "image_directory_path"):
        assert ours.get(key) == nvidia.get(key)


def test_several_splits_are_left_to_preflight(tmp_path):
    project = _new(tmp_path, make_kitti(tmp_path / "ds", layout="splits"))
    convert = load_spec(project.specs_dir / CONVERT)
    assert convert.get("kitti_config.image_dir_name") == "image_2"  # which split to convert is the user's call


def test_retrain_reads_the_tfrecords_train_reads(tmp_path):
    project = _new(tmp_path, make_kitti(tmp_path / "ds"))
    train = load_spec(project.specs_dir / TRAIN).get("dataset_config.data_sources.tfrecords_path")
    retrain = load_spec(project.specs_dir / RETRAIN).get("dataset_config.data_sources.tfrecords_path")
    assert retrain == train and "results/dataset_convert" in train
    assert "results/prune" in load_spec(project.specs_dir / RETRAIN).get("model_config.pretrained_model_file")


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_dataset_and_project_must_not_overlap(tmp_path, where):
    from tao_tui import cli

    ds = make_kitti(tmp_path / "ds")
    root = {"same": ds, "inside": ds / "project", "around": tmp_path}[where]
    if where == "around":
        root = tmp_path / "outer"
        ds = make_kitti(root / "data")
    assert cli.main(["new", "--network", "detectnet_v2", "--dir", str(root), "--dataset", str(ds), "--yes"]) == 1
    assert not (root / "project.yaml").exists()


def test_capitals_in_labels_warn_only_while_the_mapping_has_capitals(tmp_path):
    from tao_tui.preflight import preflight
    from tao_tui.project import Project

    project = _new(tmp_path, make_kitti(tmp_path / "ds", classes=("Forklift", "Person", "Pallet")))
    findings = preflight(Project.load(project.root))
    capital = [f for f in findings if "class names with capitals" in f.what]
    assert capital and all(f.level == "pass" for f in capital)
