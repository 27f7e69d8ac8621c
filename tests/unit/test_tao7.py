"""TAO 7.1.0 from NVIDIA's model contracts: generator, catalog, projects, commands, safe parameters, GPUs."""

from __future__ import annotations

import importlib.util
import json
import math
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tao_tui import catalog as cat
from tao_tui.errors import UserError, ValidationError
from tao_tui.project import Project
from tao_tui.specs.netdef import load_network
from tao_tui.specs.params import coerce
from tao_tui.workflow.commands import build_command
from tao_tui.workflow.create import create_project, set_param
from tao_tui.workflow.stages import Pipeline
from tao_tui.workflow.tao7 import command_words, docker_run_line

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared" / "reference" / "tao7"
VERSION = "7.1.0"
RELEASE = cat.contract_release(VERSION)
RUNNABLE = sorted(r["network"] for r in RELEASE["skills"] if r["runs"])
GPU_LEAVES = {"num_gpus", "gpu_ids", "num_nodes", "gpu_id"}
needs_source = pytest.mark.skipif(
    not (SOURCE / "skills" / "models").is_dir(), reason=f"NVIDIA's contracts are not at {SOURCE}"
)


@pytest.fixture
def run_cli(capsys):
    """`tao-tui <args>` through cli.main; returns (exit code, stdout, stderr)."""
    from tao_tui import cli

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _gen():
    spec = importlib.util.spec_from_file_location("gen_tao7", REPO / "scripts" / "gen_tao7.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------- generator


@needs_source
def test_regenerating_gives_what_is_committed():
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_tao7.py"), "--source", str(SOURCE), "--check"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_source
def test_a_generated_file_changed_by_hand_is_found(tmp_path):
    gen = _gen()
    files = gen.build(SOURCE)
    for path, body in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(body)
    target = tmp_path / "specs_templates" / "dino" / "tao7" / "train.yaml"
    target.write_text(target.read_text() + "# edited\n")
    assert gen.main(["--source", str(SOURCE), "--out", str(tmp_path), "--check"]) == 1


# --------------------------------------------------------------------------- catalog


@needs_source
def test_catalog_lists_every_model_skill_with_actions_and_image(run_cli):
    code, out, _ = run_cli("catalog", "--version", VERSION, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["tao_version"] == VERSION and doc["launcher_version"] is None
    listed = {n["skill"]: n for n in doc["networks"]}
    skills = sorted(p.name for p in (SOURCE / "skills" / "models").iterdir() if (p / "references").is_dir())
    assert sorted(listed) == skills
    images = set(yaml.safe_load((SOURCE / "versions.yaml").read_text())["images"]["tao_toolkit"].values())
    for skill in skills:
        info = yaml.safe_load((SOURCE / "skills/models" / skill / "references/skill_info.yaml").read_text())
        row = listed[skill]
        assert set(info.get("actions") or {}) <= set(row["actions"]), skill
        for action, body in (info.get("actions") or {}).items():
            assert row["actions"][action]["command"] == body["command"]
        if info.get("container_image"):
            assert row["image"] == info["container_image"].split("#")[0].strip()
            assert row["image"] in images or row["image"].startswith("nvcr.io/"), row["image"]
        else:
            assert row["runs"] is False and "container" in row["why_not"]


def test_tao7_is_known_but_never_the_default_version():
    assert VERSION in cat.known_versions() and VERSION not in cat.launcher_versions()
    assert cat.load_catalog().version != VERSION
    assert cat.is_contract_version("7.1") and not cat.is_contract_version("6.26.3")
    dino = cat.load_catalog("6.26.3").network("dino")
    assert VERSION in dino.versions  # the catalog shows which TAO versions run each network


def test_deploy_actions_run_in_the_deploy_image():
    dino = cat.load_catalog(VERSION).network("dino")
    assert dino.contract["actions"]["trt_evaluate"]["image"] == RELEASE["images"]["tao_toolkit.deploy"]
    net = load_network("dino", version=VERSION)
    assert net.stage("gen_trt_engine").image == RELEASE["images"]["tao_toolkit.deploy"]
    assert net.stage("train").image is None


# --------------------------------------------------------------------------- every network


def _contract_command(row: dict, stage_id: str) -> str:
    return row["actions"][stage_id]["command"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """network -> a 7.1.0 project of it with NVIDIA's values (made once per module)."""
    cache: dict[str, Project] = {}

    def get(network: str) -> Project:
        if network not in cache:
            cache[network] = create_project(tmp_path_factory.mktemp(network) / "p", network, tao_version=VERSION)
        return cache[network]

    return get


@pytest.mark.parametrize("network", RUNNABLE)
def test_every_network_builds_and_runs_the_contract_command(network, made):
    project = made(network)
    assert project.image == cat.contract_skill(network, VERSION)["image"]
    pipe = Pipeline.for_project(project)
    assert pipe.net.cli == "contract" and pipe.net.tao_versions.since == "7.0"
    row = cat.contract_skill(network, VERSION)
    for stage in pipe.stages:
        cmd = build_command(pipe, stage.id, have_key=False)
        spec = f"/workspace/tao-experiments/specs/{stage.spec}"
        expected = _contract_command(row, stage.id)
        assert cmd.argv(None) == command_words(expected, spec)
        assert cmd.argv("secret") == cmd.argv(None)  # TAO 7 takes no key
        assert spec in " ".join(cmd.argv(None)) or "{config_path}" not in expected
        line = cmd.display
        assert line.startswith("docker run ") and "secret" not in line
        assert shlex.split(line.replace('"$(id -u):$(id -g)"', "u"))[-len(cmd.argv(None)):] == cmd.argv(None)
        assert (stage.image or project.image) in line
        doc = yaml.safe_load((project.specs_dir / stage.spec).read_text())
        own = [f.path for f in stage.feeds if f.spec == stage.spec and f.value == "{results}"]
        for path in own:  # results_dir (or the contract's output_dir key) points where the results go
            assert _get(doc, path) == f"/workspace/tao-experiments/results/{stage.id}"
        assert own or "results_dir" not in doc, f"{network} {stage.id}: results_dir not set"


def _leaves(props: dict, prefix: str = ""):
    for key, value in (props or {}).items():
        if not isinstance(value, dict):
            continue
        if value.get("properties"):
            yield from _leaves(value["properties"], f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _get(doc, path):
    node = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


@needs_source
@pytest.mark.parametrize("network", RUNNABLE)
def test_safe_parameters_include_every_popular_train_field_with_its_bounds(network):
    row = cat.contract_skill(network, VERSION)
    net = load_network(network, version=VERSION)
    schema_path = SOURCE / "skills/models" / row["skill"] / "schemas/train.schema.json"
    if not schema_path.is_file():
        pytest.skip(f"NVIDIA publishes no train schema for {row['skill']}")
    schema = json.loads(schema_path.read_text())
    train = net.stage("train")
    template = yaml.safe_load((net.folder / train.spec).read_text())
    fed = {(f.spec, f.path) for st in net.stages for f in st.feeds}
    params = {p.path: p for p in net.safe_params if p.spec == train.spec}
    gpu = {row.get("gpu_spec_key")}
    checked = 0
    for path, leaf in _leaves(schema["properties"]):
        if not leaf.get("popular") or path in gpu or path.rsplit(".", 1)[-1] in GPU_LEAVES:
            continue
        if leaf.get("type") == "list" or (train.spec, path) in fed:
            continue  # lists (crop scales) stay at NVIDIA's value; fed paths come from earlier stages
        try:
            value = _get(template, path)
        except KeyError:
            continue  # not in NVIDIA's train template: nothing to change
        if isinstance(value, (dict, list)) or (leaf.get("enum") and value not in leaf["enum"]):
            continue
        assert path in params, f"{network}: popular {path} is not a safe parameter"
        p = params[path]
        assert p.default == value
        lo, hi = leaf.get("minimum"), leaf.get("maximum")
        assert p.min == (lo if isinstance(lo, (int, float)) and math.isfinite(lo) else None), path
        assert p.max == (hi if isinstance(hi, (int, float)) and math.isfinite(hi) else None), path
        if leaf.get("enum"):
            assert list(p.choices) == leaf["enum"]
        checked += 1
    kinds = {p.kind for p in net.safe_params}
    assert "path" in kinds, network
    assert checked or not any(v.get("popular") for _, v in _leaves(schema["properties"])) or network


@pytest.mark.parametrize("network", RUNNABLE)
def test_everything_not_safe_is_locked_at_the_template_value(network, made):
    project = made(network)
    net = load_network(network, version=VERSION)
    safe = {(p.spec, p.path) for p in net.safe_params}
    fed = {(f.spec, f.path) for st in net.stages for f in st.feeds}
    key = net.gpu_spec_key
    for spec in net.spec_files:
        nvidia = yaml.safe_load((net.folder / spec).read_text())
        ours = yaml.safe_load((project.specs_dir / spec).read_text())
        for path, _leaf in _flat(nvidia):
            if (spec, path) in safe or (spec, path) in fed or (key and path.startswith(key.rsplit(".", 1)[0])):
                continue
            assert _get_flat(ours, path) == _get_flat(nvidia, path), f"{network} {spec}:{path} changed"


def _flat(doc, prefix=""):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _flat(v, f"{prefix}{k}.")
    else:
        yield prefix[:-1], doc


def _get_flat(doc, path):
    return _get(doc, path)


# --------------------------------------------------------------------------- dino in detail


@pytest.fixture
def dino(tmp_path):
    return create_project(tmp_path / "dino7", "dino", tao_version=VERSION, gpus=2)


def test_dino_chains_outputs_into_the_specs(dino):
    pipe = Pipeline.for_project(dino)
    assert [s.id for s in pipe.stages][:3] == ["train", "distill", "evaluate"]
    assert pipe.inputs_of(pipe.stage("evaluate")) == [("train", "model")]
    assert pipe.inputs_of(pipe.stage("gen_trt_engine")) == [("export", "onnx")]
    assert pipe.inputs_of(pipe.stage("trt_inference")) == [("gen_trt_engine", "engine")]
    ev = yaml.safe_load((dino.specs_dir / "evaluate.yaml").read_text())
    assert ev["evaluate"]["checkpoint"] == "/workspace/tao-experiments/results/train/train/*.pth"
    ex = yaml.safe_load((dino.specs_dir / "export.yaml").read_text())
    assert ex["export"]["onnx_file"] == "/workspace/tao-experiments/results/export/dino.onnx"
    # once train wrote its checkpoints the newest one is written into the next specs
    out = dino.root / "results" / "train" / "train"
    out.mkdir(parents=True)
    (out / "model_epoch_000.pth").write_bytes(b"PK")
    set_param(dino.root, "dataset.batch_size", 2)
    ev = yaml.safe_load((dino.specs_dir / "evaluate.yaml").read_text())
    assert ev["evaluate"]["checkpoint"] == "/workspace/tao-experiments/results/train/train/model_epoch_000.pth"


def test_gpus_go_to_the_contracts_gpu_spec_key(dino):
    train = yaml.safe_load((dino.specs_dir / "train.yaml").read_text())
    assert train["train"]["num_gpus"] == 2 and train["train"]["gpu_ids"] == [0, 1]
    assert "--gpus 2" in build_command(Pipeline.for_project(dino), "train", have_key=False).display


def test_popular_values_are_checked_against_the_schema(dino):
    net = load_network("dino", version=VERSION)
    epochs = net.param("train.yaml:train.num_epochs")
    assert epochs.kind == "epochs" and epochs.min == 1 and epochs.default == 10
    with pytest.raises(ValidationError, match="num_epochs"):
        coerce(epochs, 0)
    set_param(dino.root, "train.num_epochs", 3)
    assert yaml.safe_load((dino.specs_dir / "train.yaml").read_text())["train"]["num_epochs"] == 3


def test_categorical_popular_values_take_only_nvidias_choices(tmp_path):
    net = load_network("grounding_dino", version=VERSION)
    backbone = net.param("train.yaml:model.backbone")
    assert backbone.kind == "popular" and backbone.default in backbone.choices
    other = next(c for c in backbone.choices if c != backbone.default)
    assert coerce(backbone, other) == other
    with pytest.raises(ValidationError, match="must be one of"):
        coerce(backbone, "resnet_9000")


def test_docker_line_quotes_paths_and_shows_tokens_as_variables(tmp_path):
    root = tmp_path / "my proj; rm -rf ~"
    project = create_project(root, "cosmos_embed", tao_version=VERSION)
    cmd = build_command(Pipeline.for_project(project), "train", have_key=True)
    assert '-e HF_TOKEN="$HF_TOKEN"' in cmd.display
    assert shlex.quote(f"{root}:/workspace/tao-experiments") in cmd.display
    assert cmd.argv("k")[:2] == ["bash", "-lc"]  # NVIDIA's command, no shell of ours around it


def test_shell_commands_run_under_sh_with_the_spec_quoted():
    argv = command_words("python - {config_path} <<'PY'\nprint(1)\nPY\n", "/w/specs/a b.toml")
    assert argv[:2] == ["sh", "-c"] and "'/w/specs/a b.toml'" in argv[2]
    assert command_words("dino train -e {config_path}", "/w/s.yaml") == ["dino", "train", "-e", "/w/s.yaml"]


def test_docker_run_line_names_chosen_gpus(tmp_path):
    project = Project(root=tmp_path, id="x", network="dino", tao_version=VERSION, image="img:1", gpu_index=[0, 2],
                      user="1000:1000")
    project.env["WANDB_MODE"] = "offline; echo hi"
    project.container_network = False
    line = docker_run_line(project, "img:1", ["dino", "train", "-e", "/s.yaml"])
    assert "--gpus '\"device=0,2\"'" in line and "--user 1000:1000" in line
    assert "-e 'WANDB_MODE=offline; echo hi'" in line and "--network none" in line
    assert shlex.split(line)[-5:] == ["img:1", "dino", "train", "-e", "/s.yaml"]


def test_a_network_only_tao7_has_explains_the_version(tmp_path):
    with pytest.raises(UserError, match="7.0"):
        load_network("dinov3", version="6.26.3")
    project = create_project(tmp_path / "d3", "dinov3")
    assert project.tao_version == VERSION


def test_networks_tao_tui_cannot_run_say_why(tmp_path):
    rows = {r["network"]: r for r in RELEASE["skills"]}
    assert "uv" in rows["nv_tesseract_forecasting"]["why_not"]
    assert "toml" in rows["cosmos_rl"]["why_not"]
    with pytest.raises(UserError):
        create_project(tmp_path / "x", "cosmos_rl", tao_version=VERSION)


def test_tao7_status_json_shape_reads_as_epochs_done():
    """TAO 7 PyTorch's TAOStatusLogger (NVIDIA/tao_pytorch_backend nvidia_tao_pytorch/core/callbacks/
    loggers.py): 0-based ``epoch``, ``max_epoch`` = max_epochs - 1, ``step``/``max_step``."""
    from tao_tui.progress import ProgressParser

    lines = [
        '{"date": "8/3/2026", "time": "10:0:0", "status": "STARTED", "verbosity": "INFO", '
        '"message": "Starting Training Loop."}',
    ] + [
        json.dumps({"date": "8/3/2026", "time": "10:0:1", "status": "RUNNING", "verbosity": "INFO",
                    "message": "Training loop in progress", "epoch": e, "step": (e + 1) * 50, "max_epoch": 2,
                    "max_step": 150, "time_per_epoch": "0:01:00", "time_per_step": "0:00:01.2", "eta": "0:02:00"})
        for e in range(3)
    ]
    parser = ProgressParser()
    events = [ev for line in lines for ev in parser.feed_status_line(line + "\n")]
    epochs = [(e.epoch, e.max_epoch, e.step) for e in events if e.kind == "epoch"]
    assert epochs == [(1, 3, 50), (2, 3, 100), (3, 3, 150)]


def test_preflight_says_a_contract_token_is_not_passed_in(tmp_path):
    from tao_tui.preflight import preflight_stage

    project = create_project(tmp_path / "ce", "cosmos_embed", tao_version=VERSION)
    found = [f for f in preflight_stage(project, "train") if "HF_TOKEN" in f.what]
    assert found and found[0].level == "warn" and "docker run" in found[0].fix
    dino = create_project(tmp_path / "d", "dino", tao_version=VERSION)
    assert not [f for f in preflight_stage(dino, "train") if "TOKEN" in f.what]


def test_retrain_and_variants_read_the_right_model():
    ocr = load_network("ocrnet", version=VERSION)
    pipe_inputs = {st.id: [(f.spec, f.path, f.value) for f in st.feeds if f.spec != st.spec] for st in ocr.stages}
    assert ("retrain.yaml", "model.pruned_graph_path", "{results}/ocrnet.pth") in pipe_inputs["prune"]
    assert ocr.stage("retrain").outputs["model"] == "{results}/train/*.pth"  # `ocrnet train` writes train/
    assert ("evaluate.yaml", "evaluate.checkpoint", "{results}/train/*.pth") in pipe_inputs["retrain"]
    vc = load_network("visual_changenet", version=VERSION)
    feeds = {(st.id, f.spec) for st in vc.stages for f in st.feeds}
    assert ("segment_train", "segment_evaluate.yaml") in feeds and ("train", "evaluate.yaml") in feeds
    assert ("segment_train", "evaluate.yaml") not in feeds
