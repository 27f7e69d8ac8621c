"""After an SSH drop the wizard finds the running stage and follows it to its end (real engine)."""

from __future__ import annotations

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.ui.app import TaoTuiApp
from tests.datasets import make_kitti


def _project(tmp_path, monkeypatch, image: str, *, delay: str):
    """A detectnet_v2 project on the fake TAO image: one KITTI image, no network, paced log."""
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")
    make_kitti(tmp_path / "kitti", ("car",), 1)  # one image, one labelled car
    root = tmp_path / "proj"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--dataset", str(tmp_path / "kitti"),
                 "--tao-version", "5.0.0", "--image", image, "--yes"]) == 0
    project = Project.load(root)
    project.container_network = False
    project.env = {"FAKE_TAO_LINE_DELAY": delay}
    project.save()
    return root, project


def _assert_whole_log(log: list[str]) -> None:
    """Every line the fake TAO printed (its recorded dataset_convert log), once each, in order,
    with the engine's timestamps strictly increasing (the runner removes the container once the
    run is recorded, so the file is checked against what the container prints)."""
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[1] / "fixtures/logs/detectnet_v2_dataset_convert_coco.log"
    expected = [x for x in fixture.read_text().splitlines() if not x.startswith("# ")]
    stamps = [line.split(" ", 1)[0] for line in log]
    texts = [line.split(" ", 1)[1] if " " in line else "" for line in log]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "a line doubled or out of order"
    it = iter(texts)
    assert all(any(t == want for t in it) for want in expected if want), "a line of the container is missing"


async def test_wizard_reattaches_to_a_stage_started_before_it(tmp_path, monkeypatch, engine, tao_test_image,
                                                              capsys):
    root, project = _project(tmp_path, monkeypatch, tao_test_image, delay="0.05")
    # the stage starts, and its follower is gone (the SSH session that ran it dropped)
    assert main(["run", "dataset_convert", "--project", str(root), "--detach"]) == 0
    run_id = Project.load(root).stages["dataset_convert"].run_id
    app = TaoTuiApp(project=root)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(150):
            await pilot.pause(0.1)
            if Project.load(root).stages["dataset_convert"].status != "running":
                break
        def shown() -> str:
            return "\n".join(str(line) for line in app.screen.query_one("#log").lines)

        for _ in range(50):  # the watcher reads the run's files ≤ 2 times a second, the pane draws ≤ 2
            if "Tfrecords generation complete." in shown():
                break
            await pilot.pause(0.1)
        shown = shown()
    assert Project.load(root).stages["dataset_convert"].status == "done"
    assert "Tfrecords generation complete." in shown
    _assert_whole_log((root / "runs" / run_id / "log").read_text().splitlines())
    assert not engine.find({"tao-tui.project": project.id, "tao-tui.run": run_id})  # recorded: removed


async def test_quitting_the_wizard_leaves_the_stage_running(tmp_path, monkeypatch, engine, tao_test_image, capsys):
    import time

    root, project = _project(tmp_path, monkeypatch, tao_test_image, delay="0.3")
    app = TaoTuiApp(project=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")  # dataset_convert: ~4 s of log at this pace
        for _ in range(50):
            await pilot.pause(0.1)
            if Project.load(root).stages.get("dataset_convert"):
                break
        await pilot.pause(0.5)
        started = time.monotonic()
        await pilot.press("q")
    assert time.monotonic() - started < 5, "quitting must not wait for the stage"
    st = Project.load(root).stages["dataset_convert"]
    assert st.status == "running"
    info = engine.find({"tao-tui.project": project.id, "tao-tui.run": st.run_id})[0]
    assert info.status == "running"  # the container goes on without the wizard
    assert main(["run", "dataset_convert", "--project", str(root), "--quiet"]) == 0  # re-attaches
    assert "re-attaching" in capsys.readouterr().err
    _assert_whole_log((root / "runs" / st.run_id / "log").read_text().splitlines())
    assert Project.load(root).stages["dataset_convert"].status == "done"
