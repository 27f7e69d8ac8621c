"""`tao-tui --plain`: the wizard's steps as questions, driven through prompt_toolkit's test input.

The spec files it writes must be byte-identical to `tao-tui new` with the same answers as flags."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
import questionary
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tao_tui import prompts
from tao_tui.cli import main
from tests.datasets import make_kitti

ENTER, CLEAR = "\r", "\x15"  # Enter; Ctrl-U clears the default shown in a text field
DOWN, UP = "\x1b[B", "\x1b[A"


def drive(keys: list[str], fn, *args):
    """Run ``fn(*args)`` with questionary reading ``keys`` (one string per question)."""
    with create_pipe_input() as inp:
        inp.send_text("".join(keys))
        with create_app_session(input=inp, output=DummyOutput()):
            return fn(*args)


def _same_tree(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) and names
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return mismatch + errors + cmp.left_only + cmp.right_only


def test_plain_set_up_writes_the_same_specs_as_new(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = make_kitti(tmp_path / "data", classes=("Forklift", "Person", "Pallet"), n=6)
    mapping = "forklift:forklift,person:person,pallet:forklift"
    keys = [
        "detectnet_v2" + ENTER,  # network: type to filter, Enter picks the first match
        ENTER,  # TAO version: the default (as `new` without --tao-version)
        CLEAR + str(tmp_path / "plain") + ENTER,  # folder
        CLEAR + str(data) + ENTER,  # dataset: scanned, summary printed
        CLEAR + mapping + ENTER,  # classes: pallet merged into forklift
        ENTER,  # GPUs: 1
        ENTER,  # key: none
        CLEAR + "8" + ENTER,  # batch size
        CLEAR + "40" + ENTER,  # epochs
        UP + ENTER,  # the project's menu: quit
    ]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert drive(keys, main, ["--plain"]) == 0  # `tao-tui --plain`, end to end
    root = tmp_path / "plain"
    out = capsys.readouterr().out
    assert "objects per class: forklift 4, person 4, pallet 4" in out  # the scan's summary
    assert "NVIDIA's example classes not in your labels are dropped: car, cyclist, pedestrian, person_sitting, van" in out
    assert main(["new", "--network", "detectnet_v2", "--dir", str(tmp_path / "cli"), "--dataset", str(data),
                 "--classes", mapping, "--set", "training_config.batch_size_per_gpu=8",
                 "--set", "training_config.num_epochs=40", "--yes"]) == 0
    assert _same_tree(tmp_path / "plain" / "specs", tmp_path / "cli" / "specs") == []
    train = (root / "specs/detectnet_v2_train_resnet18_kitti.txt").read_text()
    assert "batch_size_per_gpu: 8" in train and "num_epochs: 40" in train and '"pallet"' in train


def test_enter_keeps_every_shown_default(tmp_path, monkeypatch, capsys):
    """The bug this fixes: the classes default was shown as a Python list and Enter failed with
    "class name '[['car'' is not valid"."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = make_kitti(tmp_path / "data", n=3)
    keys = ["detectnet_v2" + ENTER, ENTER, CLEAR + str(tmp_path / "p") + ENTER, CLEAR + str(data) + ENTER,
            ENTER, ENTER, ENTER, ENTER, ENTER]
    root, _ = drive(keys, prompts.new_project, questionary)
    out = capsys.readouterr().out
    assert "error" not in out
    from tao_tui.preflight import class_mapping_of
    from tao_tui.project import Project

    assert class_mapping_of(Project.load(root)) == [("forklift", "forklift"), ("person", "person"),
                                                    ("pallet", "pallet")]


def test_a_bad_answer_is_refused_beside_the_question_and_asked_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = make_kitti(tmp_path / "data", n=3)
    (tmp_path / "afile").write_text("x")
    keys = ["detectnet_v2" + ENTER, ENTER,
            CLEAR + str(tmp_path / "afile") + ENTER,  # a file: refused, the prompt stays
            CLEAR + str(tmp_path / "p") + ENTER,
            CLEAR + str(tmp_path / "nowhere") + ENTER,  # no such dataset: error, asked again
            CLEAR + str(data) + ENTER,
            CLEAR + "Forklift:forklift" + ENTER,  # capitals: refused
            CLEAR + "forklift:forklift, person:person, pallet:pallet" + ENTER,
            CLEAR + "0" + ENTER, CLEAR + "2" + ENTER,  # GPUs
            ENTER, CLEAR + "99" + ENTER, CLEAR + "4" + ENTER, ENTER]  # key; batch size 99 > 32
    root, _ = drive(keys, prompts.new_project, questionary)
    out = capsys.readouterr().out
    assert "dataset folder" in out and "does not exist" in out
    from tao_tui.project import Project

    assert Project.load(root).gpus == 2


@pytest.mark.parametrize("answer", ["car:car, truck:car", "car:car,truck:car"])
def test_classes_answer_round_trips_through_the_notation(answer):
    from tao_tui.workflow.create import format_classes, parse_classes

    assert format_classes(parse_classes(answer)) == "car:car, truck:car"



def test_project_menu_edits_classes_in_the_notation_and_runs_the_same_preflight(tmp_path, monkeypatch, capsys):
    """Editing the class mapping shows `car:car, ...` and Enter keeps it; `run train` with a mapping
    that misses the labels stops at pre-flight (as `tao-tui run`), and No does not start anything."""
    from tao_tui.runtime import runner

    started = []
    monkeypatch.setattr(runner.StageRunner, "start", lambda self, stage, key: started.append(stage))
    monkeypatch.delenv("KEY", raising=False)
    data = make_kitti(tmp_path / "data", n=2)
    root = tmp_path / "p"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--dataset", str(data),
                 "--tao-version", "5.0.0", "--yes"]) == 0
    before = (root / "specs/detectnet_v2_train_resnet18_kitti.txt").read_bytes()
    capsys.readouterr()
    keys = [
        ENTER,  # edit a safe value
        DOWN + DOWN + ENTER,  # the class mapping (third safe value)
        ENTER,  # keep the shown default
        DOWN + DOWN + ENTER,  # run train (after edit, run dataset_convert)
        ENTER,  # start anyway? default No
        UP + ENTER,  # quit (the last row)
    ]
    assert drive(keys, prompts._project_loop, questionary, root) == 0
    out = capsys.readouterr().out
    assert "kept dataset_config.target_class_mapping = car:car, cyclist:cyclist, pedestrian:pedestrian, " \
           "person_sitting:pedestrian, van:car" in out
    assert (root / "specs/detectnet_v2_train_resnet18_kitti.txt").read_bytes() == before
    assert "pre-flight found" in out and "tao-tui set --classes" in out
    assert started == []


def test_menu_class_edit_equals_set_classes(tmp_path, capsys):
    data = make_kitti(tmp_path / "data", classes=("car",), n=2)
    for name in ("a", "b"):
        assert main(["new", "--network", "detectnet_v2", "--dir", str(tmp_path / name), "--dataset", str(data),
                     "--tao-version", "5.0.0", "--yes"]) == 0
    keys = [ENTER, DOWN + DOWN + ENTER, CLEAR + "car:car" + ENTER, UP + ENTER]
    assert drive(keys, prompts._project_loop, questionary, tmp_path / "a") == 0
    assert "saved dataset_config.target_class_mapping = car:car" in capsys.readouterr().out
    assert main(["set", "--classes", "car:car", "--project", str(tmp_path / "b")]) == 0
    assert _same_tree(tmp_path / "a/specs", tmp_path / "b/specs") == []


def test_plain_started_inside_a_project_opens_it(tmp_path, monkeypatch, capsys):
    root = tmp_path / "p"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0", "--yes"]) == 0
    (root / "specs").mkdir(exist_ok=True)
    monkeypatch.chdir(root / "specs")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    capsys.readouterr()
    assert drive([UP + ENTER], prompts.main) == 0  # the project menu, not the network list: quit
    assert f"project {root}" in capsys.readouterr().out
