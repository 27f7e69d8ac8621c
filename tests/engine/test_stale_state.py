"""Stale state (issue 9, item 5 and 14): an earlier run's model does not make a run done; a removed
container does not leave a stage "running" forever; a container that never started says why."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

from test_pipeline import _project, dataset, test_env  # noqa: F401 - fixtures

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.runtime.runner import LABEL_PROJECT, LABEL_STAGE


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_an_earlier_runs_model_does_not_make_a_run_done(tmp_path, dataset, tao_test_image, engine,  # noqa: F811
                                                       test_env):  # noqa: F811
    root = _project(tmp_path, dataset, tao_test_image)
    assert _cli("run", "dataset_convert", "--project", str(root), "--quiet")[0] == 0
    assert _cli("run", "train", "--project", str(root), "--quiet")[0] == 0
    assert (root / "results/train/weights/model.hdf5").is_file()
    with Project.locked(root) as project:
        project.env["FAKE_TAO_NO_OUTPUTS"] = "1"  # exits 0, writes nothing
    import os
    import time

    old = time.time() - 3600
    for p in (root / "results/train").rglob("*"):
        os.utime(p, (old, old))
    code, text = _cli("run", "train", "--project", str(root), "--quiet")
    assert code != 0, text
    st = Project.load(root).stages["train"]
    assert st.status == "failed" and "older than this run" in st.message, st


def test_a_removed_container_is_not_running_forever(tmp_path, dataset, tao_test_image, engine,  # noqa: F811
                                                    test_env):  # noqa: F811
    root = _project(tmp_path, dataset, tao_test_image, delay="0.3")
    assert _cli("run", "dataset_convert", "--project", str(root), "--detach")[0] == 0
    project = Project.load(root)
    [info] = engine.find({LABEL_PROJECT: project.id, LABEL_STAGE: "dataset_convert"})
    engine.client.api.remove_container(info.id, force=True)  # `docker rm -f` behind tao-tui's back
    code, text = _cli("status", "--project", str(root))
    assert code == 0 and "removed" in text, text  # not "running" forever
    assert Project.load(root).stages["dataset_convert"].status == "failed"
    code, text = _cli("stop", "dataset_convert", "--project", str(root))
    assert code == 0 and "nothing is running" in text, text
    st = Project.load(root).stages["dataset_convert"]
    assert st.status == "failed" and "removed" in st.message
    code, text = _cli("status", "--project", str(root))
    assert code == 0 and "Traceback" not in text
    code, text = _cli("run", "dataset_convert", "--project", str(root), "--quiet")
    assert code == 0, text  # and it can run again


def test_a_container_that_never_started_says_why(tmp_path, dataset, tao_test_image, engine, test_env,  # noqa: F811
                                                 monkeypatch):
    monkeypatch.delenv("TAO_TUI_NO_GPU")  # this engine has no NVIDIA runtime: the start fails
    root = _project(tmp_path, dataset, tao_test_image)
    code, text = _cli("run", "dataset_convert", "--project", str(root))
    assert code == 2 and "GPU" in text, text
    for argv in (["logs", "dataset_convert"], ["logs", "-f", "dataset_convert"]):
        code, text = _cli(*argv, "--project", str(root))
        assert "lost the connection" not in text and "did not start" in text, (argv, text)
    st = Project.load(root).stages["dataset_convert"]
    assert st.status == "failed" and "did not start" in st.message
    assert not engine.find({LABEL_PROJECT: Project.load(root).id})
