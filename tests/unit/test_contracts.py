"""The contract table: what NVIDIA's own backend source says each stage runs and writes, per TAO
version, checked against what tao-tui builds.

One row = one network x TAO version x stage: the exact argv the container entrypoint gets (after
``<network> <task>``; the key as KEY), the outputs tao-tui waits for, and the NVIDIA file that shows
it (repository[@ref]:path). Rows come from reference/backend-truth.md (every ✘ row and X8/X9/X10
fixed) and from re-reading the sources it names. A row that names ``made`` first puts those files
in the project (oldest first), so a glob output resolves to the newest one, as it does after a run.

Data only: to add a network or version, add rows; to change a fact, change its row and its source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from tao_tui.catalog import load_catalog
from tao_tui.errors import UserError
from tao_tui.progress import ProgressParser
from tao_tui.project import Project
from tao_tui.specs.netdef import load_network
from tao_tui.workflow.commands import build_command
from tao_tui.workflow.create import create_project
from tao_tui.workflow.stages import Pipeline

W = "/workspace/tao-experiments"
S = f"{W}/specs"
D = f"{W}/data"

TF1 = "NVIDIA/tao_tensorflow1_backend"
PYT50 = "NVIDIA/tao_pytorch_backend@v5.0.0"
PYT53 = "NVIDIA/tao_pytorch_backend@9c2d94c"
PYT55 = "NVIDIA/tao_pytorch_backend@tao_5.5_release"
PYT60 = "NVIDIA/tao_pytorch_backend@release/6.0.0"
PYTM = "NVIDIA/tao_pytorch_backend@main"
TF240 = "NVIDIA/tao_tensorflow2_backend@9d982ec"
TF250 = "NVIDIA/tao_tensorflow2_backend@b199b1c"
CORE = "NVIDIA/tao-core@main"
DEP = "NVIDIA/tao_deploy@main"


def R(stage: str) -> str:
    """The container results folder of a stage."""
    return f"{W}/results/{stage}"


@dataclass(frozen=True)
class Row:
    network: str
    version: str
    stage: str
    source: str
    argv: tuple[str, ...] | None = None  # None: not checked (the row is about outputs / pending)
    outputs: dict[str, str] = field(default_factory=dict)
    pending: tuple[str, ...] = ()  # "stage.output" still a glob: the command is shown, not run
    made: tuple[str, ...] = ()  # files (project-relative) made before building, oldest first
    gpus: int = 1
    key: bool = True  # whether $KEY is set
    contains: tuple[str, ...] = ()  # argv items that must be there (where the whole argv is long)
    absent: tuple[str, ...] = ()  # argv item prefixes that must not be there
    refused: str = ""  # building the command must fail with a UserError saying this

    @property
    def id(self) -> str:
        return f"{self.network}-{self.version}-{self.stage}" + (f"-gpus{self.gpus}" if self.gpus != 1 else "") + (
            "" if self.key else "-nokey"
        )


ROWS: list[Row] = [
    # ------------------------------------------------------------------ TF1 (5.0 code, every TAO >= 5.0)
    Row("detectnet_v2", "5.0.0", "train", f"{TF1}:nvidia_tao_tf1/cv/detectnet_v2/scripts/train.py:869",
        argv=("-e", f"{S}/detectnet_v2_train_resnet18_kitti.txt", "-r", R("train"), "-n", "model", "-k", "KEY",
              "--gpus", "2"), gpus=2, outputs={"model": f"{R('train')}/weights/model.hdf5"}),
    Row("detectnet_v2", "5.0.0", "dataset_convert",
        f"{TF1}:nvidia_tao_tf1/cv/detectnet_v2/dataio/dataset_converter_lib.py:170-176",
        contains=("-d", "-o", "-r", R("dataset_convert"))),
    Row("classification_tf1", "5.0.0", "inference", f"{TF1}:nvidia_tao_tf1/cv/makenet/scripts/inference.py:293-296",
        made=("results/retrain/weights/resnet_010.hdf5", "results/retrain/weights/resnet_080.hdf5",
              "results/retrain/classmap.json"),
        argv=("-e", f"{S}/tao_voc/classification_retrain_spec.cfg", "-m", f"{R('retrain')}/weights/resnet_080.hdf5",
              "-b", "32", "-d", f"{D}/split/test/person", "-cm", f"{R('retrain')}/classmap.json", "-k", "KEY",
              "-r", R("inference")),
        outputs={"result": f"{R('inference')}/result.csv"}),
    Row("classification_tf1", "5.0.0", "export", f"{TF1}:nvidia_tao_tf1/cv/makenet/scripts/train.py:160",
        pending=("retrain.model",)),
    Row("mask_rcnn", "5.0.0", "export", f"{TF1}:nvidia_tao_tf1/cv/mask_rcnn/scripts/export.py:26",
        made=("results/retrain/model.epoch-9.tlt", "results/retrain/model.epoch-10.tlt"),
        argv=("-m", f"{R('retrain')}/model.epoch-10.tlt", "-e", f"{S}/maskrcnn_retrain_resnet50.txt",
              "-o", f"{R('export')}/model.uff", "-k", "KEY"),
        outputs={"model": f"{R('export')}/model.uff"}),
    Row("mask_rcnn", "5.0.0", "evaluate", f"{TF1}:nvidia_tao_tf1/cv/mask_rcnn/scripts/evaluate.py:73-75",
        made=("results/train/model.epoch-1.tlt",),
        argv=("-e", f"{S}/maskrcnn_train_resnet50.txt", "-m", f"{R('train')}/model.epoch-1.tlt", "-k", "KEY",
              "-r", R("evaluate"))),
    Row("efficientdet_tf1", "5.0.0", "evaluate", f"{TF1}:nvidia_tao_tf1/cv/efficientdet/scripts/evaluate.py:145-147",
        made=("results/train/model.epoch-4.tlt",),
        argv=("-e", f"{S}/efficientdet_d0_train.txt", "-m", f"{R('train')}/model.epoch-4.tlt", "-k", "KEY",
              "-r", R("evaluate"))),
    Row("fpenet", "5.0.0", "dataset_convert", f"{TF1}:nvidia_tao_tf1/cv/fpenet/scripts/dataset_convert.py:75-81",
        argv=("-e", f"{S}/dataset_config.yaml", "-r", R("dataset_convert"))),
    Row("fpenet", "5.0.0", "evaluate", f"{TF1}:nvidia_tao_tf1/cv/fpenet/scripts/evaluate.py:115-121",
        argv=("-m", R("train"), "-k", "KEY", "-r", R("evaluate"))),
    Row("fpenet", "5.0.0", "inference", f"{TF1}:nvidia_tao_tf1/cv/fpenet/scripts/inference.py:64-79",
        argv=("-e", f"{S}/experiment_spec.yaml", "-i", f"{S}/inference_sample.json", "-m", f"{R('train')}/model.hdf5",
              "-o", R("inference"), "-k", "KEY")),
    Row("yolo_v4", "5.0.0", "train", f"{TF1}:nvidia_tao_tf1/cv/yolo_v4/models/yolov4_model.py:84-87,636",
        outputs={"model": f"{R('train')}/weights/yolov4_resnet18_epoch_*.hdf5"}, contains=("--gpus", "1")),
    # ------------------------------------------------------------------ TF2
    Row("classification_tf2", "4.0.1", "train", f"{TF240}:nvidia_tao_tf2/common/entrypoint/entrypoint.py",
        argv=("-e", f"{S}/tao_voc/spec.yaml", f"results_dir={R('train')}", "key=KEY", "--gpus", "1"),
        outputs={"model": f"{R('train')}/weights/efficientnet-b0_*.tlt"}),
    Row("classification_tf2", "4.0.1", "evaluate",
        f"{TF240}:nvidia_tao_tf2/cv/classification/config/default_config.py:126-193",
        made=("results/train/weights/efficientnet-b0_080.tlt",),
        contains=(f"evaluate.model_path={R('train')}/weights/efficientnet-b0_080.tlt", "key=KEY"),
        absent=("-r", "encryption_key=", "evaluate.checkpoint=")),
    Row("classification_tf2", "5.0.0", "train", f"{TF250}:nvidia_tao_tf2/cv/classification/config/default_config.py:225-237",
        argv=("-e", f"{S}/tao_voc/spec.yaml", f"results_dir={R('train')}", "encryption_key=KEY", "--gpus", "2"),
        gpus=2, outputs={"model": f"{R('train')}/train/efficientnet-b0_*.tlt"}),
    Row("efficientdet_tf2", "5.0.0", "train", f"{TF250}:nvidia_tao_tf2/cv/efficientdet/config/default_config.py:240-252",
        made=("results/dataset_convert/tfrecords/train-00000-of-00002.tfrecord",
              "results/dataset_convert_val/tfrecords/val-00000-of-00001.tfrecord"),
        contains=("--gpus", "2", f"dataset.train_tfrecords=[{R('dataset_convert')}/tfrecords/train-*]"),
        absent=("num_gpus=",), gpus=2),
    Row("efficientdet_tf2", "5.5.0", "train", "NVIDIA/tao_tensorflow2_backend@tao_5.5_release:"
        "nvidia_tao_tf2/cv/efficientdet/config/default_config.py:286",
        contains=("num_gpus=2",), absent=("--gpus",), gpus=2),
    Row("efficientdet_tf2", "4.0.1", "train", f"{TF240}:nvidia_tao_tf2/common/entrypoint/entrypoint.py",
        contains=("key=KEY",), absent=("-r", "encryption_key="), outputs={"model": f"{R('train')}/efficientdet-d0_*.tlt"}),
    # ------------------------------------------------------------------ PyTorch: X9 GPUs
    Row("dino", "6.26.3", "train", f"{PYTM}:nvidia_tao_pytorch/core/entrypoint.py",
        argv=("-e", f"{S}/train.yaml", f"results_dir={R('train')}", "encryption_key=KEY", "train.num_gpus=2",
              "train.gpu_ids=[0,1]"), gpus=2,
        outputs={"model": f"{R('train')}/train/dino_model_latest.pth",
                 "checkpoints": f"{R('train')}/train/model_epoch_*.pth"}),
    Row("dino", "6.26.3", "train", f"{PYTM}:nvidia_tao_pytorch/cv/dino/model/pl_dino_model.py:57",
        argv=("-e", f"{S}/train.yaml", f"results_dir={R('train')}", "encryption_key=KEY")),
    Row("dino", "5.5.0", "export", f"{PYT55}:nvidia_tao_pytorch/core/lightning/tao_lightning_module.py:68-76",
        argv=("-e", f"{S}/export.yaml", f"results_dir={R('export')}",
              f"export.onnx_file={R('export')}/export/dino_model.onnx",
              f"export.checkpoint={R('train')}/train/dino_model_latest.pth")),
    # ------------------------------------------------------------------ PyTorch 5.0-5.3: PL 1.8.5 names
    Row("dino", "5.0.0", "train", f"{PYT50}:nvidia_tao_pytorch/cv/dino/scripts/train.py:151-157",
        argv=("-e", f"{S}/train.yaml", f"results_dir={R('train')}", "encryption_key=KEY", "--gpus", "2"), gpus=2,
        outputs={"model": f"{R('train')}/train/dino_model_epoch=*.pth"}),
    Row("dino", "5.0.0", "evaluate", f"{PYT50}:nvidia_tao_pytorch/cv/dino/scripts/train.py:151-157",
        pending=("train.model",)),
    Row("dino", "5.0.0", "evaluate", f"{PYT50}:nvidia_tao_pytorch/cv/dino/scripts/train.py:151-157",
        made=("results/train/train/dino_model_epoch=010.pth", "results/train/train/dino_model_epoch=011.pth"),
        argv=("-e", f"{S}/evaluate.yaml", f"results_dir={R('evaluate')}", "encryption_key=KEY",
              f"evaluate.checkpoint={R('train')}/train/dino_model_epoch=011.pth")),
    Row("deformable_detr", "5.3.0", "train", f"{PYT50}:nvidia_tao_pytorch/cv/deformable_detr/scripts/train.py:142-148",
        outputs={"model": f"{R('train')}/train/dd_model_epoch=*.pth"}),
    Row("deformable_detr", "5.5.0", "train", f"{PYT55}:nvidia_tao_pytorch/cv/deformable_detr/model/pl_dd_model.py:54",
        outputs={"model": f"{R('train')}/train/dd_model_latest.pth",
                 "checkpoints": f"{R('train')}/train/model_epoch_*.pth"}),
    Row("centerpose", "5.2.0", "train", f"{PYT53}:nvidia_tao_pytorch/cv/centerpose/scripts/train.py:111-117",
        outputs={"model": f"{R('train')}/train/centerpose_model_epoch=*.pth"}),
    Row("action_recognition", "5.0.0", "train", f"{PYT50}:nvidia_tao_pytorch/cv/action_recognition/scripts/train.py:73-79",
        outputs={"model": f"{R('train')}/train/ar_model_epoch=*.tlt"}),
    Row("pose_classification", "5.0.0", "train", f"{PYT50}:nvidia_tao_pytorch/cv/pose_classification/scripts/train.py:90-96",
        outputs={"model": f"{R('train')}/train/pc_model_epoch=*.tlt"}),
    Row("re_identification", "5.3.0", "train", f"{PYT50}:nvidia_tao_pytorch/cv/re_identification/scripts/train.py:95-100",
        outputs={"model": f"{R('train')}/train/reid_model_epoch=*.tlt"}),
    # ------------------------------------------------------------------ X10: the key where train encrypts
    Row("action_recognition", "6.26.3", "export", f"{PYTM}:nvidia_tao_pytorch/cv/action_recognition/scripts/train.py:44",
        argv=("-e", f"{S}/export_rgb.yaml", f"results_dir={R('export')}", f"export.onnx_file={R('export')}/export/ar_model.onnx",
              "encryption_key=KEY", f"export.checkpoint={R('train')}/train/ar_model_latest.pth")),
    Row("action_recognition", "6.26.3", "export", f"{PYTM}:nvidia_tao_pytorch/core/connectors/checkpoint_connector.py:134-137",
        key=False, absent=("encryption_key",)),
    Row("pose_classification", "6.26.3", "inference", f"{PYTM}:nvidia_tao_pytorch/cv/pose_classification/scripts/train.py:54",
        made=("results/train/train/pc_model_latest.pth",), contains=("encryption_key=KEY",)),
    Row("pose_classification", "6.26.3", "export", f"{PYTM}:nvidia_tao_pytorch/cv/pose_classification/scripts/train.py:54",
        made=("results/train/train/pc_model_latest.pth",), contains=("encryption_key=KEY",)),
    Row("re_identification", "6.26.3", "evaluate", f"{PYTM}:nvidia_tao_pytorch/cv/re_identification/scripts/train.py:76",
        made=("results/train/train/reid_model_latest.pth",), contains=("encryption_key=KEY",)),
    Row("re_identification", "6.26.3", "inference", f"{PYTM}:nvidia_tao_pytorch/cv/re_identification/scripts/train.py:76",
        made=("results/train/train/reid_model_latest.pth",), contains=("encryption_key=KEY",)),
    Row("re_identification", "6.26.3", "export", f"{PYTM}:nvidia_tao_pytorch/cv/re_identification/scripts/train.py:76",
        made=("results/train/train/reid_model_latest.pth",), contains=("encryption_key=KEY",)),
    # ------------------------------------------------------------------ schema keys per version
    Row("ml_recog", "5.0.0", "train", f"{PYT50}:nvidia_tao_pytorch/cv/metric_learning_recognition/config/default_config.py:194-204",
        argv=("-e", f"{S}/train.yaml", f"results_dir={R('train')}", "--gpus", "1")),
    Row("ml_recog", "5.5.0", "train", f"{CORE}:nvidia_tao_core/config/ml_recog/default_config.py",
        argv=("-e", f"{S}/train.yaml", f"results_dir={R('train')}", "encryption_key=KEY")),
    Row("retail_object_recognition", "5.3.0", "evaluate",
        f"{PYT50}:nvidia_tao_pytorch/cv/metric_learning_recognition/config/default_config.py:194-204",
        made=("results/train/train/ml_model_epoch=009.pth",), absent=("encryption_key",)),
    Row("mal", "5.0.0", "evaluate", f"{PYT50}:nvidia_tao_pytorch/cv/mal/config/default_config.py",
        made=("results/train/epoch=9.pth",),
        argv=("-e", f"{S}/spec.yaml", f"results_dir={R('evaluate')}", f"checkpoint={R('train')}/epoch=9.pth")),
    Row("mal", "5.0.0", "train", f"{PYT50}:nvidia_tao_pytorch/cv/mal/scripts/train.py:32-97",
        outputs={"model": f"{R('train')}/*.pth"}),
    Row("mal", "5.5.0", "evaluate", f"{PYTM}:nvidia_tao_pytorch/cv/mal/models/mal.py:953",
        made=("results/train/train/mal_model.pth",),
        argv=("-e", f"{S}/spec.yaml", f"results_dir={R('evaluate')}", "encryption_key=KEY",
              f"evaluate.checkpoint={R('train')}/train/mal_model.pth",
              f"inference.checkpoint={R('train')}/train/mal_model.pth")),
    Row("pointpillars", "5.0.0", "train", f"{PYT50}:nvidia_tao_pytorch/pointcloud/pointpillars/scripts/train.py:44-49",
        argv=("-e", f"{S}/pointpillars.yaml", "-r", R("train"), "-k", "KEY", "--gpus", "1")),
    Row("pointpillars", "5.0.0", "train", f"{PYT50}:nvidia_tao_pytorch/pointcloud/pointpillars/scripts/train.py:44-49",
        key=False, refused="needs the encryption key"),
    Row("pointpillars", "5.0.0", "evaluate", f"{PYT50}:nvidia_tao_pytorch/pointcloud/pointpillars/entrypoint/pointpillars.py:95-103",
        made=("results/train/checkpoint_epoch_80.tlt",),
        argv=("-e", f"{S}/pointpillars.yaml", "-r", R("evaluate"), "-k", "KEY")),
    Row("pointpillars", "5.5.0", "train", f"{PYTM}:nvidia_tao_pytorch/pointcloud/pointpillars/scripts/dataset_convert.py:39-40",
        argv=("-e", f"{S}/pointpillars.yaml", f"results_dir={R('train')}", "key=KEY",
              f"dataset.data_info_path={R('dataset_convert')}/data_info")),
    Row("pointpillars", "5.5.0", "dataset_convert", f"{PYTM}:nvidia_tao_pytorch/pointcloud/pointpillars/scripts/dataset_convert.py:39-40",
        outputs={"data_info": f"{R('dataset_convert')}/data_info"}),
    Row("pointpillars", "6.26.3", "train", f"{PYT60}:nvidia_tao_pytorch/pointcloud/pointpillars/tools/train_utils/train_utils.py:141-143",
        outputs={"model": f"{R('train')}/checkpoint_epoch_*"}),
    Row("pointpillars", "5.5.0", "train", f"{PYT55}:nvidia_tao_pytorch/pointcloud/pointpillars/config/default_config.py:883",
        outputs={"model": f"{R('train')}/checkpoint_epoch_*.tlt"}),
    Row("bevfusion", "6.26.3", "convert", f"{PYT55}:nvidia_tao_pytorch/cv/bevfusion/config/default_config.py:34-70",
        argv=("-e", f"{S}/convert.yaml", f"results_dir={R('convert')}"),
        outputs={"train_infos": f"{R('convert')}/kitti_person_infos_train.pkl",
                 "val_infos": f"{R('convert')}/kitti_person_infos_val.pkl"}),
    Row("classification_pyt", "6.26.3", "evaluate",
        f"{PYT60}:nvidia_tao_pytorch/cv/classification_pyt/model/classifier_pl_model.py:61,153-162",
        argv=("-e", f"{S}/test_cats_dogs.yaml", f"results_dir={R('evaluate')}", "encryption_key=KEY",
              f"evaluate.checkpoint={R('train')}/train/classifier_model_latest.pth",
              f"inference.checkpoint={R('train')}/train/classifier_model_latest.pth")),
    Row("classification_pyt", "5.5.0", "evaluate", f"{PYT55}:nvidia_tao_pytorch/cv/classification/scripts/train.py",
        made=("results/train/train/epoch_5.pth", "results/train/train/epoch_40.pth"),
        contains=(f"evaluate.checkpoint={R('train')}/train/epoch_40.pth",)),
    Row("segformer", "6.26.3", "evaluate", f"{PYTM}:nvidia_tao_pytorch/cv/segformer/model/segformer_pl_model.py",
        argv=("-e", f"{S}/test_isbi.yaml", f"results_dir={R('evaluate')}", "encryption_key=KEY",
              f"evaluate.checkpoint={R('train')}/train/segformer_model_latest.pth",
              f"inference.checkpoint={R('train')}/train/segformer_model_latest.pth")),
    Row("segformer", "6.26.3", "train", f"{CORE}:nvidia_tao_core/config/segformer/default_config.py",
        argv=("-e", f"{S}/train_isbi.yaml", f"results_dir={R('train')}", "encryption_key=KEY", "train.num_gpus=4",
              "train.gpu_ids=[0,1,2,3]"), gpus=4),
]


def _project(tmp_path_factory, network: str, version: str, gpus: int) -> Project:
    root = tmp_path_factory.mktemp(f"{network}-{version}")
    return create_project(root / "p", network, tao_version=version, gpus=gpus)


def _make(project: Project, files: tuple[str, ...]) -> None:
    for i, rel in enumerate(files):
        path = project.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        stamp = 1_700_000_000 + 60 * i  # oldest first: the last one is the newest
        os.utime(path, (stamp, stamp))


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_contract_row(row: Row, tmp_path_factory):
    assert ":" in row.source and "/" in row.source, f"{row.id}: cite repository:path"
    project = _project(tmp_path_factory, row.network, row.version, row.gpus)
    _make(project, row.made)
    pipe = Pipeline.for_project(project)
    if row.refused:
        with pytest.raises(UserError, match=row.refused):
            build_command(pipe, row.stage, have_key=row.key)
        return
    cmd = build_command(pipe, row.stage, have_key=row.key)
    where = f"{row.id} ({row.source})"
    for name, pattern in row.outputs.items():
        assert pipe.output_pattern(row.stage, name) == pattern, where
    assert set(pipe.stage(row.stage).outputs) >= set(row.outputs), where
    if row.pending:
        assert cmd.pending == row.pending, where
        for p in row.pending:
            assert f"run {p.split('.')[0]} first" in cmd.display, where
        with pytest.raises(UserError, match="cannot run yet"):
            cmd.argv("KEY")
        return
    assert not cmd.pending, f"{where}: {cmd.pending_note}"
    argv = cmd.argv("KEY" if row.key else None)
    assert argv[:2] == [pipe.net.task_name, pipe.stage(row.stage).task], where
    args = tuple(argv[2:])
    if row.argv is not None:
        assert args == row.argv, where
    for item in row.contains:
        assert item in args, f"{where}: {item!r} missing from {args}"
    for prefix in row.absent:
        assert not [a for a in args if a.startswith(prefix)], f"{where}: {prefix!r} must not be in {args}"
    assert "KEY" not in cmd.display.replace("$KEY", ""), where  # the key is shown as $KEY only


def test_a_glob_output_waits_until_its_stage_is_done(tmp_path):
    """The newest checkpoint is passed on only once the stage that writes it is done (not while it runs)."""
    from tao_tui.project import StageResult

    project = create_project(tmp_path / "p", "dino", tao_version="5.0.0")
    _make(project, ("results/train/train/dino_model_epoch=000.pth",))
    project.stages["train"] = StageResult(status="running")
    pipe = Pipeline.for_project(project)
    cmd = build_command(pipe, "evaluate", have_key=True)
    assert cmd.pending == ("train.model",) and "run train first" in cmd.display
    project.stages["train"] = StageResult(status="done")
    cmd = build_command(Pipeline.for_project(project), "evaluate", have_key=True)
    assert f"evaluate.checkpoint={R('train')}/train/dino_model_epoch=000.pth" in cmd.argv("KEY")


@pytest.mark.parametrize(("network", "version", "expected"), [
    ("dino", "6.26.3", ["train.num_gpus=2", "train.gpu_ids=[0,1]"]),
    ("dino", "5.0.0", ["--gpus", "2"]),
    ("detectnet_v2", "5.0.0", ["--gpus", "2"]),
])
def test_gpu_index_gives_the_count_of_the_chosen_gpus(network, version, expected, tmp_path):
    """--gpu_index 2 3: the engine gives the container only GPUs 2 and 3 (device_ids), which it numbers 0
    and 1, so the entrypoint gets 2 GPUs numbered from 0 (PYTM core/entrypoint.py sets TAO_VISIBLE_DEVICES
    from gpu_ids; TF1 common/entrypoint/entrypoint.py --gpus)."""
    project = create_project(tmp_path / "p", network, tao_version=version)
    project.gpu_index = [2, 3]
    argv = build_command(Pipeline.for_project(project), "train", have_key=True).argv("KEY")
    i = argv.index(expected[0])
    assert argv[i:i + len(expected)] == expected


# ---------------------------------------------------------------------- sub-tasks per version
SUBTASKS = [
    # (network, version, task group, expected sub-tasks, source)
    ("mal", "6.26.3", "model", ("train", "evaluate", "inference"), f"{PYTM}:nvidia_tao_pytorch/cv/mal/scripts/"),
    ("mal", "5.0.0", "model", ("train", "evaluate", "inference"), f"{PYT50}:nvidia_tao_pytorch/cv/mal/scripts/"),
    ("bevfusion", "6.26.3", "model", ("convert", "train", "evaluate", "inference"),
     f"{PYT55}:nvidia_tao_pytorch/cv/bevfusion/scripts/"),
    ("classification_pyt", "5.5.1", "model", ("train", "evaluate", "inference", "export"),
     f"{PYT55}:nvidia_tao_pytorch/cv/classification/scripts/"),
    ("classification_pyt", "6.0.0", "model", ("train", "evaluate", "inference", "export", "distill"),
     f"{PYT60}:nvidia_tao_pytorch/cv/classification_pyt/scripts/"),
    ("classification_pyt", "6.26.3", "model", ("train", "evaluate", "inference", "export", "distill", "quantize"),
     f"{PYTM}:nvidia_tao_pytorch/cv/classification_pyt/scripts/"),
    ("dino", "5.0.0", "model", ("train", "evaluate", "inference", "export", "convert"),
     f"{PYT50}:nvidia_tao_pytorch/cv/dino/scripts/"),
    ("dino", "5.5.1", "model", ("train", "evaluate", "inference", "export", "convert", "distill"),
     f"{PYT55}:nvidia_tao_pytorch/cv/dino/scripts/distill.py"),
    ("mae", "6.26.3", "deploy", ("gen_trt_engine",), f"{DEP}:nvidia_tao_deploy/cv/mae/scripts/"),
]


@pytest.mark.parametrize(("network", "version", "group", "subtasks", "source"), SUBTASKS,
                         ids=[f"{n}-{v}-{g}" for n, v, g, *_ in SUBTASKS])
def test_catalog_subtasks(network, version, group, subtasks, source):
    assert ":" in source
    assert load_catalog(version).network(network, task_group=group).subtasks == subtasks, source


# ---------------------------------------------------------------------- verified: false where no source
VERIFIED = [
    # (network, version, checked against NVIDIA's source?, why)
    ("detectnet_v2", "4.0.1", False, "TF1 code is public for 5.0 only"),
    ("detectnet_v2", "5.0.0", True, f"{TF1}"),
    ("yolo_v4", "3.22.05", False, "TF1 code is public for 5.0 only"),
    ("emotionnet", "4.0.1", False, "not in any public repository"),
    ("gazenet", "3.22.05", False, "not in any public repository"),
    ("action_recognition", "4.0.1", False, "no public PyTorch 3.x/4.x source"),
    ("action_recognition", "5.0.0", True, PYT50),
    ("classification_tf2", "4.0.1", False, f"only {TF240}, an internal commit near 4.0.0"),
    ("classification_tf2", "5.0.0", True, TF250),
    ("dino", "6.26.3", True, PYTM),
]


@pytest.mark.parametrize(("network", "version", "verified", "why"), VERIFIED,
                         ids=[f"{n}-{v}" for n, v, *_ in VERIFIED])
def test_verified_per_version(network, version, verified, why):
    net = load_network(network, version=version)
    assert net.verified is verified, why
    entry = load_catalog(version).network(net.task_name)
    if net.task_name == network:
        assert entry.verified is verified, why
        assert entry.to_dict()["verified"] is verified


# ---------------------------------------------------------------------- X8: status.json epochs
def _status_lines(epochs: int, *, base: int) -> list[str]:
    """status.json lines as NVIDIA's loggers write them: base 1 = PyTorch 5.0-5.5 (counter incremented
    before the write; max_epoch = num_epochs), base 0 = 6.x (current_epoch; max_epoch = max_epochs - 1,
    with step)."""
    import json

    out = []
    for e in range(epochs):
        d = {"status": "RUNNING", "message": "Training loop in progress", "epoch": e + base,
             "max_epoch": epochs - 1 + base, "eta": "0:01:00", "graphical": {"loss": 1.0 / (e + 1)}}
        if base == 0:
            d["step"] = (e + 1) * 10
            d["max_step"] = epochs * 10
        out.append(json.dumps(d) + "\n")
    return out


@pytest.mark.parametrize(("network", "version", "base"), [("dino", "5.0.0", 1), ("dino", "5.5.0", 1),
                                                          ("dino", "6.26.3", 0), ("grounding_dino", "5.5.0", 1)])
def test_status_json_epochs_per_version(network, version, base, tmp_path_factory):
    """X8: PYT50 core/callbacks/loggers.py:113-116, PYT55 loggers.py:117,124 (1-based);
    PYT60 loggers.py:135-137 (0-based). A 3-epoch run reads 1/3 after its first epoch, 3/3 at the end."""
    pipe = Pipeline.for_project(_project(tmp_path_factory, network, version, 1))
    assert pipe.status_epoch_base() == base
    parser = ProgressParser(epoch_base=pipe.status_epoch_base())
    seen = []
    for line in _status_lines(3, base=base):
        seen += [(e.epoch, e.max_epoch) for e in parser.feed_status_line(line) if e.kind == "epoch"]
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_no_network_claims_a_check_before_tao_5():
    """No public NVIDIA source exists for TAO 3.x/4.x TF1 or PyTorch code (tao_tensorflow1_backend and
    tao_pytorch_backend start at 5.0; TF2 4.0 only as an internal commit near it), nor for emotionnet,
    gazenet, gesturenet, heartratenet at all: every such network x version says `verified: false`."""
    from tao_tui.catalog import known_versions, tao_version_tuple
    from tao_tui.specs.netdef import template_networks

    claimed = []
    for name in template_networks():
        base = load_network(name)
        if base.specs != "bundled" or base.cli == "contract":
            continue
        for version in known_versions():
            if tao_version_tuple(version) >= (5,):
                continue
            if any(n.name == base.task_name for n in load_catalog(version).networks):
                if load_network(name, version=version).verified:
                    claimed.append(f"{name} {version}")
    assert not claimed, claimed
