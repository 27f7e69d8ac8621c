"""Conversational (NeMo) networks of TAO 3.22 / 4.0: a project starts with download_specs only; once
NVIDIA's files are in <project>/nvidia_specs every stage appears with its `tao` line, safe values are
found by NeMo key and everything else stays locked at the downloaded value."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tao_tui.catalog import load_catalog
from tao_tui.errors import LockedParamError, TaoTuiError, UserError
from tao_tui.project import Project
from tao_tui.specs import load_spec
from tao_tui.specs.downloaded import NVIDIA_SPECS_DIR, nemo_safe_params
from tao_tui.specs.netdef import load_network, project_network, template_networks
from tao_tui.workflow.commands import build_command
from tao_tui.workflow.create import create_project, set_params
from tao_tui.workflow.stages import Pipeline

FAKE_SPECS = Path(__file__).resolve().parents[1] / "engine" / "image" / "specs"
CONVERSATIONAL = sorted(n for n in template_networks() if load_network(n).specs == "download")
VERSIONS = ("3.22.05", "4.0.1")


def _download(root: Path, network: str) -> None:
    """What `tao <network> download_specs -o <project>/nvidia_specs` leaves (the fake image's files)."""
    shutil.copytree(FAKE_SPECS / network, root / NVIDIA_SPECS_DIR)


def test_every_conversational_network_of_the_catalog_has_a_network_yaml():
    names = {n.name for v in VERSIONS for n in load_catalog(v).networks if n.domain == "conversational"}
    assert len(names) == 11 and names == set(CONVERSATIONAL), sorted(names ^ set(CONVERSATIONAL))


@pytest.mark.parametrize("network", CONVERSATIONAL)
def test_before_download_only_download_specs(network, tmp_path):
    version = next(v for v in reversed(VERSIONS) if any(n.name == network for n in load_catalog(v).networks))
    project = create_project(tmp_path / "p", network, tao_version=version)
    pipe = Pipeline.for_project(project)
    assert [s.id for s in pipe.stages] == ["download_specs"]
    assert not any(project.specs_dir.glob("*"))
    cmd = build_command(pipe, "download_specs", have_key=False)
    assert cmd.display == (
        f"tao {network} download_specs -o /workspace/tao-experiments/nvidia_specs "
        "-r /workspace/tao-experiments/results/download_specs"
    )


@pytest.mark.parametrize("network", CONVERSATIONAL)
@pytest.mark.parametrize("version", VERSIONS)
def test_after_download_every_stage_has_its_tao_line(network, version, tmp_path):
    if not any(n.name == network for n in load_catalog(version).networks):
        pytest.skip(f"TAO {version} has no {network}")
    project = create_project(tmp_path / "p", network, tao_version=version)
    _download(project.root, network)
    pipe = Pipeline.for_project(project)
    net = load_network(network)
    assert [s.id for s in pipe.stages] == ["download_specs", *(s.id for s in net.downloaded_stages)]
    for name in pipe.net.spec_files:  # rendered from NVIDIA's downloaded files, losslessly
        assert (project.specs_dir / name).read_text() == (project.root / NVIDIA_SPECS_DIR / name).read_text()
    for stage in pipe.stages:
        cmd = build_command(pipe, stage.id, have_key=True)
        assert cmd.display.startswith(f"tao {network} {stage.task}"), cmd.display
        assert "{" not in cmd.display, cmd.display
        if cmd.pending:  # an input that is an earlier stage's glob output: shown, run once it exists
            with pytest.raises(UserError, match="cannot run yet"):
                cmd.argv("s3cret")
            continue
        argv = cmd.argv("s3cret")
        assert argv[:2] == [network, stage.task] and "$KEY" not in " ".join(argv)
        if stage.spec:
            assert f"-e /workspace/tao-experiments/specs/{stage.spec}" in cmd.display
    for stage in pipe.stages:  # every stage that reads a model gets the train stage's (chaining)
        if "-m" in build_command(pipe, stage.id, have_key=True).args:
            assert "{train.model}" in " ".join(a for g in stage.args for a in g.args)


def test_speech_to_text_chains_tlt_into_evaluate_and_exports_riva(tmp_path):
    project = create_project(tmp_path / "p", "speech_to_text", tao_version="3.22.05")
    _download(project.root, "speech_to_text")
    pipe = Pipeline.for_project(project)
    ev = build_command(pipe, "evaluate", have_key=True)
    assert ev.display == (
        "tao speech_to_text evaluate -e /workspace/tao-experiments/specs/evaluate.yaml -g 1 "
        "-k $KEY -m /workspace/tao-experiments/results/train/checkpoints/trained-model.tlt "
        "-r /workspace/tao-experiments/results/evaluate"
    )
    assert pipe.missing_inputs(pipe.stage("evaluate")) == [
        "train's model (/workspace/tao-experiments/results/train/checkpoints/trained-model.tlt)"
    ]
    ex = build_command(pipe, "export", have_key=True)
    assert "export_format=RIVA" in ex.args and "export_to=exported-model.riva" in ex.args
    assert pipe.output_pattern("export", "model").endswith("/results/export/exported-model.riva")
    with pytest.raises(UserError, match="encryption key"):  # TAO 3.x/4.x encrypts every model
        build_command(pipe, "train", have_key=False)


def test_citrinet_train_gets_the_tokenizer_folder(tmp_path):
    project = create_project(tmp_path / "p", "speech_to_text_citrinet", tao_version="4.0.1")
    _download(project.root, "speech_to_text_citrinet")
    pipe = Pipeline.for_project(project)
    assert pipe.stage("train").spec == "train_citrinet_bpe.yaml"  # the name NVIDIA's download has
    tok = project.results_dir("create_tokenizer") / "tokenizer_spe_unigram_v32"
    tok.mkdir(parents=True)
    (tok / "tokenizer.model").write_text("x")
    train = build_command(pipe, "train", have_key=True)
    assert (
        "model.tokenizer.dir=/workspace/tao-experiments/results/create_tokenizer/tokenizer_spe_unigram_v32"
        in train.args
    )


def test_safe_values_by_nemo_key_and_the_rest_locked(tmp_path):
    project = create_project(tmp_path / "p", "speech_to_text", tao_version="3.22.05")
    _download(project.root, "speech_to_text")
    net = project_network(project)
    kinds = {(p.spec, p.path): p.kind for p in net.safe_params}
    assert kinds[("train.yaml", "trainer.max_epochs")] == "epochs"
    assert kinds[("train.yaml", "training_ds.batch_size")] == "batch_size"
    assert kinds[("train.yaml", "training_ds.manifest_filepath")] == "path"
    assert kinds[("evaluate.yaml", "test_ds.manifest_filepath")] == "path"
    assert ("train.yaml", "model.decoder.num_classes") not in kinds  # a vocabulary size, not classes
    assert not any(p.path.startswith("optim") or "labels" in p.path for p in net.safe_params)
    project = set_params(
        project.root,
        {"trainer.max_epochs": 5, "training_ds.manifest_filepath": "/workspace/tao-experiments/data/t.json"},
    )
    train = load_spec(project.specs_dir / "train.yaml")
    assert train.get("trainer.max_epochs") == 5 and train.get("optim.lr") == 0.01
    assert load_spec(project.specs_dir / "finetune.yaml").get("trainer.max_epochs") == 5
    with pytest.raises(LockedParamError, match="optim.lr"):
        set_params(project.root, {"optim.lr": 0.5})
    with pytest.raises(TaoTuiError):  # a batch size must be a whole number >= 1
        set_params(project.root, {"training_ds.batch_size": 0})
    with pytest.raises(TaoTuiError, match="absolute"):
        set_params(project.root, {"training_ds.manifest_filepath": "train.json"})
    assert load_spec(project.specs_dir / "train.yaml").get("training_ds.batch_size") == 32  # unchanged


def test_text_classification_classes_and_tsv_paths(tmp_path):
    folder = FAKE_SPECS / "text_classification"
    params = {(p.spec, p.path): p for p in nemo_safe_params(folder, ["train.yaml", "evaluate.yaml"])}
    assert params[("train.yaml", "model.dataset.num_classes")].kind == "num_classes"
    assert params[("train.yaml", "model.dataset.num_classes")].default == 2
    assert params[("train.yaml", "training_ds.file_path")].type == "path"
    assert params[("evaluate.yaml", "test_ds.file_path")].type == "path"


def test_tts_interpolations_stay_locked():
    params = {p.path for p in nemo_safe_params(FAKE_SPECS / "spectro_gen", ["train.yaml"])}
    assert {"train_dataset", "validation_dataset", "model.train_ds.dataloader_params.batch_size"} <= params
    assert "model.train_ds.dataset.manifest_filepath" not in params  # ${train_dataset}


def test_set_before_download_says_what_to_do(tmp_path):
    with pytest.raises(UserError, match="download_specs") as err:
        create_project(
            tmp_path / "p", "speech_to_text", tao_version="3.22.05", sets=[("trainer.max_epochs", "5")]
        )
    assert err.value.fix and "tao-tui run download_specs" in err.value.fix
    assert not (tmp_path / "p" / "project.yaml").exists()


def test_a_stage_whose_spec_nvidia_did_not_ship_is_left_out(tmp_path):
    project = create_project(tmp_path / "p", "speech_to_text", tao_version="4.0.1")
    _download(project.root, "speech_to_text")
    (project.root / NVIDIA_SPECS_DIR / "infer.yaml").unlink()
    (project.root / NVIDIA_SPECS_DIR / "train.yaml").rename(
        project.root / NVIDIA_SPECS_DIR / "train_quartznet.yaml"
    )
    from tao_tui.specs.downloaded import missing_stage_specs

    pipe = Pipeline.for_project(project)
    ids = [s.id for s in pipe.stages]
    assert "infer" not in ids and pipe.stage("train").spec == "train_quartznet.yaml"  # <task>_*.yaml
    assert missing_stage_specs(load_network("speech_to_text"), project.root / NVIDIA_SPECS_DIR) == [
        "infer (infer.yaml)"
    ]


def test_project_reloads_with_the_downloaded_pipeline(tmp_path):
    project = create_project(tmp_path / "p", "n_gram", tao_version="4.0.1")
    _download(project.root, "n_gram")
    again = Project.load(project.root)
    pipe = Pipeline.for_project(again)
    dc = build_command(pipe, "dataset_convert", have_key=True)
    assert dc.display == (
        "tao n_gram dataset_convert source_data_dir=/workspace/tao-experiments/data "
        "'extension=*.txt' target_data_dir=/workspace/tao-experiments/results/dataset_convert/converted"
    )


def test_the_download_step_is_said_plainly(tmp_path):
    from tao_tui.specs.downloaded import download_note

    project = create_project(tmp_path / "p", "spectro_gen", tao_version="4.0.1")
    assert download_note(project).startswith("NVIDIA ships these specs inside the container")
    _download(project.root, "spectro_gen")
    assert download_note(project) == ""
    (project.root / NVIDIA_SPECS_DIR / "pitch_stats.yaml").unlink()
    assert (
        download_note(project)
        == "left out: NVIDIA's download_specs wrote no spec for pitch_stats (pitch_stats.yaml)"
    )
    vision = create_project(tmp_path / "v", "detectnet_v2")
    assert download_note(vision) == ""


@pytest.mark.parametrize("network", ["speech_to_text_conformer", "text_classification", "vocoder"])
def test_after_download_every_value_is_nvidias_or_editable(network, tmp_path):
    from tao_tui.workflow.create import project_paramset

    project = create_project(tmp_path / "p", network, tao_version="4.0.1")
    _download(project.root, network)
    Pipeline.for_project(project)  # renders specs/ from the download
    rows = project_paramset(project).describe()
    assert rows and {r.provenance for r in rows} <= {"nvidia", "editable"}
    assert any(r.provenance == "editable" and r.path == "trainer.max_epochs" for r in rows)


def test_preflight_names_the_placeholders_a_stage_still_has(tmp_path):
    from tao_tui.preflight import preflight_stage

    project = create_project(tmp_path / "p", "speech_to_text", tao_version="3.22.05")
    _download(project.root, "speech_to_text")
    Pipeline.for_project(project)
    fails = [f for f in preflight_stage(project, "train", key_set=True) if f.level == "fail"]
    assert [f.what.split(" is ")[0] for f in fails] == [
        "train.yaml: training_ds.manifest_filepath",
        "train.yaml: validation_ds.manifest_filepath",
    ]
    assert "tao-tui set --project" in fails[0].fix and "training_ds.manifest_filepath=" in fails[0].fix
    assert not [f for f in preflight_stage(project, "dataset_convert", key_set=True) if f.level == "fail"]
    data = "/workspace/tao-experiments/data"
    set_params(project.root, {"training_ds.manifest_filepath": f"{data}/a.json",
                              "validation_ds.manifest_filepath": f"{data}/b.json"})  # fmt: skip
    assert not [
        f for f in preflight_stage(Project.load(project.root), "train", key_set=True) if f.level == "fail"
    ]


def test_specs_downloaded_into_a_sub_folder_are_found(tmp_path):
    project = create_project(tmp_path / "p", "text_classification", tao_version="4.0.1")
    shutil.copytree(FAKE_SPECS / "text_classification", project.root / NVIDIA_SPECS_DIR / "nlp")
    pipe = Pipeline.for_project(project)
    assert pipe.stage("train").spec == "nlp/train.yaml"
    assert (project.specs_dir / "nlp" / "train.yaml").is_file()
    assert (
        "-e /workspace/tao-experiments/specs/nlp/train.yaml"
        in build_command(pipe, "train", have_key=True).display
    )


def test_spec_diff_compares_with_the_downloaded_file(tmp_path, capsys):
    from tao_tui.cli import main

    project = create_project(tmp_path / "p", "speech_to_text", tao_version="3.22.05")
    _download(project.root, "speech_to_text")
    set_params(project.root, {"trainer.max_epochs": 7})
    assert main(["spec", "diff", str(project.specs_dir / "train.yaml")]) == 1  # differs
    out = capsys.readouterr().out
    assert "-  max_epochs: 100" in out and "+  max_epochs: 7" in out and "nvidia_specs/train.yaml" in out


def test_set_before_the_download_says_to_run_it_first(tmp_path):
    project = create_project(tmp_path / "my proj", "vocoder", tao_version="4.0.1")
    with pytest.raises(UserError, match="not here yet") as err:
        set_params(project.root, {"trainer.max_epochs": 5})
    assert f"--project '{project.root}'" in err.value.fix


def test_a_later_stage_before_the_download_says_what_to_run(tmp_path):
    project = create_project(tmp_path / "p", "speech_to_text", tao_version="3.22.05")
    with pytest.raises(UserError, match="not here yet") as err:
        Pipeline.for_project(project).stage("train")
    assert "download_specs" in err.value.fix
    with pytest.raises(UserError, match="no stage 'prune'"):
        Pipeline.for_project(project).stage("prune")


def test_an_unlisted_spec_name_falls_back_to_the_task_name(tmp_path):
    project = create_project(tmp_path / "p", "speech_to_text_citrinet", tao_version="4.0.1")
    _download(project.root, "speech_to_text_citrinet")
    specs = project.root / NVIDIA_SPECS_DIR
    (specs / "train_citrinet_bpe.yaml").rename(specs / "train_citrinet_512.yaml")
    shutil.copy(specs / "train_citrinet_512.yaml", specs / "train_citrinet_1024.yaml")
    (specs / "infer.yaml").rename(specs / "infer_onnx.yaml")  # another sub-task's file: not infer's
    pipe = Pipeline.for_project(project)
    assert pipe.stage("train").spec == "train_citrinet_1024.yaml"  # first in name order
    assert "infer" not in [s.id for s in pipe.stages]
