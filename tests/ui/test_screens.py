"""The TUI, driven with Pilot: snapshots at 80x24 and 160x48, and editing a value for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tao_tui.project import Project
from tao_tui.ui.app import TaoTuiApp
from tao_tui.workflow.create import create_project

# a fixed path keeps the snapshots stable (the project folder is shown in the title bar)
SNAP_PROJECT = Path("/tmp/tao-tui-snapshot-project")


@pytest.fixture(autouse=True)
def fixed_gpus(monkeypatch):
    """The same GPU line on every machine, so snapshots don't depend on the test box's GPUs."""
    from tao_tui.runtime import gpu

    monkeypatch.setattr(gpu, "read_gpus", lambda ttl=1.0: gpu.GpuState(
        gpus=[gpu.GpuInfo(0, "NVIDIA H100", 12 * 2**30, 80 * 2**30, 97)]))


@pytest.fixture
def project() -> Path:
    shutil.rmtree(SNAP_PROJECT, ignore_errors=True)
    create_project(SNAP_PROJECT, "detectnet_v2", tao_version="5.0.0")
    yield SNAP_PROJECT
    shutil.rmtree(SNAP_PROJECT, ignore_errors=True)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_project_snapshot(snap_compare, project, size):
    assert snap_compare(TaoTuiApp(project=project), terminal_size=size, press=["down"])


# The Parameters tab: tests/ui/test_params_tree.py (Pilot) and test_params_snapshots.py.


async def test_copy_shows_the_exact_command(project):
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("down", "c")
        await pilot.pause()
        assert app.clipboard.startswith("tao model detectnet_v2 train -e /workspace/tao-experiments/specs/")
        assert "-k $KEY" in app.clipboard


async def test_run_with_a_failing_preflight_explains_and_starts_nothing(project, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no NGC CLI to fetch the model
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("down", "r")  # train: the pretrained model was never downloaded
        screen = next(s for s in app.screen_stack if type(s).__name__ == "ProjectScreen")
        for _ in range(30):
            await pilot.pause(0.1)
            shown = "\n".join(str(line) for line in screen.query_one("#log").lines)
            if "pretrained model not found" in shown:
                break
        assert "ngc registry model download-version nvidia/tao/pretrained_detectnet_v2:resnet18" in shown
        assert type(app.screen).__name__ == "ChoiceDialog"  # fix first, or run anyway (--skip-checks)
        await pilot.press("escape")
    assert Project.load(project).stages.get("train") is None  # nothing started, nothing recorded


async def test_diff_shows_only_the_users_values(project):
    from tao_tui.workflow.create import render_specs

    p = Project.load(project)
    p.params["detectnet_v2_train_resnet18_kitti.txt:training_config.num_epochs"] = "150"
    render_specs(p)
    p.save()
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("down", "d")
        await pilot.pause(0.5)
        shown = [str(line) for line in app.screen.query_one("#log").lines]
    assert "+  num_epochs: 150" in shown and "-  num_epochs: 120" in shown


async def test_p_shows_what_r_checks_before_the_selected_stage(project, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("down", "p")  # train
        for _ in range(50):
            await pilot.pause(0.1)
            shown = "\n".join(str(line) for line in app.screen.query_one("#log").lines)
            if "pre-flight of train" in shown and "pretrained model not found" in shown:
                break
        assert "── pre-flight of train (what r checks first) ──" in shown
        assert "pretrained model not found" in shown  # the same failure `r` stops on


def _finished_run(root: Path, stage: str) -> str:
    """A recorded, finished run of ``stage`` (what a follower leaves)."""
    import json

    run_id = f"{stage}-20261130-010203-abcd"
    run_dir = root / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"stage": stage, "run_id": run_id, "container_id": "c"}))
    (run_dir / "log").write_text("2026-11-30T01:02:03.000000001Z Tfrecords generation complete.\n")
    (run_dir / "result.json").write_text(json.dumps({"status": "done", "exit_code": 0}))
    with Project.locked(root) as p:
        st = p.stage(stage)
        st.status, st.run_id = "done", run_id
    return run_id


async def test_a_stage_that_has_not_run_says_so_over_another_stages_run(project):
    _finished_run(project, "dataset_convert")
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        for _ in range(30):
            await pilot.pause(0.1)
            if "finished" in screen.query_one("#progress").text:
                break
        assert "finished" in screen.query_one("#progress").text  # dataset_convert's run
        await pilot.press("down")  # train: never ran
        await pilot.pause(0.2)
        note = screen.query_one("#progress").note or ""
        assert "train[/] has not run yet" in note and "dataset_convert's last run" in note
        await pilot.press("up")
        await pilot.pause(0.2)
        assert screen.query_one("#progress").note is None


async def test_k_sets_the_key_for_the_session_only(project, monkeypatch):
    monkeypatch.delenv("KEY", raising=False)
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("k")
        await pilot.pause()
        assert type(app.screen).__name__ == "KeyPrompt"
        await pilot.press(*"tlt_encode", "enter")
        await pilot.pause()
        assert screen.key == "tlt_encode"
    assert "tlt_encode" not in (project / "project.yaml").read_text()


def test_quitting_says_which_stages_keep_running(capsys, tmp_path):
    from tao_tui.ui.app import _say_still_running

    _say_still_running([(tmp_path / "my proj", "train"), (tmp_path / "my proj", "train")])
    out = capsys.readouterr().out
    assert out.count("train keeps running") == 1
    assert f"tao-tui logs -f train --project '{tmp_path / 'my proj'}'" in out


async def test_a_follower_that_stops_is_said_with_its_reason_and_the_fix(project, monkeypatch):
    """An open run (run.json, no result) gets a follower process; when it exits with an error, the
    log pane says why and how to follow the run again (the container is not touched)."""
    import json
    import subprocess

    from tao_tui.runtime import follower

    run_id = "train-20261130-010203-dead"
    run_dir = project / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"stage": "train", "run_id": run_id, "container_id": "c"}))

    def fake_spawn(root, folder):
        with open(folder / follower.LOG_NAME, "ab") as err:
            return subprocess.Popen(["sh", "-c", "echo 'error: lost the connection to Docker; fix: start it' >&2; exit 2"],
                                    stdout=err, stderr=err)

    monkeypatch.setattr(follower, "spawn", fake_spawn)
    app = TaoTuiApp(project=project)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        for _ in range(50):
            await pilot.pause(0.1)
            shown = "\n".join(str(line) for line in screen.query_one("#log").lines)
            if "no longer followed" in shown:
                break
        assert f"train run {run_id}: no longer followed: lost the connection to Docker; fix: start it" in shown
        assert "tao-tui logs -f train --project" in shown
        assert screen.current_stage() == "train"
        assert not screen._live
        for _ in range(20):  # the shown run has no result and no follower: nothing left to watch
            await pilot.pause(0.1)
            if not screen._watching:
                break
        assert not screen._watching
