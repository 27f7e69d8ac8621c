"""doctor: NVIDIA's host minimums for TAO 7 images (driver >= 580, CUDA >= 13.0, Container Toolkit >= 1.19,
or the model's runtime_requirements.gpu_host), as pass / warn / fail with the fix."""

from __future__ import annotations

import subprocess

from tao_tui.runtime import doctor

GOOD = {"cuda": "13.0", "toolkit": "1.19.1"}


def test_minimums_come_from_the_release_and_the_model():
    assert doctor.tao7_minimums() == {
        "min_driver_version": "580", "min_cuda_version": "13.0", "min_container_toolkit_version": "1.19"}
    # tao-finetune-cosmos-reason declares runtime_requirements.gpu_host: toolkit 1.19.1
    assert doctor.tao7_minimums("7.1.0", "cosmos_rl")["min_container_toolkit_version"] == "1.19.1"


def test_a_new_enough_host_passes():
    check = doctor.tao7_host_check("580.65.06", GOOD)
    assert check.status == "pass" and "driver 580.65.06 >= 580" in check.detail


def test_an_old_host_warns_for_the_machine_and_fails_for_a_tao7_project():
    old = {"cuda": "12.8", "toolkit": "1.17.4"}
    machine = doctor.tao7_host_check("550.54", old)
    assert machine.status == "warn" and "TAO 5/6 images still run" in machine.detail
    assert "driver 550.54 < 580" in machine.detail and "CUDA 12.8 < 13.0" in machine.detail
    assert "nvidia-container-toolkit" in machine.fix and "nvidia-driver-580" in machine.fix
    project = doctor.tao7_host_check("550.54", old, tao_version="7.1.0", network="dino")
    assert project.status == "fail" and project.detail.startswith("TAO 7.1.0 dino needs")


def test_a_model_minimum_above_the_release_is_checked():
    check = doctor.tao7_host_check("580.1", {"cuda": "13.0", "toolkit": "1.19.0"}, tao_version="7.1.0",
                                   network="cosmos_rl")
    assert check.status == "fail" and "NVIDIA Container Toolkit 1.19.0 < 1.19.1" in check.detail
    assert doctor.tao7_host_check("580.1", {"cuda": "13.0", "toolkit": "1.19.0"}).status == "pass"


def test_unknown_versions_warn_with_how_to_see_them():
    check = doctor.tao7_host_check(None, {"cuda": None, "toolkit": None})
    assert check.status == "warn" and "not known here" in check.detail and "nvidia-ctk" in check.fix


def test_reads_the_toolkit_version_without_a_shell(monkeypatch):
    calls = []

    def fake_run(argv, **kw):
        calls.append((argv, kw.get("shell")))
        return subprocess.CompletedProcess(argv, 0, "NVIDIA Container Toolkit CLI version 1.19.1\ncommit: x\n", "")

    monkeypatch.setattr(doctor.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(doctor.subprocess, "run", fake_run)
    assert doctor.read_host_info()["toolkit"] == "1.19.1"
    assert calls == [(["nvidia-ctk", "--version"], None)]


def test_doctor_lists_the_tao7_row(tmp_path, monkeypatch):
    from tao_tui.runtime.gpu import GpuState

    def down():
        from tao_tui.errors import TaoTuiError

        raise TaoTuiError("no engine", "start it")

    checks = doctor.run_checks(connect=down, read_gpus=lambda: GpuState([], "no GPU", "575.0", 0.0), home=tmp_path,
                               mounts_file=tmp_path / "none", host_info=lambda: {"cuda": "12.9", "toolkit": None})
    row = {c.name: c for c in checks}["tao 7 host"]
    assert row.status == "warn" and "driver 575.0 < 580" in row.detail
