"""Issue 9 #9: every command tao-tui prints for the user to paste quotes each path, so a project at
`/tmp/x; touch PWNED #` gives lines that shlex.split into the intended argv (no injected command)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from tao_tui.cli import main
from tao_tui.project import Project

COMMANDS = ("tao-tui", "tao", "cp", "mkdir", "ngc", "docker", "chmod", "chown", "sudo", "ls", "ssh")
_START = re.compile(r"(?:^|(?<=[\s:(]))(" + "|".join(re.escape(c) for c in COMMANDS) + r") ")


def commands_in(text: str) -> list[str]:
    """The shell commands in ``text``: each `backticked` one, else a line's tail from a command word."""
    out = []
    for line in text.splitlines():
        spans = re.findall(r"`([^`]+)`", line)
        out += [s for s in spans if s.split(" ", 1)[0] in COMMANDS]
        rest = re.sub(r"`[^`]*`", "", line)
        m = _START.search(rest)
        if m:
            out.append(rest[m.start():].strip())
    return out


def assert_no_injection(cmd: str, root: Path) -> None:
    argv = shlex.split(cmd)  # an unbalanced quote raises here
    assert "touch" not in argv and ";" not in argv and "#" not in argv, (cmd, argv)
    for tok in argv:
        if "PWNED" in tok:
            assert tok.lstrip("-=").split("=")[-1].startswith(str(root)), (cmd, tok)


def test_every_printed_command_for_a_project_at_a_hostile_path_parses_to_the_intended_argv(
        tmp_path, monkeypatch, capsys):
    from tao_tui.commands.doctor import _project_checks
    from tao_tui.preflight import preflight, preflight_stage
    from tao_tui.specs.netdef import project_network

    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no ngc CLI: the download line is printed
    root = tmp_path / "x; touch PWNED #"
    assert main(["new", "--network", "detectnet_v2", "--dir", str(root), "--tao-version", "5.0.0",
                 "--user", "1000:1000", "--yes"]) == 0
    texts = [capsys.readouterr().out]
    spec = root / "specs" / "detectnet_v2_train_resnet18_kitti.txt"
    os.chown(spec, 0, 0)
    os.chmod(spec, 0o600)  # a pre-flight fix with the spec's path
    monkeypatch.setattr(os, "geteuid", lambda: 4242)  # and one with results/'s (not root: sudo chown)
    os.chown(root / "results", 0, 0)
    (root / "results").chmod(0o755)

    assert main(["status", "--project", str(root)]) == 0
    out = capsys.readouterr()
    texts += [out.out, out.err]
    project = Project.load(root)
    findings = preflight(project)
    for stage in project_network(project).stages:
        findings += preflight_stage(project, stage.id)
    texts += [f"{f.what}\n{f.fix or ''}" for f in findings]
    texts += [f"{c.detail}\n{c.fix or ''}" for c in _project_checks(str(root))]

    cmds = [c for t in texts for c in commands_in(t)]
    fixes = " ".join(cmds)
    for want in ("tao-tui status --project", "cp ", "ngc registry model download-version", "chmod a+r",
                 "chown -R 1000:1000", "tao-tui set --dataset DIR --project", "mkdir -p"):
        assert want in fixes, want  # each kind of printed command was looked at
    assert sum("PWNED" in c for c in cmds) >= 5
    for cmd in cmds:
        assert_no_injection(cmd, root)


def test_fix_lines_of_dataset_and_engine_errors_quote_their_values(tmp_path, monkeypatch):
    """The chmod of an unreadable dataset, `usermod` for a user name, `ssh HOST docker info` for an
    ssh:// engine and `docker login REGISTRY`: each value quoted (values here carry `; touch PWNED #`)."""
    import getpass

    from tao_tui import dataset
    from tao_tui.errors import UserError
    from tao_tui.runtime import errors

    root = tmp_path / "data; touch PWNED #"
    root.mkdir()
    monkeypatch.setattr(dataset.os, "access", lambda p, mode: Path(p) != root)
    try:
        dataset.scan_dataset(root)
    except UserError as err:
        fix = err.fix
    else:
        raise AssertionError("an unreadable dataset folder was scanned")
    assert shlex.split(fix) == ["chmod", "-R", "a+rX", str(root)]

    monkeypatch.setattr(getpass, "getuser", lambda: "bob; touch PWNED #")
    denied = errors.connect_problem("unix:///var/run/docker.sock", PermissionError("Permission denied"))
    assert shlex.split(commands_in(denied.fix)[0]) == ["sudo", "usermod", "-aG", "docker", "bob; touch PWNED #"]
    ssh = errors.connect_problem("ssh://me@host;touch PWNED #", ConnectionError("refused"))
    assert shlex.split(commands_in(ssh.fix)[0]) == ["ssh", "me@host;touch PWNED #", "docker", "info"]
    monkeypatch.setattr(errors, "registry_login_state", lambda registry: (True, ""))
    pull = errors.pull_problem("reg;touch$IFS-PWNED.io/x:1", "unauthorized")
    assert shlex.split(commands_in(pull.fix)[0]) == ["docker", "login", "reg;touch$IFS-PWNED.io"]
