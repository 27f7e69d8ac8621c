"""Every bundled network can be set up and every stage's `tao` line built, for every TAO version
that has it (no unknown placeholder, no missing spec, no broken feed)."""

from __future__ import annotations

import pytest

from tao_tui.catalog import known_versions, load_catalog
from tao_tui.errors import UserError
from tao_tui.project import Project
from tao_tui.specs.netdef import template_networks
from tao_tui.workflow.commands import build_command
from tao_tui.workflow.create import create_project
from tao_tui.workflow.stages import Pipeline


@pytest.mark.parametrize("network", template_networks())
def test_project_and_every_stage_command(network, tmp_path):
    task = pipe_net_named(network).task_name  # facenet runs as detectnet_v2
    versions = [v for v in known_versions() if any(n.name == task for n in load_catalog(v).networks)]
    assert versions, f"no TAO version runs {task}"
    project = create_project(tmp_path / "p", network)  # the newest version that has it
    assert project.tao_version in versions  # the newest launcher version that has it (create.py)
    assert Project.load(project.root).network == network
    for spec in Pipeline.for_project(project).net.spec_files:
        assert (project.specs_dir / spec).is_file()
    for version in sorted(set(versions)):
        project.tao_version = version
        pipe = Pipeline(project, pipe_net(project))
        for stage in pipe.stages:
            cmd = build_command(pipe, stage.id, have_key=True)
            assert cmd.display.startswith("tao "), cmd.display
            assert "{" not in cmd.display, f"{network} {stage.id} {version}: unresolved placeholder in {cmd.display}"
            if cmd.pending:  # an earlier stage's glob output that no file matches yet: shown, refused
                for producer in {p.split(".")[0] for p in cmd.pending}:
                    assert f"run {producer} first" in cmd.display
                with pytest.raises(UserError, match="cannot run yet"):
                    cmd.argv("k3y")
                continue
            argv = cmd.argv("k3y")
            assert argv[1] == stage.task and "$KEY" not in " ".join(argv)
            assert not any(set("*?[") & set(a) and "=[" not in a for a in argv if a.startswith("/")), argv


def pipe_net(project):
    return pipe_net_named(project.network)


def pipe_net_named(name):
    from tao_tui.specs.netdef import load_network

    return load_network(name)
