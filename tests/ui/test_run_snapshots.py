"""Snapshots of the run, results, search, palette and preview screens at 80x24 and 160x48.

The project has a recorded train run (the real detectnet_v2 log of tests/fixtures, its events
as the runner writes them, a result) and an inference stage's annotated image; nothing is faked
in the app: it reads them back from disk as after a restart.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tao_tui.progress import parse_file
from tao_tui.project import Project, atomic_write_json
from tao_tui.ui.app import TaoTuiApp
from tao_tui.workflow.create import create_project

SNAP = Path("/tmp/tao-tui-snapshot-run")
LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
RUN = "train-20261129-120000-abcd"
STARTED = 1_796_000_000.0


@pytest.fixture(autouse=True)
def fixed_env(monkeypatch):
    """The same GPU line and clock zone on every machine."""
    from tao_tui.runtime import gpu

    monkeypatch.setattr(gpu, "read_gpus", lambda ttl=1.0: gpu.GpuState(
        gpus=[gpu.GpuInfo(0, "NVIDIA H100", 12 * 2**30, 80 * 2**30, 97)]))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def _png(path: Path) -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 48), (30, 60, 90))
    draw = ImageDraw.Draw(img)
    draw.rectangle((10, 8, 40, 36), outline=(255, 200, 0), width=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


@pytest.fixture
def recorded() -> Path:
    shutil.rmtree(SNAP, ignore_errors=True)
    create_project(SNAP, "detectnet_v2", tao_version="5.0.0")
    run_dir = SNAP / "runs" / RUN
    run_dir.mkdir(parents=True)
    lines = [x for x in (LOGS / "detectnet_v2_train_progress.log").read_text().splitlines()
             + (LOGS / "detectnet_v2_train_end.log").read_text().splitlines() if not x.startswith("# ")]
    (run_dir / "log").write_text("".join(f"2026-11-29T12:00:{i % 60:02d}.000000000Z {x}\n"
                                         for i, x in enumerate(lines)))
    events = list(parse_file(LOGS / "detectnet_v2_train_progress.log")) + list(
        parse_file(LOGS / "detectnet_v2_train_end.log"))
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events))
    atomic_write_json(run_dir / "run.json", {"run_id": RUN, "stage": "train", "container_id": "c0ffee",
                                             "command": "tao model detectnet_v2 train", "image": "x",
                                             "started": STARTED})
    atomic_write_json(run_dir / "result.json", {"stage": "train", "run_id": RUN, "exit_code": 0,
                                                "status": "done", "message": None, "outputs": {},
                                                "finished": STARTED + 3723})
    weights = SNAP / "results/train/weights/model.hdf5"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"\0" * 4096)
    (SNAP / "results/train/status.json").write_text('{"status": "SUCCESS"}\n')
    _png(SNAP / "results/inference/images_annotated/000001.png")
    _png(SNAP / "results/inference/images_annotated/000002.png")
    project = Project.load(SNAP)
    st = project.stage("train")
    st.status, st.run_id, st.exit_code, st.started, st.finished = "done", RUN, 0, STARTED, STARTED + 3723
    project.save()
    yield SNAP
    shutil.rmtree(SNAP, ignore_errors=True)


async def _shown(pilot) -> None:
    """Wait until the train run is read back (log tail and progress)."""
    await pilot.press("down")
    for _ in range(200):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if getattr(screen, "_shown_run", None) != RUN:
            continue
        log = screen.query_one("#log")
        if log.lines and log.lines[-1].endswith("training job complete.") and log.scroll_y == log.max_scroll_y:
            break
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.5)  # the scrollbars follow the scroll position on the next refresh


SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES)
def test_run_snapshot(snap_compare, recorded, size):
    assert snap_compare(TaoTuiApp(project=recorded), terminal_size=size, run_before=_shown)


@pytest.mark.parametrize("size", SIZES)
def test_curves_snapshot(snap_compare, recorded, size):
    async def curves(pilot):
        await _shown(pilot)
        pilot.app.screen.query_one("#tabs").active = "tab-curves"
        await pilot.pause(0.5)

    assert snap_compare(TaoTuiApp(project=recorded), terminal_size=size, run_before=curves)


@pytest.mark.parametrize("size", SIZES)
def test_results_snapshot(snap_compare, recorded, size):
    async def results(pilot):
        await _shown(pilot)
        await pilot.press("v")
        await pilot.pause(0.3)

    assert snap_compare(TaoTuiApp(project=recorded), terminal_size=size, run_before=results)


@pytest.mark.parametrize("size", SIZES)
def test_search_snapshot(snap_compare, recorded, size):
    async def search(pilot):
        await _shown(pilot)
        await pilot.press("slash", *"loss")
        await pilot.pause(0.3)

    assert snap_compare(TaoTuiApp(project=recorded), terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES)
def test_palette_snapshot(snap_compare, recorded, size):
    async def palette(pilot):
        await _shown(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        from textual.widgets import Input

        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False  # a blinking cursor makes the snapshot depend on timing
        await pilot.press(*"export script")
        for _ in range(100):  # the palette searches its providers in a worker
            await pilot.pause(0.05)
            hits = pilot.app.screen.query("CommandList")
            if hits and hits.first().option_count == 1 and not pilot.app.screen.query("LoadingIndicator"):
                break
        await pilot.pause(0.5)

    assert snap_compare(TaoTuiApp(project=recorded), terminal_size=size, run_before=palette)


@pytest.mark.parametrize("size", SIZES)
def test_preview_snapshot(snap_compare, recorded, size):
    async def preview(pilot):
        await _shown(pilot)
        await pilot.press("i")
        await pilot.pause(0.5)

    assert snap_compare(TaoTuiApp(project=recorded), terminal_size=size, run_before=preview)
