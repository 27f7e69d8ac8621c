"""A whole detectnet_v2 project run through `tao-tui` against a real engine and the fake TAO image.

No mocks: `tao-tui new/run/status/logs/stop` as a user runs them, containers on the real engine,
outputs written by the container into the project, chained into the next stage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.runtime.runner import LABEL_PROJECT, LABEL_RUN

SECRET = "tao-tui-test-secret-key-31337"
STAGES = [
    "dataset_convert",
    "train",
    "evaluate",
    "prune",
    "retrain",
    "evaluate_retrained",
    "inference",
    "export",
]


@pytest.fixture
def dataset(tmp_path) -> Path:
    root = tmp_path / "kitti"
    for sub in ("training/image_2", "training/label_2", "testing/image_2"):
        (root / sub).mkdir(parents=True)
    (root / "training/image_2/000000.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\4\xe0\0\0\1\x80" + b"\0" * 8)
    (root / "training/label_2/000000.txt").write_text(  # every class of NVIDIA's detectnet_v2 spec
        "".join(f"{c} 0.00 0 0.00 10 10 50 50 0 0 0 0 0 0 0\n" for c in ("car", "pedestrian", "cyclist"))
    )
    (root / "testing/image_2/000001.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\4\xe0\0\0\1\x80" + b"\0" * 8)
    return root


def _project(tmp_path: Path, dataset: Path, image: str, *, delay: str = "0", version: str = "5.0.0") -> Path:
    root = tmp_path / "proj"
    code = main(
        [
            "new",
            "--network",
            "detectnet_v2",
            "--dir",
            str(root),
            "--dataset",
            str(dataset),
            "--tao-version",
            version,
            "--image",
            image,
            "--set",
            "training_config.num_epochs=2",
            "--yes",
        ]
    )
    assert code == 0
    pretrained = root / "detectnet_v2/pretrained_resnet18/pretrained_detectnet_v2_vresnet18/resnet18.hdf5"
    pretrained.parent.mkdir(parents=True)
    pretrained.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)  # what the NGC download holds
    project = Project.load(root)
    project.container_network = False  # tests: containers get no network
    project.env = {"FAKE_TAO_LINE_DELAY": delay}
    project.save()
    return root


@pytest.fixture
def test_env(monkeypatch, engine):
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")  # this engine has no NVIDIA runtime
    monkeypatch.setenv("KEY", SECRET)
    yield


def _tao_tui(*args: str, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tao_tui.cli", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def _label_containers(engine, project: Project):
    for info in engine.find({LABEL_PROJECT: project.id}):
        engine.client.containers.get(info.id)  # exists
        yield info


def test_whole_detectnet_v2_pipeline_chains_every_stage(
    tmp_path, dataset, tao_test_image, engine, test_env, capsys
):
    root = _project(tmp_path, dataset, tao_test_image)
    for stage in STAGES:
        code = main(["run", stage, "--project", str(root), "--quiet"])
        err = capsys.readouterr().err
        assert code == 0, f"{stage}: {err}"
        assert f"{stage}: done" in err
    project = Project.load(root)
    assert all(project.stages[s].status == "done" for s in STAGES)
    # every stage ran with the previous stage's real outputs
    assert (root / "results/dataset_convert/tfrecords").is_dir()
    assert project.stages["train"].outputs["model"].endswith("/results/train/weights/model.hdf5")
    assert (root / "results/prune/model_pruned.hdf5").stat().st_size > 0
    assert (root / "results/export/model.onnx").stat().st_size > 0
    retrain_spec = (root / "specs/detectnet_v2_retrain_resnet18_kitti.txt").read_text()
    assert (
        'pretrained_model_file: "/workspace/tao-experiments/results/prune/model_pruned.hdf5"' in retrain_spec
    )
    assert "load_graph: true" in retrain_spec
    runs = {
        json.loads((d / "run.json").read_text())["stage"]: json.loads((d / "run.json").read_text())
        for d in (root / "runs").iterdir()
        if d.is_dir()  # runs/ also holds the stage locks (.stage-<id>.lock)
    }
    assert "-m /workspace/tao-experiments/results/train/weights/model.hdf5" in runs["evaluate"]["command"]
    assert "-m /workspace/tao-experiments/results/train/weights/model.hdf5" in runs["prune"]["command"]
    assert (
        "-m /workspace/tao-experiments/results/retrain/weights/model_pruned.hdf5" in runs["export"]["command"]
    )
    # the events of the train run were parsed from the log
    events = [json.loads(x) for x in (root / "runs" / project.stages["train"].run_id / "events.jsonl").open()]
    assert any(e["kind"] == "epoch" for e in events)
    # status --json reports every stage done
    assert main(["status", "--project", str(root), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [s["status"] for s in status["stages"]] == ["done"] * len(STAGES)
    train = next(s for s in status["stages"] if s["stage"] == "train")
    assert "epoch" in train["progress"] and "loss" in train["progress"]  # folded from events.jsonl


def test_a_stage_without_its_inputs_refuses_to_start(tmp_path, dataset, tao_test_image, test_env, capsys):
    root = _project(tmp_path, dataset, tao_test_image)
    assert main(["run", "evaluate", "--project", str(root)]) == 1
    err = capsys.readouterr().err
    assert "train's model" in err and "fix:" in err


def test_failed_container_marks_the_stage_failed(tmp_path, dataset, tao_test_image, test_env, capsys):
    root = _project(tmp_path, dataset, tao_test_image)
    project = Project.load(root)
    project.env["FAKE_TAO_EXIT"] = "3"
    project.save()
    assert main(["run", "dataset_convert", "--project", str(root), "--quiet"]) == 3
    st = Project.load(root).stages["dataset_convert"]
    assert st.status == "failed" and st.exit_code == 3 and "code 3" in st.message


def test_a_failure_says_what_went_wrong_and_how_to_fix_it(tmp_path, dataset, tao_test_image, test_env,
                                                           capsys):
    root = _project(tmp_path, dataset, tao_test_image)
    assert main(["run", "dataset_convert", "--project", str(root), "--quiet"]) == 0
    project = Project.load(root)
    project.env.update({"FAKE_TAO_EXIT": "1", "FAKE_TAO_FAIL_LINE": "Ran out of GPU memory, please lower the batch "
                        "size, use a smaller input resolution, or use a smaller backbone."})
    project.save()
    assert main(["run", "train", "--project", str(root), "--quiet"]) == 1
    st = Project.load(root).stages["train"]
    assert st.status == "failed" and st.exit_code == 1
    assert "GPU memory" in st.message and "fix:" in st.message and "batch" in st.message.split("fix:")[1]
    assert "GPU memory" in capsys.readouterr().err
    events = [json.loads(x) for x in (root / "runs" / st.run_id / "events.jsonl").open()]
    assert any(e["kind"] == "error" for e in events)


def test_rerun_resumes_or_starts_fresh(tmp_path, dataset, tao_test_image, test_env, capsys):
    root = _project(tmp_path, dataset, tao_test_image)
    assert main(["run", "dataset_convert", "--project", str(root), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "dataset_convert", "--project", str(root), "--quiet"]) == 0
    assert "TAO resumes from its last checkpoint; pass --fresh" in capsys.readouterr().err
    assert main(["run", "dataset_convert", "--project", str(root), "--quiet", "--fresh"]) == 0
    assert "--fresh" not in capsys.readouterr().err
    moved = [p.name for p in (root / "results").iterdir() if p.name.startswith("dataset_convert.before-")]
    assert len(moved) == 1 and (root / "results" / moved[0] / "tfrecords").is_dir()
    assert Project.load(root).stages["dataset_convert"].status == "done"


def test_run_survives_three_sigkills_and_the_log_is_the_containers_own(
    tmp_path, dataset, tao_test_image, engine, test_env
):
    root = _project(tmp_path, dataset, tao_test_image, delay="0.15")
    assert main(["run", "dataset_convert", "--project", str(root), "--quiet"]) == 0
    for attempt in range(3):
        proc = _tao_tui("run", "train", "--project", str(root), "--quiet")
        time.sleep(1.5 + 0.3 * attempt)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGKILL)  # the SSH drop: no cleanup, no goodbye
        proc.wait()
    project = Project.load(root)
    run_id = project.stages["train"].run_id
    running = [i for i in engine.find({LABEL_PROJECT: project.id, LABEL_RUN: run_id})]
    assert running and running[0].status == "running", "the container must outlive its follower"
    assert running[0].name == f"tao-tui-{run_id}-{project.id[:6]}", "docker ps says whose container it is"
    assert engine.wait(running[0].id, timeout=120) == 0
    # the engine's own log, read before tao-tui removes the finished container
    container = engine.client.containers.get(running[0].id)
    theirs = container.logs(stdout=True, stderr=True, timestamps=True).decode().splitlines()
    final = _tao_tui("run", "train", "--project", str(root), "--quiet")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    assert "re-attaching" in err
    assert not engine.find({LABEL_RUN: run_id}), "a finished container is removed once recorded"
    ours = (root / "runs" / run_id / "log").read_text().splitlines()
    assert len(theirs) > 40
    assert ours == theirs  # line for line: none lost, none doubled
    assert Project.load(root).stages["train"].status == "done"


def test_the_key_is_nowhere_on_disk_or_screen(tmp_path, dataset, tao_test_image, test_env, capsys):
    root = _project(tmp_path, dataset, tao_test_image, version="4.0.1")  # TAO 4: -k on every stage
    project = Project.load(root)
    project.env["FAKE_TAO_MODEL_EXT"] = "tlt"  # TAO 4 writes encrypted .tlt models
    project.save()
    for stage in ("dataset_convert", "train"):
        assert main(["run", stage, "--project", str(root)]) == 0
    shown = capsys.readouterr()
    assert main(["status", "--project", str(root)]) == 0
    assert main(["logs", "train", "--project", str(root)]) == 0
    shown2 = capsys.readouterr()
    assert "-k $KEY" in shown.err  # the command is shown with the placeholder
    for text in (shown.out, shown.err, shown2.out, shown2.err):
        assert SECRET not in text
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_stop_and_detach(tmp_path, dataset, tao_test_image, engine, test_env, capsys):
    root = _project(tmp_path, dataset, tao_test_image, delay="0.2")
    assert main(["run", "dataset_convert", "--project", str(root), "--detach"]) == 0
    assert "logs -f" in capsys.readouterr().err
    assert Project.load(root).stages["dataset_convert"].status == "running"
    assert main(["stop", "dataset_convert", "--project", str(root), "--timeout", "5"]) == 0
    assert "stopped" in capsys.readouterr().out
    st = Project.load(root).stages["dataset_convert"]
    assert st.status == "stopped"
    assert (root / "runs" / st.run_id / "log").read_text().strip()  # what it printed is kept


def test_missing_image_is_explained_and_nothing_is_pulled(tmp_path, dataset, engine, test_env, capsys):
    root = _project(tmp_path, dataset, "tao-tui-test/not-there:1.0")
    assert main(["run", "dataset_convert", "--project", str(root)]) == 2
    err = capsys.readouterr().err
    assert "tao-tui-test/not-there:1.0" in err and "fix:" in err
    assert not engine.find({LABEL_PROJECT: Project.load(root).id})


def runs_stage(run_dir: Path) -> str:
    return json.loads((run_dir / "run.json").read_text())["stage"]


def test_pytorch_dino_pipeline_passes_outputs_as_overrides(tmp_path, tao_test_image, engine, test_env, capsys):
    root = tmp_path / "dino"
    (tmp_path / "coco").mkdir()
    assert main(["new", "--network", "dino", "--dir", str(root), "--image", tao_test_image,
                 "--dataset", str(tmp_path / "coco"), "--gpus", "2", "--yes"]) == 0
    assert main(["run", "train", "--project", str(root)]) == 1  # NVIDIA's /data/raw-data paths are not mounted
    assert "dataset.train_data_sources[0].image_dir = /data/raw-data/train2017/" in capsys.readouterr().err
    data = "/workspace/tao-experiments/data"
    assert main(["set", "--project", str(root),
                 f"dataset.train_data_sources[0].image_dir={data}/train2017/",
                 f"dataset.train_data_sources[0].json_file={data}/annotations/train.json",
                 f"dataset.val_data_sources[0].image_dir={data}/val2017/",
                 f"dataset.val_data_sources[0].json_file={data}/annotations/val.json",
                 f"dataset.test_data_sources.image_dir={data}/val2017/",
                 f"dataset.test_data_sources.json_file={data}/annotations/val.json",
                 f"dataset.infer_data_sources.image_dir[0]={data}/val2017/",
                 f"dataset.infer_data_sources.classmap={data}/annotations/classmap.txt"]) == 0
    coco = tmp_path / "coco"  # a minimal COCO layout, so pre-flight passes
    for sub in ("train2017", "val2017", "annotations"):
        (coco / sub).mkdir(exist_ok=True)
    (coco / "train2017/000000.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 32)
    (coco / "val2017/000000.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 32)
    ann = {"images": [{"id": 1, "file_name": "000000.jpg", "width": 64, "height": 64}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10], "area": 100,
                            "iscrowd": 0}],
           "categories": [{"id": 1, "name": "car"}]}
    for name in ("train.json", "val.json"):
        (coco / "annotations" / name).write_text(json.dumps(ann))
    (coco / "annotations/classmap.txt").write_text("car\n")
    pre = root / "dino/pretrained_dino_nvimagenet_vfan_small_hybrid_nvimagenet/fan_small_hybrid_nvimagenet.pth"
    pre.parent.mkdir(parents=True)
    pre.write_bytes(b"PK\x03\x04" + b"\0" * 64)  # a torch zip checkpoint, as NGC ships it
    project = Project.load(root)
    project.container_network = False
    project.save()
    for stage in ("train", "evaluate", "inference", "export"):
        # this test is about the chaining; the COCO dataset checks have their own tests
        code = main(["run", stage, "--project", str(root), "--quiet", "--skip-checks"])
        err = capsys.readouterr().err
        assert code == 0, f"{stage}: {err}"
    project = Project.load(root)
    assert [project.stages[s].status for s in ("train", "evaluate", "inference", "export")] == ["done"] * 4
    runs = {json.loads((d / "run.json").read_text())["stage"]: json.loads((d / "run.json").read_text())
            for d in (root / "runs").iterdir() if d.is_dir()}
    latest = "/workspace/tao-experiments/results/train/train/dino_model_latest.pth"
    assert f"evaluate.checkpoint={latest}" in runs["evaluate"]["command"]
    assert f"export.checkpoint={latest}" in runs["export"]["command"]
    assert runs["train"]["command"].startswith("tao model dino train -e /workspace/tao-experiments/specs/train.yaml")
    # --gpus 2 reaches PyTorch's entrypoint as train.num_gpus/gpu_ids (core/entrypoint.py launch), not only Docker
    assert "train.num_gpus=2 'train.gpu_ids=[0,1]'" in runs["train"]["command"]
    train_log = next(d / "log" for d in (root / "runs").iterdir() if d.is_dir() and runs_stage(d) == "train")
    assert "fake-tao: train on 2 GPU(s)" in train_log.read_text()
    # the chaining is carried by the overrides: no key was added to NVIDIA's evaluate.yaml
    assert "dino_model_latest" not in (root / "specs/evaluate.yaml").read_text()
    assert (root / "results/export/export/dino_model.onnx").stat().st_size > 0
