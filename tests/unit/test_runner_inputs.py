"""Issue 9's examples, one test each, without an engine: bad input is one clear error (exit 1/2,
naming the file or flag), never a traceback, never a silently wrong result."""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tao_tui.cli import main
from tao_tui.errors import UserError
from tao_tui.project import Project

ROOT = Path(__file__).resolve().parents[2]


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/tao-tui-test.sock")
    root = tmp_path / "proj"
    code, _, err = _cli("new", "--network", "classification_tf1", "--dir", str(root), "--tao-version", "5.0.0",
                        "--image", "tao-tui-test/fake-tao:latest", "--yes")
    assert code == 0, err
    return root


# ------------------------------------------------------------------ item 5: stale state


def test_a_bad_image_is_refused_and_not_saved_and_empty_resets_it(project):
    before = Project.load(project).image
    code, _, err = _cli("run", "train", "--project", str(project), "--image", "Bad Image!!")
    assert code == 1 and "--image" in err and "not a container image reference" in err
    assert Project.load(project).image == before
    with Project.locked(project) as p:
        p.image = "tao-tui-test/other:1"
    code, _, err = _cli("run", "train", "--project", str(project), "--image", "")
    assert "Traceback" not in err
    assert Project.load(project).image.startswith("nvcr.io/nvidia/tao/")  # the catalog's again


# ------------------------------------------------------------------ item 6: unvalidated input


@pytest.mark.parametrize("content, says", [
    (b"just a string\n", "must be a mapping"),
    (b"id: x\nnetwork: detectnet_v2\ntao_version: 5.0.0\nstages: [1]\n", "stages must be a mapping"),
    (b"id: x\nnetwork: 123\ntao_version: 5.0.0\n", "network must be text"),
    ("id: x\nnetwork: detectnet_v2\n".encode("utf-16"), "UTF-16"),
    (b"id: x\nnetwork: detectnet_v2\ntao_version: 5.0.0\nmounts:", None),
    (b"a: &a [x, x]\nb: [*a, *a]\n", "aliases"),
])
def test_a_broken_project_yaml_is_one_clear_error(project, content, says):
    (project / "project.yaml").write_bytes(content)
    for argv in (["status"], ["logs"], ["stop"], ["run", "train"], ["set", "a=1"]):
        code, out, err = _cli(*argv, "--project", str(project))
        assert "Traceback" not in err
        if says:  # (a file cut after `mounts:` is valid YAML with no mounts: it loads)
            assert code in (1, 2), (argv, code, err)
            assert "project.yaml" in err and "fix:" in err, (argv, err)
            assert says in err, (argv, err)


def test_an_unreadable_project_yaml_is_named(project):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    (project / "project.yaml").chmod(0)
    code, _, err = _cli("status", "--project", str(project))
    assert code == 1 and "project.yaml" in err


@pytest.mark.parametrize("content, says", [
    (b"\x00\x01\xff binary", "not UTF-8"),
    ('{"Mounts": []}'.encode("utf-16"), "UTF-16"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    ("dir", "is a folder"),
])
def test_a_broken_tao_mounts_json_is_one_clear_error(tmp_path, content, says):
    from tao_tui.runtime.mounts import load_mounts

    path = tmp_path / ".tao_mounts.json"
    if content == "dir":
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(UserError) as err:
        load_mounts(path)
    assert says in str(err.value) and ".tao_mounts.json" in str(err.value)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_stop_timeout_must_be_a_sane_number(project, value):
    code, _, err = _cli("stop", "--project", str(project), "--timeout", value)
    assert code == 1 and "--timeout" in err and "fix:" in err


def test_a_binary_key_file_is_named(project, tmp_path):
    key = tmp_path / "key.bin"
    key.write_bytes(b"\xff\xfe\x00\x01" * 10)
    code, _, err = _cli("run", "train", "--project", str(project), "--key-file", str(key))
    assert code == 1 and "key" in err and "Traceback" not in err


def test_huge_numbers_are_a_user_error(tmp_path):
    code, _, err = _cli("catalog", "--version", "9" * 5000)
    assert code == 1 and "Traceback" not in err


@pytest.mark.parametrize("where", ["file", "under_file", "proc"])
def test_new_dir_that_cannot_be_a_project_folder(tmp_path, where):
    f = tmp_path / "a_file"
    f.write_text("x")
    target = {"file": f, "under_file": f / "proj", "proc": Path("/proc/tao-tui-proj")}[where]
    code, _, err = _cli("new", "--network", "classification_tf1", "--dir", str(target), "--yes")
    assert code == 1 and "--dir" in err and "fix:" in err


# ------------------------------------------------------------------ item 7: empty strings


def test_empty_strings_are_refused(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _cli("new", "--network", "classification_tf1", "--dir", "", "--yes")
    assert code == 1 and "--dir" in err
    assert not (tmp_path / "project.yaml").exists()
    code, _, err = _cli("new", "--network", "classification_tf1", "--dir", str(tmp_path / "p2"),
                        "--tao-version", "", "--yes")
    assert code == 1 and "--tao-version" in err
    code, out, err = _cli("stop", "", "--project", str(project))
    assert code == 1 and "has no stage ''" in err  # never "stop every stage"


# ------------------------------------------------------------------ item 9: copy-paste injection


def test_printed_commands_quote_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    evil = tmp_path / "x; touch PWNED #"
    code, out, err = _cli("new", "--network", "classification_tf1", "--dir", str(evil), "--yes")
    assert code == 0, err
    for line in out.splitlines():
        if line.startswith(("next:", "to run")):
            cmd = line.split(": ", 1)[1]
            assert "touch" not in shlex.split(cmd) and "PWNED" in cmd, cmd


# ------------------------------------------------------------------ item 12: logs in bytes


def test_logs_work_in_bytes(project):
    run_dir = project / "runs" / "train-20260101-000000-abcd"
    run_dir.mkdir(parents=True)
    ts = "2026-01-01T00:00:00.00000000{}Z "
    lines = [ts.format(1).encode() + b"bad \xff\xfe utf-8", ts.format(2).encode() + b"next line",
             ts.format(3).encode() + b"a\rb\x0cc\xe2\x80\xa8d", ts.format(4).encode() + b"last"]
    (run_dir / "log").write_bytes(b"\n".join(lines) + b"\n")
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_dir.name, "stage": "train", "container_id": "x",
                                                  "command": "c", "image": "i", "started": 1.0}))
    (run_dir / "result.json").write_text(json.dumps({"exit_code": 0, "status": "done"}))
    code, out, err = _cli("logs", "train", "--project", str(project))
    assert code == 0, err
    shown = out.split("\n")[:-1]
    assert len(shown) == 4 and shown[1] == "next line" and shown[3] == "last"
    assert shown[2] == "a\rb\x0cc\u2028d"  # one line, as the container printed it

    from tao_tui.commands.logs import _print_complete

    got: list[bytes] = []
    log = run_dir / "log"
    pos = _print_complete(log, 0, got.append)
    with log.open("ab") as fh:
        fh.write(ts.format(5).encode() + b"after \xff\n" + ts.format(6).encode() + b"tail\n")
    _print_complete(log, pos, got.append)
    assert got[-1].split(b"\n")[1].startswith(ts.format(6).encode())  # offsets in bytes: no shift


# ------------------------------------------------------------------ item 14: a closed pipe


def test_spec_show_into_head_ends_quietly(tmp_path):
    spec = tmp_path / "big.yaml"
    spec.write_text("".join(f"k{i}: {i}\n" for i in range(30000)))
    proc = subprocess.run(f"{shlex.quote(sys.executable)} -m tao_tui.cli spec show {shlex.quote(str(spec))} | head -2",
                          shell=True, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


# ------------------------------------------------------------------ item 10: launcher options


@pytest.mark.parametrize("options, field", [
    ({"user": "nobody-here"}, "DockerOptions.user"),
    ({"ulimits": {"bogus": 1}}, "DockerOptions.ulimits.bogus"),
    ({"shm_size": "lots"}, "DockerOptions.shm_size"),
    ({"shm_size": "999999999G"}, "DockerOptions.shm_size"),
    ({"privileged": "yes"}, "DockerOptions.privileged"),
    ({"network": 123}, "DockerOptions.network"),
    ({"ports": {"x": "y"}}, "DockerOptions.ports"),
])
def test_launcher_options_refused_by_name(options, field):
    from tao_tui.errors import ValidationError
    from tao_tui.runtime.mounts import parse_mounts

    with pytest.raises(ValidationError) as err:
        parse_mounts({"Mounts": [], "DockerOptions": options}, path="~/.tao_mounts.json")
    assert field in str(err.value) and "fix:" in str(err.value)


def test_launcher_env_with_nul_is_refused():
    from tao_tui.errors import ValidationError
    from tao_tui.runtime.mounts import parse_mounts

    with pytest.raises(ValidationError, match="NUL"):
        parse_mounts({"Mounts": [], "Envs": [{"variable": "A", "value": "x\0y"}]}, path="m.json")


def test_launcher_options_become_run_options():
    from tao_tui.runtime.mounts import parse_mounts

    opts = parse_mounts({"Mounts": [], "DockerOptions": {"privileged": True, "tty": True, "network": "host",
                                                         "ports": {"8888": 8888}, "shm_size": "16G"}},
                        path="m.json").run_options()
    assert opts["privileged"] and opts["tty"] and opts["network_mode"] == "host"
    assert opts["ports"] == {"8888": 8888} and opts["shm_size"] == "16G"


# ------------------------------------------------------------------ item 11 / 14: the container's user


def test_specs_are_readable_by_another_container_user(tmp_path):
    root = tmp_path / "proj"
    code, _, err = _cli("new", "--network", "classification_tf1", "--dir", str(root), "--user", "1000:1000",
                        "--yes")
    assert code == 0, err
    for spec in (root / "specs").rglob("*"):
        if spec.is_file():
            assert spec.stat().st_mode & 0o004, f"{spec} is not readable by others"


def test_user_must_be_numeric(tmp_path):
    code, _, err = _cli("new", "--network", "classification_tf1", "--dir", str(tmp_path / "p"), "--user", "abc",
                        "--yes")
    assert code == 1 and "--user" in err and "UID:GID" in err


# ------------------------------------------------------------------ item 8: resource exhaustion


def test_billion_laughs_and_huge_specs_are_refused(tmp_path):
    laughs = tmp_path / "laughs.yaml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(9):
        prev, cur = chr(97 + i), chr(98 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    laughs.write_text("\n".join(lines) + "\n")
    assert len(laughs.read_bytes()) < 600
    for argv in (["spec", "show"], ["spec", "check"]):
        code, out, err = _cli(*argv, str(laughs))
        assert code == 1 and "aliases" in (out + err), (argv, out[-300:], err[-300:])
    huge = tmp_path / "huge.yaml"
    huge.write_text("".join(f"key_{i}: {i}\n" for i in range(700_000)))  # ~10 MB
    code, out, err = _cli("spec", "show", str(huge))
    assert code == 1 and "at most" in (out + err)


def test_invalid_utf8_in_events_jsonl_is_skipped(project):
    run_id = "train-20260101-000000-abcd"
    run_dir = project / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "events.jsonl").write_bytes(b'{"kind": "epoch", "epoch": 1, "max_epoch": 5}\n\xff\xfe garbage\n')
    with Project.locked(project) as p:
        p.stage("train").status, p.stage("train").run_id = "failed", run_id
    code, out, err = _cli("status", "--project", str(project))
    assert code == 0 and "Traceback" not in err, err


def test_a_tilde_path_of_no_user_is_a_user_error():
    code, _, err = _cli("status", "--project", "~no-such-user-tao-tui")
    assert code == 1 and "~NAME" in err


# ------------------------------------------------------------------ an image that is not on the machine


class _NoImages:
    """A docker client whose engine holds no image at all."""

    class images:  # noqa: N801 - docker-py's attribute name
        @staticmethod
        def get(name):
            import docker.errors

            raise docker.errors.ImageNotFound(f"No such image: {name}")


def test_a_missing_image_says_how_to_set_another_one(tmp_path, monkeypatch):
    """Besides docker login/pull: a mirror or a local build is set with `tao-tui set --image`, the project
    path shell-quoted (said by ensure_image and by start, which gets the project from the RunSpec)."""
    from tao_tui.errors import EnvironmentProblem
    from tao_tui.runtime.engine import Engine
    from tao_tui.runtime.runner import StageRunner

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.tao_mounts.json
    root = tmp_path / "my projects" / "p"
    root.parent.mkdir()
    code, _, err = _cli("new", "--network", "classification_tf1", "--dir", str(root), "--tao-version", "5.0.0",
                        "--yes")
    assert code == 0, err
    engine = Engine(_NoImages(), "unix:///var/run/docker.sock", min_free_bytes=0, warn_free_bytes=0)
    image = "nvcr.io/nvidia/tao/tao-toolkit:5.0.0-tf1.15.5"
    with pytest.raises(EnvironmentProblem) as info:
        engine.ensure_image(image, project=root)
    fix = info.value.fix
    assert "docker login nvcr.io" in fix and f"docker pull {image}" in fix
    assert "mirror" in fix and f"tao-tui set --image IMAGE --project {shlex.quote(str(root))}" in fix
    runner = StageRunner(Project.load(root), engine=engine)
    spec = runner._run_spec(image, ["true"], {})
    assert spec.project_dir == str(root)
    with pytest.raises(EnvironmentProblem) as info:
        engine.start(spec)
    assert f"tao-tui set --image IMAGE --project {shlex.quote(str(root))}" in info.value.fix
    with pytest.raises(EnvironmentProblem) as info:  # no project known: the flag is still named
        engine.ensure_image("busybox:1")
    assert "tao-tui set --image IMAGE --project" in info.value.fix and "docker pull busybox:1" in info.value.fix
