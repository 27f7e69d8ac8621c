"""The wizard runs and watches stages on the real engine (fake TAO image): issue 12's Done-when.

dataset_convert, then train from the project screen; `r` pressed twice starts one container; the
log pane shows the run's last line; progress shows epoch x/y and a loss curve; the results view
shows mAP and AP per class; quit during a run and start again: re-attached, the pane on train's
log, progress restored from events.jsonl.
"""

from __future__ import annotations

import re
from pathlib import Path

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.ui.app import TaoTuiApp
from tao_tui.ui.widgets.curves import Curves
from tao_tui.ui.widgets.log_pane import LogPane
from tao_tui.ui.widgets.progress_panel import ProgressPanel


def _dataset(tmp_path: Path) -> Path:
    root = tmp_path / "kitti"
    for sub in ("training/image_2", "training/label_2", "testing/image_2"):
        (root / sub).mkdir(parents=True)
    (root / "training/image_2/000000.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\4\xe0\0\0\1\x80" + b"\0" * 8)
    (root / "training/label_2/000000.txt").write_text(
        "".join(f"{c} 0.00 0 0.00 10 10 50 50 0 0 0 0 0 0 0\n" for c in ("car", "pedestrian", "cyclist")))
    (root / "testing/image_2/000001.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\4\xe0\0\0\1\x80" + b"\0" * 8)
    return root


def _project(tmp_path: Path, image: str, delay: str) -> Path:
    root = tmp_path / "proj"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--dataset", str(_dataset(tmp_path)),
                 "--tao-version", "5.0.0", "--image", image, "--set", "training_config.num_epochs=2",
                 "--yes"]) == 0
    pretrained = root / "detectnet_v2/pretrained_resnet18/pretrained_detectnet_v2_vresnet18/resnet18.hdf5"
    pretrained.parent.mkdir(parents=True)
    pretrained.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)  # what the NGC download holds
    project = Project.load(root)
    project.container_network = False
    project.env = {"FAKE_TAO_LINE_DELAY": delay}
    project.save()
    return root


async def _wait(pilot, cond, seconds: float = 60, step: float = 0.1) -> bool:
    for _ in range(int(seconds / step)):
        if cond():
            return True
        await pilot.pause(step)
    return cond()


def _status(root: Path, stage: str) -> str | None:
    st = Project.load(root).stages.get(stage)
    return st.status if st else None


def _select(screen, stage: str) -> None:
    screen._select_stage(stage)


async def test_run_watch_results_and_reattach(tmp_path, monkeypatch, engine, tao_test_image):
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")
    monkeypatch.setenv("KEY", "tlt_encode")
    root = _project(tmp_path, tao_test_image, delay="0.02")
    project = Project.load(root)
    app = TaoTuiApp(project=root)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        await pilot.pause(0.3)
        _select(screen, "dataset_convert")
        await pilot.press("r")
        assert await _wait(pilot, lambda: _status(root, "dataset_convert") == "done"), "dataset_convert did not finish"
        await pilot.pause(1.2)  # a flush or two
        log = screen.query_one("#log", LogPane)
        shown = "\n".join(log.lines)
        assert "Tfrecords generation complete." in shown

        # train, slower: r twice quickly -> one container
        project = Project.load(root)
        project.env = {"FAKE_TAO_LINE_DELAY": "0.12"}
        project.save()
        _select(screen, "train")
        await pilot.press("r", "r")
        await pilot.pause(0.5)
        await pilot.press("r")
        assert await _wait(pilot, lambda: _status(root, "train") == "running", 30)
        containers = engine.find({"tao-tui.project": project.id, "tao-tui.stage": "train"})
        assert len(containers) == 1, "a second r must not start a second container"
        # progress: epoch x/y and a loss curve
        progress = screen.query_one("#progress", ProgressPanel)
        curves = screen.query_one("#curves", Curves)
        assert await _wait(pilot, lambda: "epoch " in progress.text and len(curves.loss) > 0, 30), progress.text
        assert re.search(r"epoch \d+/\d+", progress.text), progress.text
        # quit while train runs, start again: re-attached, pane on train's log, progress from events.jsonl
        await pilot.press("q")
    run_id = Project.load(root).stages["train"].run_id
    assert _status(root, "train") == "running"
    app = TaoTuiApp(project=root)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        log = screen.query_one("#log", LogPane)
        progress = screen.query_one("#progress", ProgressPanel)
        assert await _wait(pilot, lambda: screen._shown_run == run_id and any(
            f"train run {run_id}" in line for line in log.lines), 20), "the pane must show train's run"
        assert await _wait(pilot, lambda: "epoch " in progress.text, 10), progress.text
        assert screen.current_stage() == "train"
        assert await _wait(pilot, lambda: _status(root, "train") == "done", 60), "train did not finish"
        await pilot.pause(1.5)
        file_lines = (root / "runs" / run_id / "log").read_text().splitlines()
        last = file_lines[-1].split(" ", 1)[1]
        assert log.lines[-1].endswith("──") and last in log.lines[-3:]  # the run's last line, then its end
        assert last in app.screen.app.export_screenshot().replace("&#160;", " ")
        assert "finished" in progress.text
        await pilot.press("v")
        await pilot.pause(0.5)
        results = app.screen
        assert type(results).__name__ == "ResultsScreen"
        kpis = results.query_one("#kpis")
        rows = [tuple(str(c) for c in kpis.get_row_at(i)) for i in range(kpis.row_count)]
        assert any(r[0] == "mAP" for r in rows), rows
        ap = results.query_one("#ap")
        assert ap.row_count >= 1
        assert "done" in str(results.query_one("#summary").render())
