"""`tao-tui export-script`: a bash script with every stage's `tao` line, runnable as is."""

from __future__ import annotations

import os
import shutil
import subprocess

from tao_tui.cli import main
from tao_tui.project import Project
from tao_tui.workflow.commands import build_command
from tao_tui.workflow.create import create_project
from tao_tui.workflow.stages import Pipeline


def _fake_tao(bin_dir, record):
    bin_dir.mkdir()
    tao = bin_dir / "tao"
    tao.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {record}\n')
    tao.chmod(0o755)


def test_script_runs_every_stage_in_order_with_the_key_from_the_environment(tmp_path):
    root = tmp_path / "proj"
    create_project(root, "detectnet_v2", tao_version="5.0.0")
    assert main(["export-script", "--project", str(root)]) == 0
    script = root / "tao-commands.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "set -euo pipefail" in text and "s3cr3t" not in text
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(root / "tao_mounts.json", home / ".tao_mounts.json")
    record = tmp_path / "calls"
    _fake_tao(tmp_path / "bin", record)
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(home), "KEY": "s3 cr3t"}
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    calls = record.read_text().splitlines()
    pipe = Pipeline.for_project(Project.load(root))
    expected = [build_command(pipe, s.id, have_key=True) for s in pipe.stages]
    assert len(calls) == len(expected)
    for call, cmd in zip(calls, expected, strict=True):
        assert call.startswith(" ".join([*cmd.prefix[1:], cmd.task]))  # in pipeline order
    assert any("-k s3 cr3t" in c for c in calls)  # "$KEY": one argument, from the environment


def test_script_refuses_without_the_key_or_with_other_mounts(tmp_path):
    root = tmp_path / "proj"
    create_project(root, "detectnet_v2", tao_version="5.0.0")
    assert main(["export-script", "--project", str(root), "-o", str(tmp_path / "s.sh")]) == 0
    home = tmp_path / "home"
    home.mkdir()
    (home / ".tao_mounts.json").write_text("{}")
    base = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    no_key = subprocess.run(["bash", str(tmp_path / "s.sh")], env=base, capture_output=True, text=True)
    assert no_key.returncode != 0 and "set KEY" in no_key.stderr
    other = subprocess.run(["bash", str(tmp_path / "s.sh")], env={**base, "KEY": "k"}, capture_output=True, text=True)
    assert other.returncode == 2 and "cp " in other.stderr and "tao_mounts.json" in other.stderr
