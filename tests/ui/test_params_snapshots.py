"""Snapshots of the Parameters tab and the unlock dialog at 80x24 and 160x48."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tao_tui.ui.app import TaoTuiApp
from tao_tui.workflow.create import create_project

# a fixed path keeps the snapshots stable (the project folder is shown in the title bar)
SNAP_PROJECT = Path("/tmp/tao-tui-snapshot-params")
TRAIN = "detectnet_v2_train_resnet18_kitti.txt"


@pytest.fixture(autouse=True)
def fixed_gpus(monkeypatch):
    from tao_tui.runtime import gpu

    monkeypatch.setattr(gpu, "read_gpus", lambda ttl=1.0: gpu.GpuState(
        gpus=[gpu.GpuInfo(0, "NVIDIA H100", 12 * 2**30, 80 * 2**30, 97)]))


@pytest.fixture
def project() -> Path:
    """A project with a value of each provenance: yours (epochs, classes), rewritten (chained paths,
    class blocks, lowered intervals), NVIDIA's; and one hand edit (differs)."""
    shutil.rmtree(SNAP_PROJECT, ignore_errors=True)
    create_project(SNAP_PROJECT, "detectnet_v2", tao_version="5.0.0", sets=[("training_config.num_epochs", "8")],
                   classes=[("forklift", "forklift"), ("pallet", "forklift"), ("person", "person")])
    spec = SNAP_PROJECT / "specs" / TRAIN
    spec.write_text(spec.read_text().replace("output_image_width: 1248", "output_image_width: 480"))
    yield SNAP_PROJECT
    shutil.rmtree(SNAP_PROJECT, ignore_errors=True)


async def _params(pilot):
    screen = pilot.app.screen
    screen.query_one("#tabs").active = "tab-params"
    for _ in range(200):  # the tree is mounted after the first frame
        if screen.query("#params"):
            break
        await pilot.pause(0.05)
    tree = screen.query_one("#params")
    for _ in range(200):
        if tree.loaded:
            break
        await pilot.pause(0.05)
    tree.query_one("#param-table").focus()
    await pilot.pause()
    return tree


async def _still(pilot) -> None:
    """No blinking cursor: it would be caught on or off at random."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def _on(pilot, tree, key: str) -> None:
    from tao_tui.ui.widgets.param_tree import split_path

    spec, _, path = key.partition(":")
    segs = split_path(path)
    tree.opened.update({f"{spec}:", *(f"{spec}:{'.'.join(segs[: i + 1])}" for i in range(len(segs) - 1))})
    tree._render_rows(key)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_parameters_tab_snapshot(snap_compare, project, size):
    async def show(pilot):
        tree = await _params(pilot)
        await _on(pilot, tree, f"{TRAIN}:dataset_config.data_sources.tfrecords_path")

    assert snap_compare(TaoTuiApp(project=project), terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_parameters_editing_snapshot(snap_compare, project, size):
    async def edit(pilot):
        tree = await _params(pilot)
        await _on(pilot, tree, f"{TRAIN}:training_config.num_epochs")
        await pilot.press("e", "end", "ctrl+u", "0")
        for _ in range(100):
            if "between 1 and 500" in str(tree.query_one("#param-detail-text").render()):
                break
            await pilot.pause(0.05)
        await _still(pilot)

    assert snap_compare(TaoTuiApp(project=project), terminal_size=size, run_before=edit)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_unlock_dialog_snapshot(snap_compare, project, size):
    async def unlock(pilot):
        tree = await _params(pilot)
        await _on(pilot, tree, f"{TRAIN}:augmentation_config.preprocessing.output_image_width")
        await pilot.press("u")
        await pilot.pause()

    assert snap_compare(TaoTuiApp(project=project), terminal_size=size, run_before=unlock)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_class_table_dialog_snapshot(snap_compare, project, size):
    async def classes(pilot):
        tree = await _params(pilot)
        await _on(pilot, tree, f"{TRAIN}:dataset_config.target_class_mapping")
        await pilot.press("enter")
        await pilot.pause()
        pilot.app.screen.query(".cm-src").first().value = "Forklift"  # a rule broken: shown with its fix
        await pilot.pause()
        await _still(pilot)

    assert snap_compare(TaoTuiApp(project=project), terminal_size=size, run_before=classes)
