"""After an SSH drop the wizard finds the running stage and follows it to its end (real engine)."""

from __future__ import annotations

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.ui.app import TaoTuiApp


async def test_wizard_reattaches_to_a_stage_started_before_it(tmp_path, monkeypatch, engine, tao_test_image,
                                                              capsys):
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")
    data = tmp_path / "kitti/training"
    (data / "image_2").mkdir(parents=True)
    (data / "label_2").mkdir()
    (data / "image_2/0.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 24)
    (data / "label_2/0.txt").write_text("car 0 0 0 1 2 30 40 0 0 0 0 0 0 0\n")
    root = tmp_path / "proj"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--dataset", str(tmp_path / "kitti"),
                 "--tao-version", "5.0.0", "--image", tao_test_image, "--yes"]) == 0
    project = Project.load(root)
    project.container_network = False
    project.env = {"FAKE_TAO_LINE_DELAY": "0.05"}
    project.save()
    # the stage starts, and its follower is gone (the SSH session that ran it dropped)
    assert main(["run", "dataset_convert", "--project", str(root), "--detach"]) == 0
    run_id = Project.load(root).stages["dataset_convert"].run_id
    app = TaoTuiApp(project=root)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(150):
            await pilot.pause(0.1)
            if Project.load(root).stages["dataset_convert"].status != "running":
                break
        await pilot.pause(0.5)
        shown = "\n".join(str(line) for line in app.screen.query_one("#log").lines)
    assert Project.load(root).stages["dataset_convert"].status == "done"
    assert "Tfrecords generation complete." in shown
    log = (root / "runs" / run_id / "log").read_text().splitlines()
    container = engine.client.containers.get(
        engine.find({"tao-tui.project": project.id, "tao-tui.run": run_id})[0].id)
    assert log == container.logs(timestamps=True).decode().splitlines()
