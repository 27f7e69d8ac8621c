"""runtime/doctor.py and `tao-tui doctor` with injected engine/GPU readers."""

from __future__ import annotations

import argparse
import json

from tao_tui.errors import EnvironmentProblem
from tao_tui.runtime import doctor
from tao_tui.runtime.engine import _connect_problem, registry_login_state
from tao_tui.runtime.gpu import GpuInfo, GpuState


class FakeEngine:
    host = "unix:///var/run/docker.sock"

    def __init__(self, runtimes=("runc",), root="/"):
        self.runtimes = runtimes
        self.root = root

    def version(self):
        return {"Version": "27.1.0", "ApiVersion": "1.46"}

    def info(self):
        return {
            "Runtimes": {r: {} for r in self.runtimes},
            "DefaultRuntime": "runc",
            "DockerRootDir": self.root,
        }

    def gpu_runtime(self):
        from tao_tui.runtime.engine import Engine

        return Engine.gpu_runtime(self)

    def close(self):
        pass


def gpus(n=1, driver="580.65.06"):
    return lambda: GpuState(
        [GpuInfo(i, "NVIDIA A100", 0, 80 << 30, 0) for i in range(n)], None, driver, 0.0
    )


def no_gpu():
    return GpuState([], "no NVIDIA driver: libnvidia-ml.so not found", None, 0.0)


def by_name(checks):
    return {c.name: c for c in checks}


def test_healthy_machine_passes(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {"nvcr.io": {"auth": "eA=="}}}))
    data = tmp_path / "data"
    data.mkdir()
    mounts = tmp_path / "mounts.json"
    mounts.write_text(
        json.dumps({"Mounts": [{"source": str(data), "destination": "/w"}], "DockerOptions": {"user": "1:1"}})
    )
    checks = doctor.run_checks(
        connect=lambda: FakeEngine(runtimes=("runc", "nvidia"), root=str(tmp_path)),
        read_gpus=gpus(2),
        home=tmp_path,
        mounts_file=mounts,
        thresholds=doctor.Thresholds(0, 0, 0, 0),
        host_info=lambda: {"cuda": "13.0", "toolkit": "1.19.1"},  # TAO 7's minimums hold too
    )
    c = by_name(checks)
    assert all(x.status == "pass" for x in checks), [x for x in checks if x.status != "pass"]
    assert "27.1.0" in c["engine"].detail and "2 GPU(s)" in c["gpus"].detail
    assert doctor.exit_code(checks) == 0


def test_broken_machine_fails_with_fixes(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "nodocker"))
    mounts = tmp_path / "mounts.json"
    mounts.write_text(json.dumps({"Mounts": [], "DockerOptions": {"gpus": "all"}}))
    checks = doctor.run_checks(
        connect=lambda: FakeEngine(root=str(tmp_path)),
        read_gpus=no_gpu,
        home=tmp_path,
        mounts_file=mounts,
        thresholds=doctor.Thresholds(1 << 62, 1 << 62, 0, 1 << 62),
    )
    c = by_name(checks)
    assert c["gpu runtime"].status == "fail" and "nvidia-ctk runtime configure" in c["gpu runtime"].fix
    assert c["gpus"].status == "fail" and "libnvidia-ml" in c["gpus"].detail
    assert c["nvcr.io login"].status == "warn" and "$oauthtoken" in c["nvcr.io login"].fix
    assert c["tao mounts"].status == "fail" and "gpus" in c["tao mounts"].detail
    assert c["disk (docker data)"].status == "fail" and c["disk (home)"].status == "warn"
    assert doctor.exit_code(checks) == 2


def test_engine_down_is_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")

    def down():
        raise EnvironmentProblem("Docker is not running / not reachable at x", fix="start it")

    c = by_name(
        doctor.run_checks(connect=down, read_gpus=gpus(), home=tmp_path, mounts_file=tmp_path / "none")
    )
    assert c["engine"].status == "fail" and c["engine"].fix == "start it"
    assert c["gpu runtime"].status == "warn"
    assert c["tao mounts"].status == "warn"


def test_remote_engine_without_local_gpu_only_warns(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "ssh://me@gpu-box")
    c = by_name(
        doctor.run_checks(
            connect=lambda: FakeEngine(runtimes=("nvidia",)),
            read_gpus=no_gpu,
            home=tmp_path,
            mounts_file=tmp_path / "x",
        )
    )
    assert c["gpus"].status == "warn" and c["docker group"].status == "pass"
    assert "remote" in c["disk (docker data)"].detail


def test_connect_errors_explain_the_fix(monkeypatch):
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    perm = Exception(
        "Error while fetching server API version: ('Connection aborted.', PermissionError(13, 'Permission denied'))"
    )
    err = _connect_problem("unix:///var/run/docker.sock", perm)
    assert "alice can't use Docker" in err.message and err.fix.startswith("`sudo usermod -aG docker alice`")
    down = Exception(
        "Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))"
    )
    err = _connect_problem("unix:///var/run/docker.sock", down)
    assert "not running / not reachable at unix:///var/run/docker.sock" in err.message
    assert "sudo systemctl start docker" in err.fix


def test_registry_login_state_reads_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert registry_login_state()[0] is False
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {}}}))
    ok, why = registry_login_state()
    assert not ok and "no login for nvcr.io" in why
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {"nvcr.io": {}}, "credsStore": "nonexistent-helper"})
    )
    ok, why = registry_login_state()
    assert not ok and "docker-credential-nonexistent-helper" in why
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"nvcr.io": {}}}))
    assert registry_login_state()[0] is True


def test_command_prints_json_and_exit_code(tmp_path, monkeypatch, capsys):
    from tao_tui.commands import doctor as cmd

    fake = [doctor.Check("engine", "pass", "ok"), doctor.Check("gpus", "fail", "none", "install the driver")]
    monkeypatch.setattr(doctor, "run_checks", lambda **kw: fake)
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    assert cmd.run(parser.parse_args(["--json"])) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["checks"][1] == {
        "name": "gpus",
        "status": "fail",
        "detail": "none",
        "fix": "install the driver",
    }
    assert cmd.run(parser.parse_args([])) == 2
    text = capsys.readouterr().out
    assert "FAIL  gpus" in text and "fix: install the driver" in text
    monkeypatch.setattr(doctor, "run_checks", lambda **kw: fake[:1])
    assert cmd.run(parser.parse_args([])) == 0


def test_pull_errors_explain_login_and_tags(tmp_path, monkeypatch):
    from tao_tui.runtime.engine import _pull_problem

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    image = "nvcr.io/nvidia/tao/tao-toolkit:5.0.0-tf1.15.5"
    err = _pull_problem(image, "unauthorized: authentication required")
    assert "not logged in to nvcr.io" in err.message and "$oauthtoken" in err.fix
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"nvcr.io": {"auth": "eA=="}}}))
    err = _pull_problem(image, "401 Client Error: Unauthorized")
    assert "NGC refused your login" in err.message and "new key" in err.fix
    assert "no such image or tag" in _pull_problem(image, "manifest unknown").message
    assert (
        "not reachable"
        in _pull_problem(image, 'Get "https://nvcr.io/v2/": dial tcp: lookup nvcr.io: no such host').message
    )
    assert "disk full" in _pull_problem(image, "write /var/lib/docker/x: no space left on device").message


def test_gpu_less_mode_turns_the_gpu_failures_into_warnings(tmp_path, monkeypatch):
    """TAO_TUI_NO_GPU=1 (tests, demos): no NVIDIA runtime and no GPU are warnings that say the mode is on,
    not failures; without it they fail."""
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "nodocker"))
    mounts = tmp_path / "mounts.json"
    mounts.write_text(json.dumps({"Mounts": []}))

    def checks():
        return by_name(doctor.run_checks(
            connect=lambda: FakeEngine(root=str(tmp_path)), read_gpus=no_gpu, home=tmp_path, mounts_file=mounts,
            thresholds=doctor.Thresholds(0, 0, 0, 0), host_info=lambda: {"cuda": None, "toolkit": None}))

    monkeypatch.delenv("TAO_TUI_NO_GPU", raising=False)
    c = checks()
    assert c["gpu runtime"].status == "fail" and c["gpus"].status == "fail"
    monkeypatch.setenv("TAO_TUI_NO_GPU", "1")
    c = checks()
    for name in ("gpu runtime", "gpus"):
        assert c[name].status == "warn", c[name]
        assert "GPU-less mode is on (TAO_TUI_NO_GPU=1)" in c[name].detail
        assert "without a GPU" in c[name].detail and "real TAO training needs a GPU" in c[name].detail
        assert "unset TAO_TUI_NO_GPU" in c[name].fix
    assert "libnvidia-ml" in c["gpus"].detail and "nvidia-ctk runtime configure" in c["gpu runtime"].fix
    assert all(x.status != "fail" for x in c.values()), [x for x in c.values() if x.status == "fail"]
    assert doctor.exit_code(list(c.values())) == 0
