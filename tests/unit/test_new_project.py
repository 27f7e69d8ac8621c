"""`tao-tui new`: a project from NVIDIA's templates with only the user's values changed."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from pathlib import Path

import yaml

from tao_tui.cli import main
from tao_tui.resources import templates_dir

TRAIN = "detectnet_v2_train_resnet18_kitti.txt"


def _new(tmp_path: Path, *extra: str) -> int:
    return main(["new", "--network", "detectnet_v2", "--dir", str(tmp_path / "proj"), "--tao-version", "5.0.0",
                 "--yes", *extra])


def _diff(a: str, b: str) -> list[str]:
    return [ln for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if not ln.startswith(("---", "+++", "@@"))]


def test_detectnet_v2_project_differs_only_in_the_users_values(tmp_path, capsys):
    code = _new(tmp_path, "--set", "training_config.batch_size_per_gpu=8", "--set", "training_config.num_epochs=80",
                "--classes", "car:car,truck:car,pedestrian:pedestrian")
    assert code == 0, capsys.readouterr().err
    nvidia = (templates_dir() / "detectnet_v2" / TRAIN).read_text()
    ours = (tmp_path / "proj" / "specs" / TRAIN).read_text()
    diff = _diff(nvidia, ours)
    print("\n".join(diff))
    added = [ln[1:].strip() for ln in diff if ln.startswith("+")]
    removed = [ln[1:].strip() for ln in diff if ln.startswith("-")]
    # the values the user set, and where the dataset_convert output is chained in
    assert "batch_size_per_gpu: 8" in added and "batch_size_per_gpu: 4" in removed
    assert "num_epochs: 80" in added and "num_epochs: 120" in removed
    assert 'tfrecords_path: "/workspace/tao-experiments/results/dataset_convert/tfrecords/*"' in added
    # the class mapping is rewritten: truck -> car is new, cyclist/person_sitting/van are gone
    assert 'key: "truck"' in added
    for gone in ('key: "cyclist"', 'key: "person_sitting"', 'key: "van"', 'name: "cyclist"'):
        assert gone in removed, gone
    # nothing else is new: any other added line is one of NVIDIA's lines moved by the diff's alignment
    new_text = Counter(added) - Counter(removed)
    assert set(new_text) <= {"batch_size_per_gpu: 8", "num_epochs: 80", 'key: "truck"', 'value: "car"',
                             'tfrecords_path: "/workspace/tao-experiments/results/dataset_convert/tfrecords/*"'}, new_text
    # no cyclist anywhere in the project's specs; car and pedestrian keep NVIDIA's blocks
    for spec in (tmp_path / "proj" / "specs").iterdir():
        assert "cyclist" not in spec.read_text(), spec.name
    assert ours.count('key: "car"') == nvidia.count('key: "car"')


def test_project_yaml_holds_no_key_and_the_users_values(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KEY", "do-not-store-me")
    assert _new(tmp_path, "--set", "training_config.num_epochs=10") == 0
    text = (tmp_path / "proj" / "project.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["network"] == "detectnet_v2" and data["tao_version"] == "5.0.0"
    assert data["image"] == "nvcr.io/nvidia/tao/tao-toolkit:5.0.0-tf1.15.5"
    assert data["params"] == {f"{TRAIN}:training_config.num_epochs": "10"}
    for path in (tmp_path / "proj").rglob("*"):
        if path.is_file():
            assert "do-not-store-me" not in path.read_text(errors="replace")


def test_locked_parameter_is_refused_with_a_fix(tmp_path, capsys):
    assert _new(tmp_path, "--set", "training_config.learning_rate.soft_start_annealing_schedule.min_learning_rate=1e-3") == 1
    err = capsys.readouterr().err
    assert "locked" in err and "fix:" in err
    assert not (tmp_path / "proj" / "project.yaml").exists()


def test_out_of_bounds_value_names_field_rule_and_fix(tmp_path, capsys):
    assert _new(tmp_path, "--set", "training_config.batch_size_per_gpu=0") == 1
    err = capsys.readouterr().err
    assert "batch_size_per_gpu" in err and re.search(r"between 1 and 32", err) and "fix:" in err


def test_capitalised_class_is_refused(tmp_path, capsys):
    assert _new(tmp_path, "--classes", "Car:car") == 1
    err = capsys.readouterr().err
    assert "Car" in err and "0 mAP" in err


def test_bad_flags_are_user_errors(tmp_path, capsys):
    assert main(["new", "--network", "detectnet_v2", "--dir", str(tmp_path / "p")]) == 1  # no --yes
    assert "--yes" in capsys.readouterr().err
    assert _new(tmp_path, "--set", "no_equals_sign") == 1
    assert "PATH=VALUE" in capsys.readouterr().err
    assert main(["new", "--network", "no_such_net", "--dir", str(tmp_path / "q"), "--yes"]) == 1
    assert "tao-tui catalog" in capsys.readouterr().err
    assert _new(tmp_path, "--dataset", str(tmp_path / "missing")) == 1
    assert "--dataset" in capsys.readouterr().err


def test_existing_project_is_not_overwritten(tmp_path, capsys):
    assert _new(tmp_path) == 0
    assert _new(tmp_path) == 1
    assert "already holds a project" in capsys.readouterr().err


def test_status_lists_every_stage_with_its_command(tmp_path, capsys):
    assert _new(tmp_path) == 0
    capsys.readouterr()
    assert main(["status", "--project", str(tmp_path / "proj")]) == 0
    out = capsys.readouterr().out
    for stage in ("dataset_convert", "train", "prune", "retrain", "export"):
        assert stage in out
    assert "$ tao model detectnet_v2 train -e /workspace/tao-experiments/specs/" in out
    assert "-k $KEY" in out


def test_project_writes_a_launcher_mounts_file(tmp_path, capsys):
    import json

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    assert _new(tmp_path, "--dataset", str(data_dir)) == 0
    mounts = json.loads((tmp_path / "proj" / "tao_mounts.json").read_text())
    assert {"source": str((tmp_path / "proj").resolve()), "destination": "/workspace/tao-experiments"} in mounts["Mounts"]
    assert {"source": str(data_dir.resolve()), "destination": "/workspace/tao-experiments/data"} in mounts["Mounts"]
    assert set(mounts) == {"Mounts", "DockerOptions"} and ":" in mounts["DockerOptions"]["user"]
    assert "cp " in capsys.readouterr().out


def test_set_param_changes_nothing_on_a_bad_value(tmp_path, capsys):
    from tao_tui.errors import UserError
    from tao_tui.project import Project
    from tao_tui.workflow.create import set_param

    assert _new(tmp_path) == 0
    root = tmp_path / "proj"
    spec = root / "specs" / TRAIN
    before_spec, before_yaml = spec.read_text(), (root / "project.yaml").read_text()
    try:
        set_param(root, f"{TRAIN}:training_config.num_epochs", "0")
    except UserError as err:
        assert "between 1 and 500" in str(err)
    else:
        raise AssertionError("0 epochs must be refused")
    assert spec.read_text() == before_spec and (root / "project.yaml").read_text() == before_yaml
    project = set_param(root, f"{TRAIN}:training_config.num_epochs", "20")
    assert "num_epochs: 20" in spec.read_text()
    assert Project.load(root).params[f"{TRAIN}:training_config.num_epochs"] == "20"
    assert project.notices  # first_validation_epoch 30 was lowered to fit 20 epochs


def test_set_command_changes_a_projects_values(tmp_path, capsys):
    assert _new(tmp_path) == 0
    root = str(tmp_path / "proj")
    assert main(["set", "--project", root, "training_config.num_epochs=60", "training_config.batch_size_per_gpu=2"]) == 0
    spec = (tmp_path / "proj" / "specs" / TRAIN).read_text()
    assert "num_epochs: 60" in spec and "batch_size_per_gpu: 2" in spec
    assert main(["set", "--project", root, "training_config.num_epochs=0"]) == 1
    assert "between 1 and 500" in capsys.readouterr().err
    assert "num_epochs: 60" in (tmp_path / "proj" / "specs" / TRAIN).read_text()  # nothing changed
    assert main(["set", "--project", root, "random_seed=7"]) == 1
    assert "locked" in capsys.readouterr().err
    assert main(["set", "--project", root, "--unlock", "random_seed", "random_seed=7"]) == 0
    assert "random_seed: 7" in (tmp_path / "proj" / "specs" / TRAIN).read_text()


def test_set_dataset_later(tmp_path, capsys):
    import json

    assert _new(tmp_path) == 0
    root = tmp_path / "proj"
    assert main(["set", "--project", str(root), "--dataset", str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "kitti" / "image_2").mkdir(parents=True)
    (tmp_path / "kitti" / "label_2").mkdir()
    assert main(["set", "--project", str(root), "--dataset", str(tmp_path / "kitti")]) == 0
    mounts = json.loads((root / "tao_mounts.json").read_text())["Mounts"]
    assert {"source": str((tmp_path / "kitti").resolve()), "destination": "/workspace/tao-experiments/data"} in mounts
    # image_2 at the dataset's top: NVIDIA's .../data/training paths now point at .../data
    assert 'image_directory_path: "/workspace/tao-experiments/data"' in (root / "specs" / TRAIN).read_text()
    assert main(["set", "--project", str(root)]) == 1


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


def test_disk_full_part_way_through_new_leaves_nothing_behind(tmp_path, monkeypatch, capsys):
    """ENOSPC at every write `new` makes (each spec, tao_mounts.json, project.yaml): exit 2, one line naming
    the disk and the fix, and the folder as it was — a new folder gone, an existing one without our files."""
    import errno

    import tao_tui.project as project_mod
    import tao_tui.workflow.create as create_mod

    real = project_mod.atomic_write
    writes = {"n": 0, "fail_at": 0, "paths": []}

    def flaky(path, text):
        writes["n"] += 1
        writes["paths"].append(str(path))
        if writes["n"] == writes["fail_at"]:
            real(path, text[: len(text) // 2])  # a part was written before the disk filled
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, text)

    monkeypatch.setattr(project_mod, "atomic_write", flaky)
    monkeypatch.setattr(create_mod, "atomic_write", flaky)
    assert _new(tmp_path / "count") == 0
    total = sum(1 for p in writes["paths"] if p.startswith(str(tmp_path / "count")))  # not recent.json
    assert total >= 3, writes["paths"]
    existing = tmp_path / "existing"
    (existing / "specs").mkdir(parents=True)
    (existing / "specs" / "mine.txt").write_text("keep me\n")
    (existing / "notes.txt").write_text("keep me too\n")
    capsys.readouterr()
    for fail_at in range(1, total + 1):
        for target in (tmp_path / "fresh" / "deep", existing):
            before = _tree(target)
            writes.update(n=0, fail_at=fail_at)
            code = main(["new", "--network", "detectnet_v2", "--dir", str(target), "--tao-version", "5.0.0", "--yes"])
            err = capsys.readouterr().err
            assert code == 2, (fail_at, err, writes["paths"])
            assert "Traceback" not in err and "disk is full" in err and "nothing was left behind" in err
            assert _tree(target) == before, (fail_at, target)
        assert not (tmp_path / "fresh").exists()
    assert (existing / "specs" / "mine.txt").read_text() == "keep me\n"


def test_a_failed_write_is_an_environment_error_on_the_folder(tmp_path, monkeypatch):
    """create_project (the app's set-up uses it too): the OSError comes out as exit 2 on --dir, so the
    wizard shows it at the folder step."""
    import errno

    import pytest

    import tao_tui.workflow.create as create_mod
    from tao_tui.errors import EnvironmentProblem

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(create_mod, "atomic_write", full)
    with pytest.raises(EnvironmentProblem) as caught:
        create_mod.create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0")
    assert caught.value.field == "--dir" and caught.value.exit_code == 2
    assert "No space left on device" in caught.value.message
    assert not (tmp_path / "p").exists()


def test_set_image_validated_like_run_and_saved(tmp_path, capsys):
    """`set --image` (no other way to change the image after `new`): checked by run's rule, saved in
    project.yaml; "" goes back to the catalog's image for the network and TAO version."""
    from tao_tui.project import Project
    from tao_tui.workflow.create import image_for

    assert _new(tmp_path) == 0
    root = tmp_path / "proj"
    catalog = image_for("detectnet_v2", "5.0.0")
    assert main(["set", "--project", str(root), "--image", "registry.local:5000/tao/tao-toolkit:5.0.0-tf1"]) == 0
    assert "set image = registry.local:5000/tao/tao-toolkit:5.0.0-tf1" in capsys.readouterr().out
    assert Project.load(root).image == "registry.local:5000/tao/tao-toolkit:5.0.0-tf1"
    before = (root / "project.yaml").read_text()
    assert main(["set", "--project", str(root), "--image", "Not An Image!"]) == 1
    err = capsys.readouterr().err
    assert "--image" in err and "not a container image reference" in err and "[registry/]name[:tag]" in err
    assert "Traceback" not in err
    assert (root / "project.yaml").read_text() == before  # nothing changed
    # a bad image with a good value: nothing at all is written
    assert main(["set", "--project", str(root), "--image", "UPPER/x", "training_config.num_epochs=7"]) == 1
    assert (root / "project.yaml").read_text() == before
    assert main(["set", "--project", str(root), "--image", "", "training_config.num_epochs=7"]) == 0
    out = capsys.readouterr().out
    assert f"set image = {catalog}" in out and "catalog" in out
    assert Project.load(root).image == catalog
    assert "num_epochs: 7" in (root / "specs" / TRAIN).read_text()
