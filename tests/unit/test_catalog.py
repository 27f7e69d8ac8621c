"""The catalog: launcher config.json data + networks.yaml -> networks, images, sub-tasks, commands."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tao_tui import catalog as cat
from tao_tui import cli
from tao_tui.errors import UserError
from tao_tui.resources import data_dir

REPO = Path(__file__).resolve().parents[2]
LAUNCHER_DIR = data_dir() / "launcher"
DETECTNET_SUBTASKS = [
    "dataset_convert",
    "train",
    "evaluate",
    "inference",
    "prune",
    "calibration_tensorfile",
    "export",
]
CONVERSATIONAL = [
    "speech_to_text", "speech_to_text_citrinet", "speech_to_text_conformer", "text_classification",
    "question_answering", "token_classification", "intent_slot_classification",
    "punctuation_and_capitalization", "spectro_gen", "vocoder", "n_gram",
]  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_cache():
    cat.clear_cache()
    yield
    cat.clear_cache()


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """`tao-tui <args>` through cli.main; returns (exit code, stdout, stderr)."""
    # Only the catalog command is wired: the other command modules are written concurrently and
    # cli.build_parser imports every module listed in COMMANDS.
    monkeypatch.setattr(cli, "COMMANDS", {"catalog": cli.COMMANDS["catalog"]})

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def read_config(name: str) -> dict:
    return json.loads((LAUNCHER_DIR / name).read_text(encoding="utf-8"))


def listed_tasks(config: dict) -> dict[tuple[str | None, str], set[str]]:
    """(task_group, task) -> every full image ref the config lists it under; read straight from JSON."""
    groups = config["task_group"].items() if "task_group" in config else [(None, config)]
    out: dict[tuple[str | None, str], set[str]] = {}
    for group, body in groups:
        for repo, tags in body["dockers"].items():
            for tag, info in tags.items():
                for task in info["tasks"]:
                    out.setdefault((group, task), set()).add(f"{info['docker_registry']}/{repo}:{tag}")
    return out


# --------------------------------------------------------------------------- CLI --json


@pytest.mark.parametrize(
    ("config_file", "version_arg"),
    [
        ("6.26.3.json", "6.26.3"),
        ("0.1.24.json", "3.22.05"),
        ("0.1.24.json", "0.1.24"),
        ("4.0.1.json", "4.0.1"),
    ],
)
def test_json_lists_every_network_of_the_launcher_config(run_cli, config_file, version_arg):
    config = read_config(config_file)
    code, out, err = run_cli("catalog", "--json", "--version", version_arg)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tao_version"] == config["toolkit_version"]
    got = {(n["task_group"], n["name"]): n for n in doc["networks"]}
    expected = listed_tasks(config)
    if "task_group" not in config:  # 4.0.x: TAO Deploy images come from config_deploy.json
        deploy_file = LAUNCHER_DIR / config_file.replace(".json", "-deploy.json")
        if deploy_file.is_file():
            for (_, task), images in listed_tasks(read_config(deploy_file.name)).items():
                expected[("deploy", task)] = images
    assert set(got) == set(expected)
    assert len(doc["networks"]) == len(expected)
    catalog = cat.load_catalog(version_arg)
    for key, net in got.items():
        assert net["image"] in expected[key], key
        assert net["domain"] in {"vision", "conversational", "data", "deploy"}
        assert net["specs"] in {"bundled", "download", "none"}
        assert net["framework"] and net["description"]
        assert config["toolkit_version"] in net["versions"]
        if not catalog.network(net["name"], net["task_group"] or "model").runs_directly:
            assert net["subtasks"], f"{key} has no sub-tasks"


def test_detectnet_v2_subtasks_in_every_version():
    for version in cat.launcher_versions():  # TAO 7 has no detectnet_v2 (its contracts: tests/unit/test_tao7.py)
        net = cat.load_catalog(version).network("detectnet_v2")
        assert list(net.subtasks) == DETECTNET_SUBTASKS, version
        assert net.domain == "vision" and net.framework == "tf1"


def test_conversational_networks_download_their_specs(run_cli):
    code, out, _ = run_cli("catalog", "--json", "--version", "3.22.05")
    assert code == 0
    nets = {n["name"]: n for n in json.loads(out)["networks"]}
    for name in CONVERSATIONAL:
        net = nets[name]
        assert net["domain"] == "conversational"
        assert net["specs"] == "download"
        assert net["subtasks"][0] == "download_specs"
        assert {"train", "export"} <= set(net["subtasks"])
        assert net["versions"][-1] == "4.0.1"  # removed at 5.0
    assert nets["n_gram"]["framework"] == "lm"
    assert cat.load_catalog("4.0.0").network("n_gram").framework == "pyt"


def test_every_bundled_task_has_notes_and_versions_match_the_configs():
    unknown = cat._notes()["defaults"]["unknown_description"].strip()
    present: dict[tuple[str, str], set[str]] = {}
    for path in LAUNCHER_DIR.glob("*.json"):
        config = json.loads(path.read_text(encoding="utf-8"))
        if path.stem.endswith("-deploy"):
            if "task_group" in read_config(path.name.replace("-deploy", "")):
                continue
            keys = {("deploy", t) for (_, t) in listed_tasks(config)}
        else:
            keys = {(g or "model", t) for (g, t) in listed_tasks(config)}
        for key in keys:
            present.setdefault(key, set()).add(config["toolkit_version"])
    for version in cat.launcher_versions():
        for net in cat.load_catalog(version).networks:
            assert net.description != unknown, f"{net.name} lacks notes in networks.yaml"
            launcher = {v for v in net.versions if not cat.is_contract_version(v)}  # + TAO 7 where it runs
            assert launcher == present[(net.task_group or "model", net.name)], net.name


def test_frameworks_and_images_follow_the_image_tags():
    net = cat.load_catalog("5.0.0").network("detectnet_v2")
    assert net.image == "nvcr.io/nvidia/tao/tao-toolkit:5.0.0-tf1.15.5"
    assert net.task_group == "model"
    seg = cat.load_catalog("5.2.0").network("segformer")
    assert (seg.framework, seg.image.rsplit(":", 1)[1]) == ("pyt", "5.2.0-pyt1.14.0")
    aug = cat.load_catalog("6.26.3").network("augmentation")
    assert (aug.framework, aug.domain, aug.task_group) == ("data-services", "data", "dataset")
    dep = cat.load_catalog("6.26.3").network("dino", "deploy")
    assert (dep.framework, dep.domain, dep.subtasks) == (
        "deploy",
        "deploy",
        ("gen_trt_engine", "evaluate", "inference"),
    )
    # 4.0.1 lists unet under two TF1 images; the launcher runs it in the last one
    assert cat.load_catalog("4.0.1").network("unet").image.endswith(":4.0.1-tf1.15.5")
    # unet gained dataset_convert in 5.0
    assert "dataset_convert" not in cat.load_catalog("4.0.1").network("unet").subtasks
    assert "dataset_convert" in cat.load_catalog("5.0.0").network("unet").subtasks


def test_text_output_is_grouped_by_image(run_cli):
    code, out, _ = run_cli("catalog", "--version", "3.22.05")
    assert code == 0
    lines = out.splitlines()
    catalog = cat.load_catalog("3.22.05")
    for image, nets in catalog.images().items():
        header = lines.index(f"  {image}")
        assert lines.count(f"  {image}") == 1
        names = [
            ln.split(". ", 1)[1].split()[0]
            for ln in lines[header + 1 :]
            if ln.startswith("    ") and ". " in ln[:10]
        ]
        assert names[: len(nets)] == [n.name for n in nets]
    assert any("speech_to_text  [pyt, specs: download]" in ln for ln in lines)


def test_network_filter_shows_command_and_versions(run_cli):
    code, out, _ = run_cli("catalog", "--network", "detectnet_v2", "--version", "5.0.0")
    assert code == 0
    assert "command: tao model detectnet_v2 <sub-task> ..." in out
    assert "command: tao deploy detectnet_v2 <sub-task> ..." in out
    assert "sub-tasks: " + ", ".join(DETECTNET_SUBTASKS) in out


# --------------------------------------------------------------------------- versions and commands


def test_default_is_the_newest_version_and_launcher_versions_are_accepted():
    newest = max(
        (read_config(p.name)["toolkit_version"] for p in LAUNCHER_DIR.glob("*.json")),
        key=cat.tao_version_tuple,
    )
    assert cat.load_catalog().version == newest
    assert cat.load_catalog() is cat.load_catalog()  # parsed once
    assert cat.load_catalog("5.5.1").version == "5.5.0"  # launcher 5.5.1 ships toolkit 5.5.0
    assert cat.load_catalog("5.5").version == "5.5.0"
    assert cat.load_catalog("3.22.5").launcher_version == "0.1.24"
    assert cat.load_catalog("0.1.23").launcher_version == "0.1.23"
    assert cat.load_catalog("v5.0.0").version == "5.0.0"


def test_tao_version_tuple():
    assert cat.tao_version_tuple("3.22.05") == (3, 22, 5)
    assert cat.tao_version_tuple("6.26.3") == (6, 26, 3)
    assert cat.tao_version_tuple("v5.0.0") == (5, 0, 0)
    with pytest.raises(UserError):
        cat.tao_version_tuple("latest")


@pytest.mark.parametrize(
    ("version", "name", "group", "prefix"),
    [
        ("3.22.02", "detectnet_v2", None, ["tao", "detectnet_v2"]),
        ("3.22.05", "speech_to_text", None, ["tao", "speech_to_text"]),
        ("4.0.1", "detectnet_v2", None, ["tao", "detectnet_v2"]),
        ("5.0.0", "detectnet_v2", None, ["tao", "model", "detectnet_v2"]),
        ("6.26.3", "dino", None, ["tao", "model", "dino"]),
        ("6.26.3", "augmentation", None, ["tao", "dataset", "augmentation"]),
        ("6.26.3", "detectnet_v2", "deploy", ["tao", "deploy", "detectnet_v2"]),
    ],
)
def test_command_prefix(version, name, group, prefix):
    net = cat.load_catalog(version).network(name, group)
    assert cat.command_prefix(net) == prefix
    assert cat.command_prefix(net, version) == prefix
    if group is None:
        assert cat.command_prefix(name, version) == prefix


def test_unknown_version_is_a_user_error_with_the_fix(run_cli):
    with pytest.raises(UserError) as info:
        cat.load_catalog("9.1.0")
    assert "9.1.0" in info.value.message
    for v in ("3.22.05", "5.0.0", "6.26.3"):
        assert v in info.value.fix
    code, out, err = run_cli("catalog", "--version", "9.1.0")
    assert code == 1 and out == ""
    assert "error:" in err and "fix:" in err and "6.26.3" in err


def test_unknown_network_says_where_it_exists(run_cli):
    with pytest.raises(UserError) as info:
        cat.load_catalog("6.26.3").network("speech_to_text")
    assert "4.0.1" in info.value.fix
    with pytest.raises(UserError) as info:
        cat.load_catalog("6.26.3").network("detectnet_v3")
    assert "detectnet_v2" in info.value.fix
    code, _, err = run_cli("catalog", "--network", "nope_net")
    assert code == 1 and "fix:" in err


# --------------------------------------------------------------------------- installed launcher


def fake_launcher(
    root: Path, package: str, config: dict, version: str | None, deploy: dict | None = None
) -> None:
    pkg = root / package
    (pkg / "config").mkdir(parents=True)
    # tao-tui must read the JSON only, never run the launcher's code
    (pkg / "__init__.py").write_text("raise RuntimeError('the launcher must not be imported')\n")
    (pkg / "config" / "config.json").write_text(json.dumps(config))
    if deploy is not None:
        (pkg / "config" / "config_deploy.json").write_text(json.dumps(deploy))
    if version:
        dist = root / f"nvidia_tao-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: nvidia-tao\nVersion: {version}\n")


def test_installed_newer_launcher_adds_its_version_and_networks(tmp_path, monkeypatch):
    config = {
        "task_group": {
            "model": {"dockers": {"nvidia/tao/tao-toolkit": {
                "7.1.0-pyt": {"docker_registry": "nvcr.io", "tasks": ["brand_new_net", "dino"]},
                "5.0.0-tf1.15.5": {"docker_registry": "nvcr.io", "tasks": ["detectnet_v2"]},
            }}},
            "deploy": {"dockers": {"nvidia/tao/tao-toolkit": {
                "7.1.0-deploy": {"docker_registry": "nvcr.io", "tasks": ["brand_new_net"]},
            }}},
        },
        "format_version": 3,
        "toolkit_version": "7.1.0",
        "published_date": "01/01/2027",
    }  # fmt: skip
    fake_launcher(tmp_path, "nvidia_tao_cli", config, "7.1.0")
    monkeypatch.syspath_prepend(str(tmp_path))
    cat.clear_cache()

    catalog = cat.load_catalog()
    assert catalog.version == "7.1.0"
    assert catalog.launcher_version == "7.1.0"
    assert catalog.source.startswith("installed")
    new = catalog.network("brand_new_net")
    assert new.image == "nvcr.io/nvidia/tao/tao-toolkit:7.1.0-pyt"
    assert (new.framework, new.task_group, new.versions) == ("pyt", "model", ("7.1.0",))
    assert new.description  # a placeholder until networks.yaml knows it
    assert catalog.network("brand_new_net", "deploy").subtasks == ("gen_trt_engine", "evaluate", "inference")
    assert list(catalog.network("detectnet_v2").subtasks) == DETECTNET_SUBTASKS
    assert "7.1.0" in catalog.network("detectnet_v2").versions
    assert cat.command_prefix(new) == ["tao", "model", "brand_new_net"]
    assert cat.load_catalog("6.26.3").source == "bundled"  # older versions still come from the data files
    assert "7.1.0" in cat.load_catalog("6.26.3").network("dino").versions
    assert "nvidia_tao_cli" not in sys.modules


def test_installed_launcher_replaces_the_same_toolkit_version(tmp_path, monkeypatch):
    config = read_config("4.0.1.json")
    config["dockers"]["nvidia/tao/tao-toolkit"]["4.0.1-pyt"] = {
        "docker_registry": "nvcr.io",
        "tasks": ["segformer"],
    }
    fake_launcher(tmp_path, "tlt", config, None, deploy=read_config("4.0.1-deploy.json"))
    monkeypatch.syspath_prepend(str(tmp_path))
    cat.clear_cache()

    catalog = cat.load_catalog("4.0.1")
    assert catalog.source.startswith("installed")
    assert catalog.network("segformer").image == "nvcr.io/nvidia/tao/tao-toolkit:4.0.1-pyt"
    assert catalog.network("detectnet_v2", "deploy").image.endswith(":4.0.0-deploy")
    assert cat.load_catalog().version == "6.26.3"  # not newer: the default stays the newest
    assert "tlt" not in sys.modules


def test_broken_installed_launcher_is_ignored_with_a_note(tmp_path, monkeypatch):
    pkg = tmp_path / "nvidia_tao_cli" / "config"
    pkg.mkdir(parents=True)
    (pkg / "config.json").write_text("{not json")
    monkeypatch.syspath_prepend(str(tmp_path))
    cat.clear_cache()
    catalog = cat.load_catalog()
    assert catalog.source == "bundled"
    assert catalog.notes and "config.json" in catalog.notes[0]


# --------------------------------------------------------------------------- package data


OFFLINE_MARKERS = (
    "Could not find a version that satisfies",
    "No matching distribution found",
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Failed to establish a new connection",
)


def test_wheel_ships_the_catalog_data_and_spec_templates(tmp_path):
    """Builds the wheel (hatchling, fetched by pip's build isolation); skipped only when offline."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if proc.returncode != 0:
        log = proc.stdout + proc.stderr
        if any(marker in log for marker in OFFLINE_MARKERS):
            pytest.skip("cannot fetch the build backend (hatchling) offline; wheel contents unchecked")
        pytest.fail(f"pip wheel failed:\n{log[-3000:]}")
    (wheel,) = tmp_path.glob("tao_tui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in data_dir().rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert f"tao_tui/data/{path.relative_to(data_dir()).as_posix()}" in names
    assert "tao_tui/data/networks.yaml" in names
    assert any(n.startswith("tao_tui/data/launcher/") and n.endswith(".json") for n in names)
    assert "tao_tui/specs_templates/README.md" in names
    for network_yaml in (REPO / "specs_templates").glob("*/network.yaml"):
        assert (
            f"tao_tui/specs_templates/{network_yaml.relative_to(REPO / 'specs_templates').as_posix()}"
            in names
        )
