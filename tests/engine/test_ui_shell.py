"""The shell into the network's container: the project's mounts, user and env, no key (real engine)."""

from __future__ import annotations

import os
import subprocess

from tao_tui.project import Project
from tao_tui.runtime.shell import shell_argv
from tao_tui.workflow.create import create_project


def test_shell_gets_the_projects_mounts_user_and_env_but_never_the_key(tmp_path, monkeypatch, engine,
                                                                      tao_test_image):
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")
    monkeypatch.setenv("KEY", "never-in-the-container")
    root = tmp_path / "proj"
    create_project(root, "detectnet_v2", tao_version="5.0.0")
    project = Project.load(root)
    project.image = tao_test_image
    project.container_network = False
    project.env = {"FAKE_TAO_LINE_DELAY": "0"}
    project.save()
    (root / "marker.txt").write_text("from the host\n")
    argv = shell_argv(Project.load(root), "train")
    assert "never-in-the-container" not in " ".join(argv)
    assert argv[1:4] == ["run", "-it", "--rm"]
    # no terminal in a test: the same argv, interactive on stdin without a TTY
    argv = [a for a in argv if a != "-it"]
    argv.insert(2, "-i")
    script = "id -u; cat marker.txt; echo env=$FAKE_TAO_LINE_DELAY key=${KEY:-none}; exit\n"
    proc = subprocess.run(argv, input=script, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split()
    assert out[0] == str(os.getuid())
    assert "host" in out and "env=0" in out and "key=none" in out
    assert not engine.find({"tao-tui.project": project.id, "tao-tui.shell": "1"})  # --rm: gone after exit
