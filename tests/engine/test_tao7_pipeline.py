"""A TAO 7.1.0 dino project on the real engine with the fake TAO image: train -> evaluate -> export.

TAO 7 has no launcher: each stage's container runs NVIDIA's contract command (``dino train -e
<spec>``) and nothing else, so results_dir and the earlier stage's checkpoint reach it through the
spec file; fake-tao (tests/engine/image) reads them from there, refuses a checkpoint that is not on
disk (as TAO does), writes status.json in ``<results_dir>/<action>/`` and the action's outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tao_tui.cli import main
from tao_tui.project import Project

SECRET = "tao7-never-shown-key"
DATA = "/workspace/tao-experiments/data"
SPECS = "/workspace/tao-experiments/specs"


@pytest.fixture
def test_env(monkeypatch, engine):
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")  # this engine has no NVIDIA runtime
    monkeypatch.setenv("KEY", SECRET)  # set, and still never passed: TAO 7 takes no key
    yield


def _coco(folder: Path) -> Path:
    for sub in ("train2017", "val2017", "annotations"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("train2017", "val2017"):
        (folder / sub / "000000.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 32)
    ann = {"images": [{"id": 1, "file_name": "000000.jpg", "width": 64, "height": 64}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10], "area": 100,
                            "iscrowd": 0}],
           "categories": [{"id": 1, "name": "car"}]}
    for name in ("train.json", "val.json"):
        (folder / "annotations" / name).write_text(json.dumps(ann))
    return folder


def _runs(root: Path) -> dict[str, Path]:
    out = {}
    for d in sorted((root / "runs").iterdir()):
        if d.is_dir() and (d / "run.json").is_file():
            out[json.loads((d / "run.json").read_text())["stage"]] = d
    return out


def test_tao7_dino_train_evaluate_export(tmp_path, tao_test_image, engine, test_env, capsys):
    root = tmp_path / "dino7"
    coco = _coco(tmp_path / "coco")
    assert main(["new", "--network", "dino", "--tao-version", "7.1.0", "--dir", str(root), "--image",
                 tao_test_image, "--dataset", str(coco), "--set", "train.num_epochs=2", "--yes"]) == 0
    assert main(["set", "--project", str(root),
                 f"dataset.train_data_sources[0].image_dir={DATA}/train2017",
                 f"dataset.train_data_sources[0].json_file={DATA}/annotations/train.json",
                 f"dataset.val_data_sources[0].image_dir={DATA}/val2017",
                 f"dataset.val_data_sources[0].json_file={DATA}/annotations/val.json",
                 f"dataset.test_data_sources.image_dir={DATA}/val2017",
                 f"dataset.test_data_sources.json_file={DATA}/annotations/val.json"]) == 0
    project = Project.load(root)
    project.container_network = False
    project.env["FAKE_TAO_EPOCHS"] = "2"
    project.save()
    capsys.readouterr()

    # evaluate before train: its checkpoint is not there yet, nothing starts
    assert main(["run", "evaluate", "--project", str(root), "--quiet", "--skip-checks"]) != 0
    assert "train" in capsys.readouterr().err
    assert not engine.find({"tao-tui.project": project.id})

    for stage in ("train", "evaluate", "export"):
        # the dataset checks have their own tests; this one is about the TAO 7 command and chaining
        code = main(["run", stage, "--project", str(root), "--quiet", "--skip-checks"])
        err = capsys.readouterr().err
        assert code == 0, f"{stage}: {err}"
    project = Project.load(root)
    assert [project.stages[s].status for s in ("train", "evaluate", "export")] == ["done"] * 3

    runs = _runs(root)
    for stage in ("train", "evaluate", "export"):
        command = json.loads((runs[stage] / "run.json").read_text())["command"]
        assert command.startswith("docker run --rm ")
        assert command.endswith(f"{tao_test_image} dino {stage} -e {SPECS}/{stage}.yaml")  # the contract's
        log = (runs[stage] / "log").read_text()
        assert f"fake-tao: dino {stage} (spec {SPECS}/{stage}.yaml, results " in log
        assert "key none" in log  # no key reaches a TAO 7 container

    # chained: the checkpoint train wrote is the one evaluate and export read from their specs
    ckpts = sorted((root / "results/train/train").glob("*.pth"))
    assert ckpts
    evaluate = yaml.safe_load((root / "specs/evaluate.yaml").read_text())
    ckpt = evaluate["evaluate"]["checkpoint"]
    assert ckpt.startswith("/workspace/tao-experiments/results/train/train/") and "*" not in ckpt
    assert f"evaluate reads checkpoint {ckpt}" in (runs["evaluate"] / "log").read_text()
    # outputs found: export's ONNX where the contract's export.onnx_file points
    assert (root / "results/export/dino.onnx").stat().st_size > 0
    assert project.stages["export"].outputs["onnx"] == "/workspace/tao-experiments/results/export/dino.onnx"
    # progress read from <results_dir>/train/status.json in 7.x PyTorch's shape (0-based epoch,
    # max_epoch = epochs - 1, step: NVIDIA/tao_pytorch_backend nvidia_tao_pytorch/core/callbacks/loggers.py)
    status = (root / "results/train/train/status.json").read_text().splitlines()
    assert '"epoch": 0, "step": 10, "max_epoch": 1, "max_step": 20' in status[1]
    events = [json.loads(line) for line in (runs["train"] / "events.jsonl").read_text().splitlines()]
    epochs = [e for e in events if e["kind"] == "epoch"]
    assert [(e["epoch"], e["max_epoch"]) for e in epochs] == [(1, 2), (2, 2)]
    assert main(["status", "--project", str(root)]) == 0
    assert "epoch 2/2" in capsys.readouterr().out
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
