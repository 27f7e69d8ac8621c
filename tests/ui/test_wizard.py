"""The wizard as a beginner walks it at 80x24: start → catalog → set-up steps → project.

The project the wizard writes must equal `tao-tui new` with the same flags, byte for byte.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tao_tui import cli
from tao_tui.ui.app import TaoTuiApp
from tests.datasets import make_kitti


async def wait_for(pilot, cond, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


async def type_into(pilot, text: str, selector: str | None = None) -> None:
    """Replace an Input's text (``selector``'s, else the focused one's) and type ``text`` key by key."""
    if selector is not None:
        pilot.app.screen.query_one(selector).focus()
        await pilot.pause()
    pilot.app.focused.value = ""
    await pilot.press(*text)


@pytest.fixture
def forklift_dataset(tmp_path) -> Path:
    return make_kitti(tmp_path / "warehouse", classes=("Forklift", "Person", "Pallet"), n=6)


async def test_walk_set_up_at_80x24_equals_tao_tui_new(tmp_path, forklift_dataset):
    folder = tmp_path / "det"
    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "StartScreen"
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ == "CatalogScreen"
        assert app.focused.id == "filter"  # typing filters at once
        await pilot.press(*"detect")
        await pilot.pause()
        networks = app.screen.query_one("#networks")
        shown = [networks.get_option_at_index(i).id for i in range(networks.option_count)]
        assert shown[0] == "detectnet_v2" and len(shown) == len(set(shown))  # one row per network
        assert "detectnet_v2" in str(app.screen.query_one("#detail").render())
        await pilot.press("enter")
        await pilot.pause()

        setup = app.screen
        assert type(setup).__name__ == "SetupScreen" and setup.step == "folder"
        assert app.focused.id == "dir"  # no Tab needed to start typing
        await type_into(pilot, str(folder))
        await pilot.press("enter")
        await pilot.pause()
        assert setup.step == "dataset" and app.focused.id == "dataset"
        await type_into(pilot, str(forklift_dataset))
        await pilot.press("enter")  # scans, in a worker
        await wait_for(pilot, lambda: setup.scan is not None)
        summary = str(setup.query_one("#scan-summary").render())
        assert "6 images" in summary and "forklift" in summary
        await pilot.press("enter")
        await pilot.pause()

        assert setup.step == "classes"
        rows = setup._class_sources
        values = {src: setup.query_one(f"#class-{i}").value for i, src in enumerate(rows)}
        assert values == {"forklift": "forklift", "person": "person", "pallet": "pallet"}
        pallet = rows.index("pallet")
        await type_into(pilot, "Forklift", f"#class-{pallet}")  # capitals: said beside the field, as typed
        await pilot.pause()
        assert "lower case" in str(setup.query_one(f"#class-{pallet}-error").render())
        await type_into(pilot, "forklift")
        await pilot.pause()
        assert str(setup.query_one(f"#class-{pallet}-error").render()) == ""
        await pilot.press("enter")  # Enter is Next, from any field of the step
        await pilot.pause()

        assert setup.step == "gpus" and app.focused.id == "gpus"
        await pilot.press("down")  # ↓ moves to the key field
        await pilot.pause()
        assert app.focused.id == "key"
        await pilot.press("enter")  # 1 GPU, no key
        await pilot.pause()
        assert setup.step == "values" and app.focused.id == "value-0"
        labels = [p.path for p in setup.values]
        batch = labels.index("training_config.batch_size_per_gpu")
        epochs = labels.index("training_config.num_epochs")
        await type_into(pilot, "0", f"#value-{epochs}")
        await pilot.pause()
        assert "between 1 and 500" in str(setup.query_one(f"#value-{epochs}-error").render())
        await type_into(pilot, "40")
        await type_into(pilot, "8", f"#value-{batch}")
        await pilot.pause()
        assert str(setup.query("#next").first().label).startswith("Create project")
        cli_line = setup.cli_argv()  # shown on the step, for users to graduate to the CLI
        assert "tao-tui new" in str(setup.query_one("#cli-line").render())
        await pilot.click("#next")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ProjectScreen")

    by_cli = tmp_path / "cli"
    argv = cli_line[1:]
    argv[argv.index("--dir") + 1] = str(by_cli)
    pairs = set(argv[argv.index("--classes") + 1].split(","))
    assert pairs == {"forklift:forklift", "pallet:forklift", "person:person"}
    assert {"training_config.batch_size_per_gpu=8", "training_config.num_epochs=40"} <= set(argv)
    assert cli.main(argv) == 0
    ours = sorted(p.name for p in (folder / "specs").iterdir())
    assert ours == sorted(p.name for p in (by_cli / "specs").iterdir())
    for name in ours:
        assert (folder / "specs" / name).read_bytes() == (by_cli / "specs" / name).read_bytes(), name
    spec = (folder / "specs" / "detectnet_v2_train_resnet18_kitti.txt").read_text()
    assert 'key: "pallet"' in spec and "num_epochs: 40" in spec


async def test_folder_errors_show_beside_the_field(tmp_path):
    from tao_tui.ui.screens.setup import SetupScreen

    a_file = tmp_path / "file"
    a_file.write_text("x")
    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(SetupScreen("detectnet_v2"))
        await pilot.pause()
        for text, said in [(str(a_file), "is a file"), (str(a_file / "sub"), "is a file"),
                           ("", "type a folder")]:
            await type_into(pilot, text)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen.step == "folder"
            assert said in str(app.screen.query_one("#dir-error").render())
            assert app.screen.query_one("#dir-error").region.bottom <= 22  # on screen, not below the fold
        await pilot.press("escape")  # back to where it came from, nothing created
        await pilot.pause()
        assert type(app.screen).__name__ == "StartScreen"
    assert not (a_file / "sub").exists()


async def test_started_inside_a_project_opens_it(tmp_path):
    from tao_tui.workflow.create import create_project

    project = create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0")
    inside = project.root / "specs"
    app = TaoTuiApp(start_dir=inside)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "ProjectScreen"
        assert Path(app.screen.root) == project.root
    from tao_tui.recent import recent_projects

    assert [r.root for r in recent_projects()] == [project.root]


async def test_start_screen_lists_recent_projects_and_drops_stale_ones(tmp_path):
    import shutil

    from tao_tui.recent import remember
    from tao_tui.workflow.create import create_project

    kept = create_project(tmp_path / "kept", "detectnet_v2", tao_version="5.0.0")
    gone = create_project(tmp_path / "gone", "detectnet_v2", tao_version="5.0.0")
    remember(gone.root)
    remember(kept.root)
    shutil.rmtree(gone.root)
    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        box = app.screen.query_one("#projects")
        texts = [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]
        assert any("kept" in t and "detectnet_v2 · TAO 5.0.0" in t for t in texts)
        assert not any("gone" in t for t in texts)
        await pilot.press("down", "down", "enter")  # the first recent project
        await pilot.pause()
        assert type(app.screen).__name__ == "ProjectScreen"


def test_cli_folder_argument_means_project(tmp_path, capsys):
    assert cli._project_dir_form(["/some/dir"]) == ["--project", "/some/dir"]
    assert cli._project_dir_form(["--plain", "d"]) == ["--plain", "--project", "d"]
    assert cli._project_dir_form(["status", "--project", "d"]) == ["status", "--project", "d"]
    assert cli.main([str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert cli.main([str(tmp_path)]) == 1
    assert "not a tao-tui project" in capsys.readouterr().err


def test_recent_index_survives_a_damaged_file(tmp_path):
    from tao_tui import recent

    recent.index_path().parent.mkdir(parents=True, exist_ok=True)
    recent.index_path().write_bytes(b"\xff\xfe not json")
    assert recent.recent_projects() == []
    os.makedirs(tmp_path / "p", exist_ok=True)
    recent.remember(tmp_path / "p")  # not a project: dropped when read
    assert recent.recent_projects() == []


@pytest.mark.parametrize("text,said", [
    ("", "type a folder"),
    ("/proc/tao/x", "proc file system"),
    ("/sys/x", "sysfs"),
])
def test_new_folder_rules(text, said):
    from tao_tui.ui.screens.setup import check_new_folder

    folder, problem, is_project = check_new_folder(text)
    assert folder is None and said in problem and not is_project


def test_new_folder_rules_on_disk(tmp_path):
    from tao_tui.ui.screens.setup import check_new_folder
    from tao_tui.workflow.create import create_project

    (tmp_path / "f").write_text("x")
    assert "is a file" in check_new_folder(str(tmp_path / "f"))[1]
    assert "is a file" in check_new_folder(str(tmp_path / "f" / "below"))[1]
    assert check_new_folder(str(tmp_path / "new" / "deeper")) == (tmp_path / "new" / "deeper", "", False)
    create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0")
    folder, problem, is_project = check_new_folder(str(tmp_path / "p"))
    assert is_project and folder == tmp_path / "p" and "already holds a project" in problem


async def _folder_then_dataset(pilot, setup, folder, dataset) -> None:
    """Open the set-up ``setup``, type the project ``folder``, Enter, type the ``dataset`` folder."""
    await pilot.pause()
    pilot.app.push_screen(setup)
    await pilot.pause()
    await type_into(pilot, str(folder))
    await pilot.press("enter")
    await pilot.pause()
    await type_into(pilot, str(dataset))
    await pilot.pause()


async def test_a_format_tao_tui_cannot_scan_does_not_block_the_step(tmp_path):
    from tao_tui.ui.screens.setup import SetupScreen

    (tmp_path / "flowers" / "daisy").mkdir(parents=True)
    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await _folder_then_dataset(pilot, SetupScreen("classification_tf1"), tmp_path / "proj", tmp_path / "flowers")
        assert "cannot check" in str(app.screen.query_one("#scan-summary").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.step == "gpus"  # no class table without a scan; on to the GPUs


async def test_escape_leaves_a_project_for_the_start_screen(tmp_path):
    from tao_tui.recent import recent_projects
    from tao_tui.workflow.create import create_project

    project = create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0")
    app = TaoTuiApp(project=project.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "ProjectScreen"
        app.screen.query_one("#log").focus()
        await pilot.pause()
        await pilot.press("escape")  # first out of the log, to the stage list
        await pilot.pause()
        assert type(app.screen).__name__ == "ProjectScreen" and app.focused.id == "stages"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "StartScreen"
        box = app.screen.query_one("#projects")
        assert any("detectnet_v2" in str(box.get_option_at_index(i).prompt) for i in range(box.option_count))
    assert [r.root for r in recent_projects()] == [project.root]


def test_cli_new_remembers_the_project(tmp_path):
    from tao_tui.recent import recent_projects

    assert cli.main(["new", "--network", "detectnet_v2", "--dir", str(tmp_path / "p"), "--tao-version", "5.0.0",
                     "--yes"]) == 0
    assert [r.root for r in recent_projects()] == [(tmp_path / "p").resolve()]


async def test_another_tao_version_brings_its_own_safe_values():
    from tao_tui.specs.netdef import load_network
    from tao_tui.ui.screens.setup import SetupScreen, value_params

    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(SetupScreen("classification_pyt"))
        await pilot.pause()
        setup = app.screen
        for version in ("5.5.0", "6.26.3"):
            setup.query_one("#version").value = version
            await pilot.pause()
            want = [p.path for p in value_params(load_network("classification_pyt", version=version))]
            assert [p.path for p in setup.values] == want
            assert len(setup.query("#step-values Input")) == len(want)


async def test_run_flags_are_app_actions_skip_checks_and_fresh(tmp_path, monkeypatch):
    """What the CLI takes as --skip-checks and --fresh, the app asks: pre-flight problems → run anyway;
    an earlier run's results → resume or start over. Escape starts nothing."""
    from tao_tui.project import Project
    from tao_tui.workflow.create import create_project

    monkeypatch.setenv("PATH", "/nonexistent")  # no NGC CLI: the pretrained model stays missing
    project = create_project(tmp_path / "p", "detectnet_v2", tao_version="5.0.0")
    (project.results_dir("train")).mkdir(parents=True, exist_ok=True)
    (project.results_dir("train") / "model.step-100.tlt").write_text("x")
    app = TaoTuiApp(project=project.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen._select_stage("train")
        await pilot.pause()
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ChoiceDialog")
        dialog = app.screen
        assert "pre-flight found" in str(dialog.query_one("#choice-body Static").render())
        labels = [str(b.label) for b in dialog.query("Button")]
        assert "Run anyway (--skip-checks)" in labels and app.focused.id == "choice-fix"  # the safe answer first
        await pilot.click("#choice-skip")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ChoiceDialog" and app.screen is not dialog)
        leftovers = app.screen
        assert "holds an earlier run" in leftovers.title_text and "model.step-100.tlt" in leftovers.body
        assert "Start over (--fresh)" in [str(b.label) for b in leftovers.query("Button")]
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ProjectScreen"
        assert "train" not in screen._starting
    assert Project.load(project.root).stages.get("train") is None  # nothing started


def test_project_folder_never_an_existing_folder_with_files(tmp_path, forklift_dataset):
    from tao_tui.ui.screens.setup import check_new_folder

    folder, problem, _ = check_new_folder(str(forklift_dataset))
    assert folder is None and "already has files" in problem
    (tmp_path / "empty").mkdir()
    assert check_new_folder(str(tmp_path / "empty"))[1] == ""


async def test_dataset_and_project_folder_must_not_overlap(tmp_path, forklift_dataset):
    from tao_tui.ui.screens.setup import SetupScreen

    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await _folder_then_dataset(pilot, SetupScreen("detectnet_v2"), forklift_dataset / "project", forklift_dataset)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.step == "dataset"
        assert "overlap" in str(app.screen.query_one("#dataset-error").render())


async def test_the_machine_boxs_more_below_hint_goes_once_scrolled_to_the_end(monkeypatch):
    from tao_tui.runtime import doctor
    from tao_tui.runtime.doctor import Check

    monkeypatch.setattr(doctor, "run_checks", lambda: [Check(f"check {i}", "warn", "detail", "a fix") for i in range(12)])
    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.screen.query_one("#machine-box")
        for _ in range(40):
            await pilot.pause(0.1)
            if box.border_subtitle:
                break
        assert box.border_subtitle.startswith("more below")
        box.scroll_end(animate=False)
        await pilot.pause(0.2)
        assert box.border_subtitle == ""
        box.scroll_home(animate=False)
        await pilot.pause(0.2)
        assert box.border_subtitle.startswith("more below")


async def test_choosing_a_tao_version_with_the_keys_leaves_enter_as_next(tmp_path):
    from tao_tui.ui.screens.setup import SetupScreen

    app = TaoTuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(SetupScreen("detectnet_v2"))
        await pilot.pause()
        setup = app.screen
        setup.query_one("#dir").value = str(tmp_path / "new-project")
        setup.query_one("#version").focus()
        before = setup.query_one("#version").value
        await pilot.press("enter")  # opens the list
        await pilot.pause()
        await pilot.press("down", "enter")  # another version, chosen
        await pilot.pause(0.3)
        assert setup.query_one("#version").value != before
        assert app.focused is setup.query_one("#dir")
        await pilot.press("enter")  # Next
        await pilot.pause(0.3)
        assert setup.step != "folder"
