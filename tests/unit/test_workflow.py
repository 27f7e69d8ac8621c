"""Workflow: the `tao` line per TAO version, the container argv, and stage output chaining."""

from __future__ import annotations

from pathlib import Path

import pytest

from tao_tui.errors import UserError
from tao_tui.project import CONTAINER_ROOT, Project, StageResult, atomic_write
from tao_tui.workflow.commands import build_command
from tao_tui.workflow.stages import Pipeline, version_tuple

R = CONTAINER_ROOT


def _project(tmp_path: Path, version: str) -> Project:
    return Project(root=tmp_path, id="p1", network="detectnet_v2", tao_version=version, image="img")


def test_version_tuple():
    assert version_tuple("5.0.0") == (5, 0, 0)
    assert version_tuple("v3.22.05") == (3, 22, 5)
    assert version_tuple("6.26.3") > version_tuple("5.5.1")


def test_detectnet_v2_stage_order(tmp_path):
    pipe = Pipeline.for_project(_project(tmp_path, "5.0.0"))
    assert [s.id for s in pipe.stages] == [
        "dataset_convert", "train", "evaluate", "prune", "retrain", "evaluate_retrained", "inference", "export",
    ]


def test_tao5_lines_show_model_group_and_key_placeholder(tmp_path):
    pipe = Pipeline.for_project(_project(tmp_path, "5.0.0"))
    train = build_command(pipe, "train", have_key=True)
    assert train.display == (
        f"tao model detectnet_v2 train -e {R}/specs/detectnet_v2_train_resnet18_kitti.txt "
        f"-r {R}/results/train -n model -k $KEY --gpus 1"
    )
    argv = train.argv("s3cret")
    assert argv[:2] == ["detectnet_v2", "train"]
    assert argv[argv.index("-k") + 1] == "s3cret"
    assert "s3cret" not in train.display
    conv = build_command(pipe, "dataset_convert", have_key=False)
    assert conv.display.endswith(f"-r {R}/results/dataset_convert")  # -r only from TAO 5
    ev = build_command(pipe, "evaluate", have_key=True)
    assert f"-m {R}/results/train/weights/model.hdf5" in ev.display


def test_tao3_lines_are_flat_and_use_tlt_models(tmp_path):
    pipe = Pipeline.for_project(_project(tmp_path, "3.22.05"))
    prune = build_command(pipe, "prune", have_key=True)
    assert prune.display.startswith("tao detectnet_v2 prune -m ")
    assert f"-o {R}/results/prune/model_pruned.tlt" in prune.display
    assert "--results_dir" not in prune.display
    export = build_command(pipe, "export", have_key=True)
    assert export.display.endswith("-o /workspace/tao-experiments/results/export/model.etlt -k $KEY")
    conv = build_command(pipe, "dataset_convert", have_key=False)
    assert " -r " not in conv.display


def test_key_is_required_before_tao5_and_dropped_after(tmp_path):
    with pytest.raises(UserError) as err:
        build_command(Pipeline.for_project(_project(tmp_path, "4.0.1")), "train", have_key=False)
    assert "KEY" in str(err.value) and "fix:" in str(err.value)
    cmd = build_command(Pipeline.for_project(_project(tmp_path, "5.0.0")), "train", have_key=False)
    assert "-k" not in cmd.args and "$KEY" not in cmd.display


def test_chaining_inputs_and_outputs(tmp_path):
    project = _project(tmp_path, "5.0.0")
    pipe = Pipeline.for_project(project)
    assert pipe.missing_inputs(pipe.stage("evaluate")) == [
        f"train's model ({R}/results/train/weights/model.hdf5)"
    ]
    assert ("prune", "model") in pipe.inputs_of(pipe.stage("retrain"))  # through the retrain spec's feed
    weights = tmp_path / "results/train/weights"
    weights.mkdir(parents=True)
    (weights / "model.hdf5").write_bytes(b"")
    assert not pipe.output_exists("train", "model")  # empty files don't count
    (weights / "model.hdf5").write_bytes(b"\x89HDF\r\n\x1a\n")
    assert pipe.missing_inputs(pipe.stage("evaluate")) == []
    feeds = {(s, p): v for s, p, v in pipe.feed_values()}
    assert feeds[("detectnet_v2_train_resnet18_kitti.txt", "dataset_config.data_sources.tfrecords_path")] == (
        f"{R}/results/dataset_convert/tfrecords/*"
    )
    assert feeds[("detectnet_v2_retrain_resnet18_kitti.txt", "model_config.pretrained_model_file")] == (
        f"{R}/results/prune/model_pruned.hdf5"
    )


def test_dataset_convert_output_glob(tmp_path):
    pipe = Pipeline.for_project(_project(tmp_path, "5.0.0"))
    stage = pipe.stage("dataset_convert")
    assert pipe.missing_outputs(stage)
    shards = tmp_path / "results/dataset_convert/tfrecords"
    shards.mkdir(parents=True)
    (shards / "kitti_trainval-fold-000-of-002-shard-00000-of-00010").write_bytes(b"x")
    assert pipe.missing_outputs(stage) == []


def test_project_roundtrip_and_paths(tmp_path):
    ds = tmp_path / "data"
    ds.mkdir()
    project = Project(root=tmp_path / "proj", id="abc", network="detectnet_v2", tao_version="5.0.0",
                      dataset=str(ds))
    project.root.mkdir()
    project.stages["train"] = StageResult(status="done", run_id="train-20261128-000000-abcd", exit_code=0)
    project.save()
    back = Project.load(project.root)
    assert back.stages["train"].status == "done" and back.dataset == str(ds)
    assert back.to_container(project.root / "results/train") == f"{R}/results/train"
    assert back.to_container(ds / "training/image_2") == f"{R}/data/training/image_2"
    assert back.to_host(f"{R}/data/x.txt") == ds.resolve() / "x.txt"
    with pytest.raises(UserError):
        back.to_host("/elsewhere/file")


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "b.yaml"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["b.yaml"]


def test_missing_project_is_a_clear_error(tmp_path):
    with pytest.raises(UserError) as err:
        Project.load(tmp_path)
    assert "tao-tui new" in str(err.value)


def test_tail_lines_reads_the_end_of_a_run_log(tmp_path):
    from tao_tui.runtime.tail import strip_ts, tail_lines

    log = tmp_path / "log"
    log.write_text("".join(f"2026-11-28T02:12:{i % 60:02d}.000000001Z line {i}\n" for i in range(50_000)))
    assert tail_lines(log, 3, block=4096) == ["line 49997", "line 49998", "line 49999"]
    assert tail_lines(log, 50_000, block=1 << 20)[0] == "line 0"
    assert tail_lines(tmp_path / "missing") == []
    assert strip_ts("2026-11-28T02:12:15.832199016Z Epoch 0/80\n") == "Epoch 0/80"
