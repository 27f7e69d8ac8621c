"""~/.tao_mounts.json: the launcher's rules, path mapping, atomic writes."""

from __future__ import annotations

import json
import os

import pytest

from tao_tui.errors import SpecParseError, ValidationError
from tao_tui.runtime.mounts import (
    TaoMounts,
    default_mounts,
    load_mounts,
    parse_mounts,
    write_mounts,
)


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    (d / "results").mkdir(parents=True)
    return d


def good(data_dir) -> dict:
    return {
        "Mounts": [
            {"source": str(data_dir), "destination": "/workspace/tao-experiments"},
            {"source": str(data_dir / "results"), "destination": "/workspace/tao-experiments/results"},
        ],
        "Envs": [{"variable": "CUDA_DEVICE_ORDER", "value": "PCI_BUS_ID"}],
        "DockerOptions": {
            "user": "1000:1000",
            "shm_size": "16G",
            "ulimits": {"memlock": -1, "stack": 67108864},
        },
    }


def test_valid_file_round_trips(tmp_path, data_dir):
    path = tmp_path / "tao_mounts.json"
    path.write_text(json.dumps(good(data_dir)))
    m = load_mounts(path)
    assert [x.destination for x in m.mounts] == [
        "/workspace/tao-experiments",
        "/workspace/tao-experiments/results",
    ]
    assert m.env() == {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    assert m.run_options() == {
        "user": "1000:1000",
        "shm_size": "16G",
        "ulimits": {"memlock": -1, "stack": 67108864},
    }
    assert [(x.source, x.target, x.read_only) for x in m.engine_mounts()][0] == (
        str(data_dir),
        "/workspace/tao-experiments",
        False,
    )


def test_missing_file_means_no_mounts(tmp_path):
    assert load_mounts(tmp_path / "absent.json") is None


def test_sources_are_expanded_and_resolved(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("HOME", str(tmp_path))
    link = tmp_path / "link"
    link.symlink_to(data_dir)
    m = parse_mounts({"Mounts": [{"source": "~/link", "destination": "/workspace/x/../data"}]})
    assert m.mounts[0].source == str(data_dir)
    assert m.mounts[0].destination == "/workspace/data"


@pytest.mark.parametrize(
    ("data", "field_part", "words"),
    [
        ({"Mounts": [], "Extra": 1}, "Extra", "unknown top-level key"),
        ({"Envs": []}, "Mounts", "Requires Mounts key"),
        ({"Mounts": {}}, "Mounts", "must be a list"),
        ({"Mounts": [{"source": "/tmp"}]}, "Mounts[0]", "not formatted correctly"),
        ({"Mounts": [], "Envs": [{"variable": "A"}]}, "Envs[0]", "formatter correctly"),
        (
            {"Mounts": [], "DockerOptions": {"shm-size": "16G"}},
            "DockerOptions.shm-size",
            "isn't a valid option",
        ),
        ({"Mounts": [], "DockerOptions": {"gpus": "all"}}, "DockerOptions.gpus", "isn't a valid option"),
        ({"Mounts": [], "DockerOptions": {"ulimits": [1]}}, "DockerOptions.ulimits", "dictionary"),
        ({"Mounts": [], "DockerOptions": {"ulimits": {"memlock": "x"}}}, "ulimits.memlock", "integer"),
        ([], "tao_mounts", "one JSON object"),
    ],
)
def test_launcher_rules_name_key_rule_and_fix(data, field_part, words):
    with pytest.raises(ValidationError) as info:
        parse_mounts(data)
    err = info.value
    assert field_part in err.field
    assert words in err.message
    assert err.fix


def test_invalid_docker_option_lists_allowed_keys():
    with pytest.raises(ValidationError) as info:
        parse_mounts({"Mounts": [], "DockerOptions": {"shm-size": "1G"}})
    assert "shm_size" in info.value.fix and "privileged" in info.value.fix


def test_missing_source_folder_is_named_with_its_destination(tmp_path):
    with pytest.raises(ValidationError) as info:
        parse_mounts({"Mounts": [{"source": str(tmp_path / "nope"), "destination": "/workspace/data"}]})
    assert str(tmp_path / "nope") in info.value.message and "/workspace/data" in info.value.message
    assert "mkdir -p" in info.value.fix
    # not checked when asked (e.g. writing a file for folders made later)
    parse_mounts({"Mounts": [{"source": str(tmp_path / "nope"), "destination": "/w"}]}, check_sources=False)


def test_bad_json_is_located(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"Mounts": [\n  {"source": "/a" "destination": "/b"}]}')
    with pytest.raises(SpecParseError) as info:
        load_mounts(path)
    assert info.value.line == 2 and str(path) in str(info.value)


def test_path_mapping_longest_prefix_wins(data_dir):
    m = parse_mounts(good(data_dir))
    assert m.to_host("/workspace/tao-experiments/results/train/weights") == str(
        data_dir / "results" / "train" / "weights"
    )
    assert m.to_host("/workspace/tao-experiments/specs/a.txt") == str(data_dir / "specs" / "a.txt")
    assert m.to_host("/workspace/tao-experiments") == str(data_dir)
    assert m.to_host("/workspace/tao-experimentsX/a") is None  # component boundary
    assert m.to_host("/opt/other") is None
    assert m.to_container(str(data_dir / "results" / "r.txt")) == "/workspace/tao-experiments/results/r.txt"
    assert m.to_container(str(data_dir / "x")) == "/workspace/tao-experiments/x"
    assert m.to_container("/elsewhere") is None


def test_warnings_for_nested_mounts_and_no_user(data_dir):
    data = good(data_dir)
    del data["DockerOptions"]["user"]
    warnings = parse_mounts(data).warnings()
    assert any('"user"' in w for w in warnings)
    assert any("inside destination" in w for w in warnings)


def test_atomic_write_validates_and_keeps_mode(tmp_path, data_dir):
    path = tmp_path / "sub" / "tao_mounts.json"
    written = write_mounts(
        default_mounts([(str(data_dir), "/workspace/tao-experiments")], shm_size="16G"), path
    )
    assert written == path
    back = load_mounts(path)
    assert back.docker_options == {"user": f"{os.getuid()}:{os.getgid()}", "shm_size": "16G"}
    os.chmod(path, 0o600)
    write_mounts(back, path)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["tao_mounts.json"]  # no temp file left
    with pytest.raises(ValidationError):
        write_mounts({"Mounts": [], "Bad": 1}, path)
    assert load_mounts(path).docker_options["shm_size"] == "16G"  # old file untouched


def test_to_json_shape(data_dir):
    m = TaoMounts()
    assert m.to_json() == {"Mounts": []}
    assert parse_mounts(good(data_dir)).to_json()["Envs"] == [
        {"variable": "CUDA_DEVICE_ORDER", "value": "PCI_BUS_ID"}
    ]
