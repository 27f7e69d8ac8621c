"""One run per project stage: concurrent starts (CLI processes) make exactly one container."""

from __future__ import annotations

import os
import subprocess
import sys

from test_pipeline import _project, dataset, test_env  # noqa: F401 - fixtures

from tao_tui.project import Project
from tao_tui.runtime.runner import LABEL_PROJECT, LABEL_STAGE, StageAlreadyRunning, StageRunner


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tao_tui.cli", *args], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_concurrent_runs_of_a_stage_start_one_container(tmp_path, dataset, tao_test_image, engine,  # noqa: F811
                                                            test_env):  # noqa: F811
    root = _project(tmp_path, dataset, tao_test_image, delay="0.3")
    # a delay at every fault point widens the window between "look for a running container"
    # and "started": without the stage lock both processes would start one
    env = {"TAO_TUI_FAULT_DELAY": "0.4"}
    procs = [_cli("run", "dataset_convert", "--project", str(root), "--detach", env=env) for _ in range(3)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 1, 1], results
    losers = [r[2] for r in results if r[0] == 1]
    for err in losers:
        assert "already running" in err and "tao-tui logs -f dataset_convert" in err, err
        assert "tao-tui stop dataset_convert" in err and "Traceback" not in err
    project = Project.load(root)
    found = engine.find({LABEL_PROJECT: project.id, LABEL_STAGE: "dataset_convert"})
    assert len(found) == 1
    run_id = project.stages["dataset_convert"].run_id
    assert any(run_id in err for err in losers), "the loser names the running run"
    # the API refuses too (the app goes through it)
    runner = StageRunner(project)
    try:
        runner.start("dataset_convert", None)
    except StageAlreadyRunning as err:
        assert err.run_id == run_id
    else:
        raise AssertionError("a second start of a running stage must be refused")
    assert runner.attach(run_id) == 0
    assert not engine.find({LABEL_PROJECT: project.id, LABEL_STAGE: "dataset_convert"})


def test_docker_holds_no_key_and_tao_still_gets_it(tmp_path, dataset, tao_test_image, engine,  # noqa: F811
                                                   test_env):  # noqa: F811
    """`docker inspect` (Config.Cmd/Env/Labels/everything) of a keyed TAO 4 stage never holds the key;
    the fake TAO process sees `-k <key>` (it says "key given")."""
    import json

    from test_pipeline import SECRET

    root = _project(tmp_path, dataset, tao_test_image, version="4.0.1")  # TAO 4: train has -k
    project = Project.load(root)
    project.env["FAKE_TAO_MODEL_EXT"] = "tlt"  # TAO 4 writes encrypted .tlt models
    project.save()
    from tao_tui.cli import main

    assert main(["run", "dataset_convert", "--project", str(root), "--quiet"]) == 0
    with Project.locked(root) as project:
        project.env["FAKE_TAO_LINE_DELAY"] = "0.05"
    proc = _cli("run", "train", "--project", str(root), "--detach", env={})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    project = Project.load(root)
    [info] = engine.find({LABEL_PROJECT: project.id, LABEL_STAGE: "train"})
    attrs = engine.client.api.inspect_container(info.id)
    assert SECRET not in json.dumps(attrs)
    cmd = attrs["Config"]["Cmd"]
    assert "@TAO_TUI_KEY@" in cmd and "-k" in cmd
    ps = engine.client.api.containers(all=True, trunc=False, filters={"id": info.id})
    assert SECRET not in json.dumps(ps)
    assert StageRunner(project).attach(project.stages["train"].run_id) == 0
    log = (root / "runs" / project.stages["train"].run_id / "log").read_text()
    assert "key given" in log and SECRET not in log
