"""The Parameters tab at 80x24, driven with Pilot: the tree, editing in place, unlock, diff."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml

from tao_tui.project import Project
from tao_tui.ui.app import TaoTuiApp
from tao_tui.ui.widgets.param_tree import Node, ParamTree, build_tree, default_open, split_path, visible
from tao_tui.workflow.create import create_project, project_paramset

TRAIN = "detectnet_v2_train_resnet18_kitti.txt"
EPOCHS = f"{TRAIN}:training_config.num_epochs"
BATCH = f"{TRAIN}:training_config.batch_size_per_gpu"
MAPPING = f"{TRAIN}:dataset_config.target_class_mapping"
SEED = f"{TRAIN}:random_seed"
TFRECORDS = f"{TRAIN}:dataset_config.data_sources.tfrecords_path"


@pytest.fixture(autouse=True)
def fixed_gpus(monkeypatch):
    from tao_tui.runtime import gpu

    monkeypatch.setattr(gpu, "read_gpus", lambda ttl=1.0: gpu.GpuState(gpus=[]))


@pytest.fixture
def project(tmp_path) -> Path:
    create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0")
    return tmp_path / "p"


async def _wait(pilot, cond, what: str, timeout: float = 10.0):
    for _ in range(int(timeout / 0.05)):
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _open_params(pilot) -> ParamTree:
    screen = pilot.app.screen
    screen.query_one("#tabs").active = "tab-params"
    await _wait(pilot, lambda: screen.query("#params"), "the parameters tree (mounted after the first frame)")
    tree = screen.query_one("#params", ParamTree)
    await _wait(pilot, lambda: tree.loaded, "the parameters to load")
    tree.query_one("#param-table").focus()
    await pilot.pause()
    return tree


async def _select(pilot, tree: ParamTree, key: str) -> None:
    spec, _, path = key.partition(":")
    segs = split_path(path)
    tree.opened.update({f"{spec}:", *(f"{spec}:{'.'.join(segs[: i + 1])}" for i in range(len(segs) - 1))})
    tree._render_rows(key)
    await pilot.pause()
    assert tree.current is not None and tree.current.key == key


def _detail(tree: ParamTree) -> str:
    return str(tree.query_one("#param-detail-text").render())


async def _type(pilot, text: str) -> None:
    """Clear the editor (ctrl+u: delete to the start) and type ``text`` key by key."""
    await pilot.press("end", "ctrl+u", *list(text))


async def test_edit_validates_each_keystroke_saves_and_escape_cancels(project):
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await _open_params(pilot)
        inp = tree.query_one("#param-edit")
        await _select(pilot, tree, EPOCHS)
        await pilot.press("e")
        assert inp.has_focus and inp.value == "120" and inp.display
        await _type(pilot, "0")
        await _wait(pilot, lambda: "between 1 and 500" in _detail(tree), "the rule for 0 epochs")
        assert "fix:" in _detail(tree)
        await _type(pilot, "abc")
        await _wait(pilot, lambda: "whole number" in _detail(tree), "the rule for text")
        await _type(pilot, "150")
        await _wait(pilot, lambda: "valid" in _detail(tree), "150 accepted in the dry run")
        await pilot.press("escape")  # cancels: nothing saved, focus back on the tree
        assert tree.query_one("#param-table").has_focus and not inp.display
        assert "num_epochs: 120" in (project / "specs" / TRAIN).read_text()
        await _select(pilot, tree, BATCH)
        await pilot.press("enter")  # the input holds this row's value, not the text typed before
        assert inp.value == "4"
        await _type(pilot, "8")
        await pilot.press("enter")
        await _wait(pilot, lambda: tree.current_row is not None and tree.current_row.value == 8, "the reload")
        assert tree.current.key == BATCH and tree.current_row.provenance == "yours"
        assert "saved training_config.batch_size_per_gpu = 8" in _detail(tree)
        assert tree.query_one("#param-table").has_focus
    assert "batch_size_per_gpu: 8" in (project / "specs" / TRAIN).read_text()
    assert Project.load(project).params[BATCH] == "8"


async def test_class_mapping_is_edited_as_a_table(project):
    from textual.widgets import Input

    from tao_tui.ui.screens.class_map import ClassMapScreen

    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await _open_params(pilot)
        await _select(pilot, tree, MAPPING)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ClassMapScreen)
        assert dialog.current_pairs() == [("car", "car"), ("cyclist", "cyclist"), ("pedestrian", "pedestrian"),
                                          ("person_sitting", "pedestrian"), ("van", "car")]  # fmt: skip
        msg = lambda: str(dialog.query_one("#cm-msg").render())  # noqa: E731
        assert "car:car, cyclist:cyclist" in msg()
        srcs, dsts = list(dialog.query(".cm-src").results(Input)), list(dialog.query(".cm-dst").results(Input))
        srcs[0].value = "Forklift"
        await pilot.pause()
        assert "capital letters" in msg() and "fix:" in msg()
        await pilot.press("ctrl+s")  # refused: the dialog stays
        assert app.screen is dialog
        for inp, value in zip(srcs, ["forklift", "pallet", "person", "", ""], strict=True):
            inp.value = value
        for inp, value in zip(dsts, ["forklift", "forklift", "person", "", ""], strict=True):
            inp.value = value
        await pilot.pause()
        assert "forklift:forklift, pallet:forklift, person:person" in msg() and "2 model classes" in msg()
        await pilot.press("escape")  # cancel keeps NVIDIA's mapping
        await pilot.pause()
        assert app.screen is not dialog and "classes unchanged" in _detail(tree)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        srcs, dsts = list(dialog.query(".cm-src").results(Input)), list(dialog.query(".cm-dst").results(Input))
        for inp, value in zip(srcs, ["forklift", "pallet", "", "", ""], strict=True):
            inp.value = value
        for inp, value in zip(dsts, ["forklift", "forklift", "", "", ""], strict=True):
            inp.value = value
        await pilot.press("ctrl+n")  # one more label
        await pilot.pause()
        assert len(dialog.query(".cm-row")) == 6 and dialog.focused.has_class("cm-src")
        await pilot.press(*"person")
        await pilot.press("ctrl+s")
        await _wait(pilot, lambda: tree.current_row is not None and tree.current_row.provenance == "yours", "save")
        blocks = [r for r in tree.rows
                  if re.fullmatch(r"cost_function_config\.target_classes(\[\d\])?\.name", r.path) and r.spec == TRAIN]
        assert [r.value for r in blocks] == ["forklift", "person"]
        assert all(r.provenance == "rewritten" and "forklift:forklift, pallet:forklift" in r.origin for r in blocks)
    stored = Project.load(project).params[MAPPING]
    assert stored == [["forklift", "forklift"], ["pallet", "forklift"], ["person", "person"]]  # as `new --classes`


async def test_locked_rewritten_and_unlock_through_the_confirm_dialog(project):
    from tao_tui.ui.screens.unlock_confirm import UnlockConfirm

    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await _open_params(pilot)
        await _select(pilot, tree, TFRECORDS)
        assert "rewritten by tao-tui from dataset_convert's output" in _detail(tree)
        await pilot.press("e")
        assert "is locked (tao-tui rewrites it)" in _detail(tree)
        await _select(pilot, tree, SEED)
        await pilot.press("e")
        assert not tree.query_one("#param-edit").display and "u unlocks it" in _detail(tree)
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, UnlockConfirm)
        await pilot.press("enter")  # Cancel has the focus: Enter keeps it locked
        await pilot.pause()
        assert not isinstance(app.screen, UnlockConfirm) and "kept locked" in _detail(tree)
        assert Project.load(project).unlocked == []
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert Project.load(project).unlocked == []
        await pilot.press("u")
        await pilot.pause()
        await pilot.click("#unlock-yes")
        await _wait(pilot, lambda: tree.current_row is not None and tree.current_row.provenance == "unlocked", "unlock")
        assert Project.load(project).unlocked == [SEED]
        assert "UNLOCKED random_seed" in _detail(tree)
        assert tree.query_one("#param-table").get_row_at(tree.query_one("#param-table").cursor_row)[0].plain == "U"
        await pilot.press("e")
        await _type(pilot, "7")
        await pilot.press("enter")
        await _wait(pilot, lambda: tree.current_row is not None and tree.current_row.value == 7, "the save")
    assert "random_seed: 7" in (project / "specs" / TRAIN).read_text()
    assert yaml.safe_load((project / "project.yaml").read_text())["unlocked"] == [SEED]


async def test_diff_shows_every_spec_file_against_nvidias(project):
    from tao_tui.ui.screens.spec_diff import SpecDiffScreen
    from tao_tui.workflow.create import set_param

    set_param(project, EPOCHS, 150)
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_params(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, SpecDiffScreen)
        text = app.screen.query_one("#diff-text").render()
        shown = str(text)
        for spec in ("detectnet_v2_tfrecords_kitti_trainval.txt", TRAIN, "detectnet_v2_retrain_resnet18_kitti.txt",
                     "detectnet_v2_inference_kitti_tlt.txt"):  # fmt: skip
            assert f"── {spec} " in shown
        assert "+  num_epochs: 150" in shown and "-  num_epochs: 120" in shown
        assert "(NVIDIA's file as is)" in shown  # the tfrecords spec: nothing changed
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SpecDiffScreen)


async def test_sections_fold_and_open(project):
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await _open_params(pilot)
        await _select(pilot, tree, f"{TRAIN}:training_config")
        before = len(tree.shown)
        await pilot.press("enter")
        assert len(tree.shown) < before and tree.current.key == f"{TRAIN}:training_config"
        await pilot.press("right")
        assert len(tree.shown) == before
        await pilot.press("down", "left")  # on a value, ← folds its section
        assert len(tree.shown) < before and tree.current.key == f"{TRAIN}:training_config"


async def test_value_column_stays_visible_at_80_columns(project):
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await _open_params(pilot)
        table = tree.query_one("#param-table")
        name_w, value_w = tree._widths
        assert value_w >= 18
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.size.width
        await _select(pilot, tree, f"{TRAIN}:model_config.pretrained_model_file")
        cells = table.get_row_at(table.cursor_row)
        assert cells[2].plain.endswith("…") and len(cells[2].plain) <= value_w
        assert tree.current_row.value in _detail(tree).replace("\n", "")  # the full value, below


# ----------------------------------------------------------------- the tree model, without the UI


def test_tree_model_groups_sections_and_opens_only_what_matters(project):
    rows = project_paramset(Project.load(project)).describe()
    nodes = build_tree(rows)
    assert [n.label for n in nodes] == list(dict.fromkeys(r.spec for r in rows))
    opened = default_open(nodes)
    shown = visible(nodes, opened)
    values = [n for n in shown if n.kind == "value"]
    assert {n.row.key for n in values if n.row.safe} == {r.key for r in rows if r.safe}
    assert len(shown) < len(rows)  # NVIDIA's sections start folded
    everything = visible(nodes, {n.key for n in _walk(nodes) if n.foldable})
    assert [n.row.key for n in everything if n.kind == "value"] == [r.key for r in rows]


def test_split_path():
    assert split_path("a.b[1].c") == ["a", "b[1]", "c"]
    assert split_path("[3]") == ["[3]"]
    assert split_path("train.optim.lr") == ["train", "optim", "lr"]


def _walk(nodes: list[Node]):
    for n in nodes:
        yield n
        yield from _walk(n.children)


def test_check_value_is_a_dry_run(project):
    from tao_tui.ui.widgets.param_tree import check_value

    before = (project / "specs" / TRAIN).read_text()
    assert "valid" in check_value(project, EPOCHS, "5")
    assert "lowered from 10 to 5" in check_value(project, EPOCHS, "5")  # the notice of the locked intervals
    assert "between 1 and 500" in check_value(project, EPOCHS, "501")
    assert (project / "specs" / TRAIN).read_text() == before
    assert asyncio is not None


async def test_a_capitalised_class_key_written_by_hand_is_flagged(project):
    spec = project / "specs" / TRAIN
    spec.write_text(spec.read_text().replace('key: "van"', 'key: "Van"', 1))
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await _open_params(pilot)
        await _select(pilot, tree, MAPPING)
        shown = _detail(tree)
        assert "class name 'Van' has capital letters" in shown and "fix: use 'van'" in shown
        table = tree.query_one("#param-table")
        assert "red" in str(table.get_row_at(table.cursor_row)[2].style)


async def test_number_keys_leave_the_parameters_tab_while_the_tree_has_focus(project):
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_params(pilot)  # the tree's table has the focus
        tabs = app.screen.query_one("#tabs")
        await pilot.press("1")
        await pilot.pause()
        assert tabs.active == "tab-log"
        await pilot.press("3")
        await pilot.pause()
        assert tabs.active == "tab-params"
        app.screen.query_one("#param-table").focus()
        await pilot.press("2")
        await pilot.pause()
        assert tabs.active == "tab-curves"


async def test_the_parameters_tab_opens_at_the_selected_stages_spec(project):
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")  # train
        await _open_params(pilot)
        tree = app.screen.query_one("#params", ParamTree)
        assert tree.current.row.spec == TRAIN and tree.current.row.editable
        await pilot.press("1", "up", "3")  # dataset_convert, then its parameters
        await pilot.pause()
        assert tree.current.row.spec != TRAIN and "tfrecords" in tree.current.row.spec


async def test_slash_finds_a_parameter_by_name(project):
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await _open_params(pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert type(app.screen).__name__ == "SearchScreen"
        await pilot.press(*"epochs", "enter")
        await pilot.pause()
        assert tree.current.row is not None and "epochs" in tree.current.row.path
        first = tree.current.key
        found = len(tree._found)
        await pilot.press("n")
        await pilot.pause()
        assert (tree.current.key != first) == (found > 1)
        await pilot.press("slash", *"no-such-parameter", "enter")
        await pilot.pause()
        assert tree.search("no-such-parameter") == 0
