"""A speech_to_text (TAO 3.22.05) project run through `tao-tui` against a real engine and the fake TAO
image: download_specs fills the project with NVIDIA's (fake) spec files, the rest of the pipeline
appears, a safe value is set, and train -> evaluate -> export run with the .tlt/.riva chained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tao_tui.cli import main
from tao_tui.project import Project

SECRET = "tao-tui-test-secret-key-nemo-4242"


@pytest.fixture
def test_env(monkeypatch, engine):
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")  # this engine has no NVIDIA runtime
    monkeypatch.setenv("KEY", SECRET)
    yield


def _asr_dataset(tmp_path: Path) -> Path:
    root = tmp_path / "an4"
    (root / "wav").mkdir(parents=True)
    for i in range(3):
        (root / "wav" / f"{i}.wav").write_bytes(b"RIFF\0\0\0\0WAVEfmt ")
    lines = [
        json.dumps(
            {
                "audio_filepath": f"/workspace/tao-experiments/data/wav/{i}.wav",
                "text": "yes no",
                "duration": 1.2,
            }
        )
        for i in range(3)
    ]
    (root / "train_manifest.json").write_text("\n".join(lines) + "\n")
    (root / "test_manifest.json").write_text(lines[0] + "\n")
    return root


def _runs(root: Path) -> dict[str, dict]:
    out = {}
    for d in (root / "runs").iterdir():
        if d.is_dir() and (d / "run.json").is_file():
            rec = json.loads((d / "run.json").read_text())
            out[rec["stage"]] = rec
    return out


def test_speech_to_text_download_specs_then_train_evaluate_export(tmp_path, tao_test_image, test_env, capsys):
    root = tmp_path / "asr"
    data = _asr_dataset(tmp_path)
    assert (
        main(
            [
                "new",
                "--network",
                "speech_to_text",
                "--tao-version",
                "3.22.05",
                "--dir",
                str(root),
                "--dataset",
                str(data),
                "--image",
                tao_test_image,
                "--yes",
            ]
        )
        == 0
    )
    capsys.readouterr()
    project = Project.load(root)
    project.container_network = False  # tests: containers get no network
    project.save()
    assert not any((root / "specs").glob("*.yaml"))  # nothing until download_specs ran

    assert main(["status", "--project", str(root), "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert [s["stage"] for s in before["stages"]] == ["download_specs"]

    assert main(["run", "download_specs", "--project", str(root), "--quiet"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert (root / "nvidia_specs/train.yaml").is_file()
    assert main(["status", "--project", str(root), "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    stages = [s["stage"] for s in after["stages"]]
    assert stages[:3] == ["download_specs", "dataset_convert", "train"] and "export" in stages
    lines = {s["stage"]: s["command"] for s in after["stages"]}
    assert lines["train"].startswith(
        "tao speech_to_text train -e /workspace/tao-experiments/specs/train.yaml"
    )
    assert "-k '$KEY'" in lines["train"] or "-k $KEY" in lines["train"]
    assert (root / "specs/train.yaml").is_file()  # rendered from NVIDIA's downloaded file

    # safe values by NeMo key; everything else locked at the downloaded value
    data_c = "/workspace/tao-experiments/data"
    assert (
        main(
            [
                "set",
                "--project",
                str(root),
                "trainer.max_epochs=5",
                f"training_ds.manifest_filepath={data_c}/train_manifest.json",
                f"validation_ds.manifest_filepath={data_c}/test_manifest.json",
                f"test_ds.manifest_filepath={data_c}/test_manifest.json",
            ]
        )
        == 0
    )
    assert main(["set", "--project", str(root), "optim.lr=0.5"]) == 1
    assert "locked" in capsys.readouterr().err
    train_spec = (root / "specs/train.yaml").read_text()
    assert "max_epochs: 5" in train_spec and "lr: 0.01" in train_spec

    for stage in ("train", "evaluate", "export"):
        code = main(["run", stage, "--project", str(root), "--quiet"])
        err = capsys.readouterr().err
        assert code == 0, f"{stage}: {err}"
    project = Project.load(root)
    assert all(project.stages[s].status == "done" for s in ("download_specs", "train", "evaluate", "export"))
    assert (root / "results/train/checkpoints/trained-model.tlt").stat().st_size > 0
    assert (root / "results/export/exported-model.riva").stat().st_size > 0
    runs = _runs(root)
    model = "-m /workspace/tao-experiments/results/train/checkpoints/trained-model.tlt"
    assert model in runs["evaluate"]["command"] and model in runs["export"]["command"]
    assert "export_to=exported-model.riva" in runs["export"]["command"]
    for rec in runs.values():  # the key is shown as $KEY, never stored
        assert SECRET not in json.dumps(rec)
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
