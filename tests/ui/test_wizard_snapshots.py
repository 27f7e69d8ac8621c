"""Snapshots of every wizard screen and dialog at 80x24 and 160x48 (looked at; see tests/ui/__snapshots__).

Everything machine-dependent is fixed: the doctor checks, the GPUs, the recent-projects index and the
dataset's path, so a snapshot differs only when the screen does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tao_tui.ui.app import TaoTuiApp
from tests.datasets import make_kitti

SIZES = [(80, 24), (160, 48)]
SNAP_DATASET = Path("/tmp/tao-tui-snapshot-dataset")
SNAP_FOLDER = Path("/tmp/tao-tui-snapshot-new")


@pytest.fixture(autouse=True)
def fixed_machine(monkeypatch):
    from tao_tui.runtime import doctor, gpu

    monkeypatch.setattr(gpu, "read_gpus", lambda ttl=1.0: gpu.GpuState(
        gpus=[gpu.GpuInfo(0, "NVIDIA H100", 12 * 2**30, 80 * 2**30, 97)]))
    monkeypatch.setattr(doctor, "run_checks", lambda **_: [
        doctor.Check("engine", "pass", "Docker 27.5 at unix:///var/run/docker.sock"),
        doctor.Check("gpu runtime", "fail", "no nvidia runtime in the engine",
                     "install the NVIDIA Container Toolkit, then `sudo nvidia-ctk runtime configure --runtime=docker`"),
        doctor.Check("gpus", "pass", "1 GPU(s), driver 580.65: NVIDIA H100"),
        doctor.Check("nvcr.io login", "warn", "not logged in to nvcr.io; needed to pull TAO images",
                     "`docker login nvcr.io` with user `$oauthtoken` and your NGC API key"),
        doctor.Check("disk (docker data)", "pass", "412 GiB free in /var/lib/docker"),
    ])


@pytest.fixture
def dataset():
    shutil.rmtree(SNAP_DATASET, ignore_errors=True)
    make_kitti(SNAP_DATASET, classes=("Forklift", "Person", "Pallet"), n=6)
    shutil.rmtree(SNAP_FOLDER, ignore_errors=True)
    yield SNAP_DATASET
    shutil.rmtree(SNAP_DATASET, ignore_errors=True)
    shutil.rmtree(SNAP_FOLDER, ignore_errors=True)


async def _settle(pilot, cond=lambda: True) -> None:
    for _ in range(100):
        await pilot.pause(0.05)
        if cond():
            break
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):  # a blinking cursor would be caught on or off at random
        field.cursor_blink = False
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", SIZES)
def test_start(snap_compare, size):
    async def ready(pilot):
        await _settle(pilot, lambda: "engine" in str(pilot.app.screen.query_one("#machine").render()))

    assert snap_compare(TaoTuiApp(), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_open_folder_dialog(snap_compare, size, tmp_path):
    async def ready(pilot):
        await _settle(pilot)
        await pilot.press("o", *"/nonexistent/folder", "enter")
        await _settle(pilot)

    assert snap_compare(TaoTuiApp(), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_catalog_filtered(snap_compare, size):
    async def ready(pilot):
        await _settle(pilot)
        await pilot.press("n", *"detect")
        await _settle(pilot)

    assert snap_compare(TaoTuiApp(version="5.0.0"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, size):
    async def ready(pilot):
        await _settle(pilot)
        await pilot.press("question_mark")
        await _settle(pilot)

    assert snap_compare(TaoTuiApp(), terminal_size=size, run_before=ready)


def _setup_to(step: str):
    """A run_before that opens detectnet_v2's set-up and walks to ``step`` with the snapshot dataset."""

    async def walk(pilot):
        from tao_tui.ui.screens.setup import SetupScreen

        app = pilot.app
        await _settle(pilot)
        app.push_screen(SetupScreen("detectnet_v2", "5.0.0"))
        await _settle(pilot)
        setup = app.screen
        setup.query_one("#dir").value = str(SNAP_FOLDER)
        await _settle(pilot)
        if step == "folder-error":
            setup.query_one("#dir").value = "/proc/x/y"
            await pilot.press("enter")
            await _settle(pilot)
            return
        await pilot.press("enter")
        await _settle(pilot)
        setup.query_one("#dataset").value = str(SNAP_DATASET)
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot, lambda: setup.scan is not None)
        if step == "dataset":
            return
        await pilot.press("enter")
        await _settle(pilot)
        if step == "classes":
            pallet = setup._class_sources.index("pallet")
            setup.query_one(f"#class-{pallet}").value = "Forklift"
            await _settle(pilot)
            return
        await pilot.press("enter")  # Enter is Next from any field
        await _settle(pilot)
        if step == "gpus":
            return
        await pilot.press("enter")
        await _settle(pilot)
        setup.query_one("#value-1").value = "0"
        await _settle(pilot)

    return walk


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", ["folder-error", "dataset", "classes", "gpus", "values"])
def test_setup_steps(snap_compare, dataset, size, step):
    assert snap_compare(TaoTuiApp(), terminal_size=size, run_before=_setup_to(step))


@pytest.mark.parametrize("size", SIZES)
def test_preflight_choice_dialog(snap_compare, size, monkeypatch):
    """r on a stage whose pre-flight fails: the problems, fix first or run anyway (--skip-checks)."""
    from tao_tui.workflow.create import create_project

    monkeypatch.setenv("PATH", "/nonexistent")  # no NGC CLI: the pretrained model stays missing
    shutil.rmtree(SNAP_FOLDER, ignore_errors=True)
    create_project(SNAP_FOLDER, "detectnet_v2", tao_version="5.0.0")

    async def ready(pilot):
        await _settle(pilot)
        pilot.app.screen._select_stage("train")
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot, lambda: type(pilot.app.screen).__name__ == "ChoiceDialog")

    try:
        assert snap_compare(TaoTuiApp(project=SNAP_FOLDER), terminal_size=size, run_before=ready)
    finally:
        shutil.rmtree(SNAP_FOLDER, ignore_errors=True)


def _project_with(dialog: str):
    """A run_before opening ``dialog`` over a fresh detectnet_v2 project's screen."""

    async def ready(pilot):
        from tao_tui.ui.screens.copy_text import CopyTextScreen
        from tao_tui.ui.screens.key_prompt import KeyPrompt
        from tao_tui.ui.screens.spec_diff import SpecDiffScreen

        await _settle(pilot)
        screen = {
            "key": lambda: KeyPrompt(),
            "copy": lambda: CopyTextScreen(
                "tao model detectnet_v2 train -e /workspace/tao-experiments/specs/detectnet_v2_train_resnet18_kitti.txt"
                " -r /workspace/tao-experiments/results/train -k $KEY",
                "[b yellow]sent to the clipboard (OSC 52)[/], but: inside tmux it may not arrive"),
            "diff": lambda: SpecDiffScreen(SNAP_FOLDER),
        }[dialog]()
        pilot.app.push_screen(screen)
        await _settle(pilot)

    return ready


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dialog", ["key", "copy", "diff"])
def test_project_dialogs(snap_compare, size, dialog):
    from tao_tui.workflow.create import create_project

    shutil.rmtree(SNAP_FOLDER, ignore_errors=True)
    create_project(SNAP_FOLDER, "detectnet_v2", tao_version="5.0.0", sets=[("training_config.num_epochs", "40")])
    try:
        assert snap_compare(TaoTuiApp(project=SNAP_FOLDER), terminal_size=size, run_before=_project_with(dialog))
    finally:
        shutil.rmtree(SNAP_FOLDER, ignore_errors=True)
