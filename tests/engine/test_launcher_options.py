"""~/.tao_mounts.json DockerOptions are honoured as NVIDIA's launcher honours them (tty, ports, shm_size,
ulimits, user; privileged): the started container's HostConfig/Config says so."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

from test_pipeline import _project, dataset, test_env  # noqa: F401 - fixtures

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.runtime.runner import LABEL_PROJECT, StageRunner


def test_docker_options_reach_the_container(tmp_path, dataset, tao_test_image, engine, test_env,  # noqa: F811
                                            monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    (home / ".tao_mounts.json").write_text(json.dumps({"Mounts": [], "DockerOptions": {
        "tty": True, "ports": {"8888": 18888}, "shm_size": "64m",
        "ulimits": {"nofile": 4096, "stack": 8388608}, "user": "0:0"}}))
    root = _project(tmp_path, dataset, tao_test_image, delay="0.2")
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main(["run", "dataset_convert", "--project", str(root), "--detach"])
    assert code == 0, out.getvalue()
    project = Project.load(root)
    [info] = engine.find({LABEL_PROJECT: project.id})
    attrs = engine.client.api.inspect_container(info.id)
    host = attrs["HostConfig"]
    assert attrs["Config"]["Tty"] is True
    assert host["ShmSize"] == 64 * 2**20
    assert {u["Name"]: u["Hard"] for u in host["Ulimits"]} == {"nofile": 4096, "stack": 8388608}
    assert host["PortBindings"]["8888/tcp"][0]["HostPort"] == "18888"
    assert attrs["Config"]["User"] == "0:0"
    # privileged: passed on (this sandboxed engine may not grant it, so it is checked on the RunSpec)
    (home / ".tao_mounts.json").write_text(json.dumps({"Mounts": [], "DockerOptions": {"privileged": True}}))
    spec = StageRunner(project)._run_spec(tao_test_image, ["x"], {})
    assert spec.privileged is True
    # a TTY log (no stream headers) is followed and recorded like any other
    assert StageRunner(project).attach(project.stages["dataset_convert"].run_id) == 0
    log = (root / "runs" / project.stages["dataset_convert"].run_id / "log").read_text()
    assert "fake-tao: detectnet_v2 dataset_convert" in log
