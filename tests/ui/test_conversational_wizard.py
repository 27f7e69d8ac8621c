"""The wizard walks a conversational project like a vision one: the download step shown plainly first,
then (once NVIDIA's files are there) every stage and the Parameters tab with the NeMo safe values."""

from __future__ import annotations

import shutil
from pathlib import Path

from tao_tui.specs.downloaded import NVIDIA_SPECS_DIR
from tao_tui.ui.app import TaoTuiApp
from tao_tui.ui.messages import StageFinished
from tao_tui.ui.widgets.stage_list import StageList
from tao_tui.workflow.create import create_project

FAKE_SPECS = Path(__file__).resolve().parents[1] / "engine" / "image" / "specs"


async def _until(pilot, cond, tries: int = 60):
    for _ in range(tries):
        await pilot.pause(0.1)
        if cond():
            return True
    return False


async def test_download_step_then_stages_and_parameters(tmp_path, monkeypatch):
    from tao_tui.runtime import gpu

    monkeypatch.setattr(gpu, "read_gpus", lambda ttl=1.0: gpu.GpuState(gpus=[]))
    root = tmp_path / "asr"
    create_project(root, "speech_to_text", tao_version="3.22.05")
    app = TaoTuiApp(project=root)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        stages = screen.query_one("#stages", StageList)
        assert [stages.get_option_at_index(i).id for i in range(stages.option_count)] == ["download_specs"]
        shown = lambda: "\n".join(str(line) for line in screen.query_one("#log").lines)  # noqa: E731
        assert await _until(pilot, lambda: "NVIDIA ships these specs inside the container" in shown())
        # what download_specs leaves (the fake image's files), then the runner's "done"
        shutil.copytree(FAKE_SPECS / "speech_to_text", root / NVIDIA_SPECS_DIR)
        screen.post_message(StageFinished("download_specs", "run-1", "done", None))
        assert await _until(pilot, lambda: stages.option_count > 1)
        ids = [stages.get_option_at_index(i).id for i in range(stages.option_count)]
        assert ids[:3] == ["download_specs", "dataset_convert", "train"] and "export" in ids
        assert await _until(pilot, lambda: screen.query("#params"))  # mounted after the first frame
        tree = screen.query_one("#params")
        assert await _until(
            pilot, lambda: tree.loaded and any(r.path == "trainer.max_epochs" for r in tree.rows)
        )
        epochs = next(r for r in tree.rows if r.path == "trainer.max_epochs" and r.spec == "train.yaml")
        assert epochs.editable and str(epochs.value) == "100"
        lr = next(r for r in tree.rows if r.path == "optim.lr")
        assert not lr.editable
