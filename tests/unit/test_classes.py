"""One class-mapping notation (SOURCE:TARGET, comma-separated) everywhere, and `tao-tui set --classes`
written through the same core as `tao-tui new --classes` (byte-identical spec files)."""

from __future__ import annotations

import filecmp
import json

import pytest

from tao_tui.cli import main
from tao_tui.errors import ValidationError
from tao_tui.workflow.create import format_classes, parse_classes
from tests.datasets import make_kitti

MAPPING = "forklift:forklift,person:person,pallet:forklift"


def test_parse_and_format_are_inverse():
    pairs = parse_classes(" car:car, truck:car ,pedestrian ")
    assert pairs == [("car", "car"), ("truck", "car"), ("pedestrian", "pedestrian")]
    assert format_classes(pairs) == "car:car, truck:car, pedestrian:pedestrian"
    assert parse_classes(format_classes(pairs)) == pairs


@pytest.mark.parametrize(("text", "rule"), [
    ("", "no classes given"),
    (":car", "has no source class name"),
    ("a:b:c", "is not SOURCE:TARGET"),
    ("[['car', 'car']]", "is not SOURCE:TARGET"),  # a Python list pasted back (the old --plain default)
])
def test_bad_mappings_name_the_flag_the_rule_and_the_fix(text, rule):
    with pytest.raises(ValidationError) as err:
        parse_classes(text)
    assert err.value.field == "--classes" and rule in err.value.message
    assert "SOURCE:TARGET" in err.value.fix


def test_set_classes_writes_the_same_specs_as_new_classes(tmp_path, capsys):
    data = make_kitti(tmp_path / "data", n=3)
    common = ["--network", "detectnet_v2", "--dataset", str(data), "--tao-version", "5.0.0", "--yes"]
    assert main(["new", "--dir", str(tmp_path / "a"), "--classes", MAPPING, *common]) == 0
    assert "classes: forklift:forklift, person:person, pallet:forklift" in capsys.readouterr().out
    assert main(["new", "--dir", str(tmp_path / "b"), *common]) == 0
    assert main(["set", "--classes", MAPPING, "--project", str(tmp_path / "b")]) == 0
    assert "set classes = forklift:forklift, person:person, pallet:forklift" in capsys.readouterr().out
    names = sorted(p.name for p in (tmp_path / "a/specs").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "a/specs", tmp_path / "b/specs", names, shallow=False)
    assert mismatch == errors == []
    train = (tmp_path / "b/specs/detectnet_v2_train_resnet18_kitti.txt").read_text()
    assert '"pallet"' in train and '"car"' not in train  # every class block regenerated
    # status shows the mapping in the same notation
    assert main(["status", "--project", str(tmp_path / "b")]) == 0
    assert "classes: forklift:forklift, person:person, pallet:forklift" in capsys.readouterr().out
    assert main(["status", "--project", str(tmp_path / "b"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["classes"] == "forklift:forklift, person:person, pallet:forklift"


def test_set_classes_rejects_bad_names_and_changes_nothing(tmp_path, capsys):
    data = make_kitti(tmp_path / "data", n=2)
    assert main(["new", "--dir", str(tmp_path / "p"), "--network", "detectnet_v2", "--dataset", str(data),
                 "--tao-version", "5.0.0", "--yes"]) == 0
    before = (tmp_path / "p/specs/detectnet_v2_train_resnet18_kitti.txt").read_text()
    capsys.readouterr()
    assert main(["set", "--classes", "Forklift:forklift", "--project", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert "capital letters" in err and "'forklift'" in err and "Traceback" not in err
    assert (tmp_path / "p/specs/detectnet_v2_train_resnet18_kitti.txt").read_text() == before
