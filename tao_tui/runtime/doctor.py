"""Pre-flight checks of this machine, before any GPU container starts.

Each check is ``pass``, ``warn`` or ``fail`` and says how to fix what is wrong. The checks
only read (no container is started, nothing is pulled).
"""

from __future__ import annotations

import getpass
import grp
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tao_tui.errors import TaoTuiError

PASS, WARN, FAIL = "pass", "warn", "fail"
GiB = 1024**3


@dataclass
class Check:
    name: str
    status: str  # pass | warn | fail
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Thresholds:
    docker_root_fail: int = 10 * GiB
    docker_root_warn: int = 30 * GiB  # TAO images are many GB
    home_fail: int = 2 * GiB
    home_warn: int = 20 * GiB  # checkpoints


def run_checks(
    *,
    connect: Callable[[], Any] | None = None,
    read_gpus: Callable[[], Any] | None = None,
    home: str | os.PathLike[str] | None = None,
    mounts_file: str | os.PathLike[str] | None = None,
    thresholds: Thresholds | None = None,
    host_info: Callable[[], dict[str, str | None]] | None = None,
    tao_version: str | None = None,
    network: str | None = None,
) -> list[Check]:
    """All checks, in the order a beginner hits the problems. Dependencies are injectable for tests.

    ``host_info``: ``{"cuda": "13.0", "toolkit": "1.19.1"}`` of this machine (default: NVML and
    ``nvidia-ctk --version``). ``tao_version``/``network``: the project's; a TAO 7 project's host
    minimums fail instead of warn, and the model's own ``runtime_requirements.gpu_host`` count."""
    from tao_tui.runtime import engine as engine_mod
    from tao_tui.runtime import gpu as gpu_mod

    th = thresholds or Thresholds()
    home_path = Path(home) if home is not None else Path.home()
    connect = connect or engine_mod.Engine.connect
    read_gpus = read_gpus or gpu_mod.read_gpus
    checks: list[Check] = []
    host = os.environ.get("DOCKER_HOST") or engine_mod.DEFAULT_SOCKET
    remote = not host.startswith("unix://")

    # 1. engine
    eng = None
    info: dict[str, Any] = {}
    try:
        eng = connect()
        version = eng.version()
        info = eng.info()
        checks.append(
            Check(
                "engine",
                PASS,
                f"Docker {version.get('Version', '?')} (API {version.get('ApiVersion', '?')}) at {eng.host}",
            )
        )
    except TaoTuiError as err:
        checks.append(Check("engine", FAIL, err.message, err.fix))

    # 2. docker group (only meaningful for the local socket)
    checks.append(_group_check(remote, eng is not None))

    # 3. NVIDIA runtime
    if eng is None:
        checks.append(
            Check("gpu runtime", WARN, "not checked: the engine is not reachable", "fix the engine first")
        )
    else:
        try:
            ok, detail = eng.gpu_runtime()
            checks.append(
                Check("gpu runtime", PASS, detail)
                if ok
                else Check("gpu runtime", FAIL, detail, engine_mod.TOOLKIT_FIX)
            )
        except TaoTuiError as err:
            checks.append(Check("gpu runtime", WARN, err.message, err.fix))

    # 4. GPUs (NVML on this machine)
    state = read_gpus()
    if state.gpus:
        names = ", ".join(
            f"{g.index}: {g.name}" + (f" {g.memory_total / GiB:.0f} GiB" if g.memory_total else "")
            for g in state.gpus
        )
        driver = f", driver {state.driver}" if state.driver else ""
        checks.append(Check("gpus", PASS, f"{len(state.gpus)} GPU(s){driver}: {names}"))
    elif remote:
        checks.append(
            Check(
                "gpus", WARN, f"no GPU on this machine ({state.reason}); the engine at {host} is remote", None
            )
        )
    else:
        checks.append(
            Check(
                "gpus",
                FAIL,
                state.reason or "no NVIDIA GPU found",
                "install the NVIDIA driver; `nvidia-smi` must list your GPU",
            )
        )

    # 4b. NVIDIA's host minimums for TAO 7 images (driver, CUDA, Container Toolkit)
    checks.append(tao7_host_check(state.driver, (host_info or read_host_info)(), remote=remote,
                                  tao_version=tao_version, network=network))

    # 5. registry login
    ok, detail = engine_mod.registry_login_state(engine_mod.NVCR)
    checks.append(
        Check("nvcr.io login", PASS, detail)
        if ok
        else Check("nvcr.io login", WARN, f"{detail}; needed to pull TAO images", engine_mod.LOGIN_FIX)
    )

    # 6. ~/.tao_mounts.json
    checks.append(_mounts_check(mounts_file))

    # 7. disk space
    root = info.get("DockerRootDir") if info else None
    if root and not remote:
        checks.append(
            _disk_check(
                "disk (docker data)",
                root,
                th.docker_root_fail,
                th.docker_root_warn,
                "free space for TAO images: `docker system prune`, or move Docker's data-root",
            )
        )
    elif root:
        checks.append(
            Check("disk (docker data)", WARN, f"not checked: {root} is on the remote engine {host}")
        )
    checks.append(
        _disk_check(
            "disk (home)",
            str(home_path),
            th.home_fail,
            th.home_warn,
            "free space for results and checkpoints (old results/ folders)",
        )
    )
    if eng is not None:
        eng.close()
    if no_gpu_mode():
        checks = [_gpu_less(c) for c in checks]
    return checks


NO_GPU_ENV = "TAO_TUI_NO_GPU"
GPU_CHECKS = ("gpu runtime", "gpus", "tao 7 host")  # what a container started without a GPU does not use


def no_gpu_mode() -> bool:
    """``TAO_TUI_NO_GPU=1``: containers start without a GPU request (tests, demos; the runner's rule)."""
    return os.environ.get(NO_GPU_ENV) == "1"


def _gpu_less(check: Check) -> Check:
    """In GPU-less mode a failed GPU check is a warning that says the mode is on (and keeps its fix)."""
    if check.name not in GPU_CHECKS or check.status != FAIL:
        return check
    detail = (f"{check.detail}; GPU-less mode is on ({NO_GPU_ENV}=1): containers start without a GPU, for "
              "tests and demos; real TAO training needs a GPU")
    fix = f"for real training: unset {NO_GPU_ENV}" + (f", and {check.fix}" if check.fix else "")
    return Check(check.name, WARN, detail, fix)


def exit_code(checks: list[Check]) -> int:
    return 2 if any(c.status == FAIL for c in checks) else 0


def _group_check(remote: bool, reachable: bool) -> Check:
    user = getpass.getuser()
    if remote:
        return Check("docker group", PASS, "remote engine: group membership is checked on that machine")
    if os.geteuid() == 0:
        return Check("docker group", PASS, "running as root")
    try:
        gid = grp.getgrnam("docker").gr_gid
    except KeyError:
        gid = None
    member = gid is not None and gid in os.getgroups()
    if member:
        return Check("docker group", PASS, f"user {user} is in the docker group")
    fix = f"`sudo usermod -aG docker {shlex.quote(user)}`, then log out and in"
    if reachable:
        return Check(
            "docker group", WARN, f"user {user} is not in the docker group, but the socket is usable", fix
        )
    return Check("docker group", FAIL, f"user {user} is not in the docker group", fix)


def _mounts_check(path: str | os.PathLike[str] | None) -> Check:
    from tao_tui.runtime import mounts as mounts_mod

    p = Path(path) if path is not None else mounts_mod.mounts_path()
    try:
        loaded = mounts_mod.load_mounts(p)
    except TaoTuiError as err:
        return Check(
            "tao mounts", FAIL, err.message if not err.field else f"{err.field}: {err.message}", err.fix
        )
    if loaded is None:
        return Check(
            "tao mounts", WARN, f"{p} does not exist (tao-tui itself does not need it)",
            "to run a project's `tao` commands with NVIDIA's launcher, copy <project>/tao_mounts.json there",
        )
    warnings = loaded.warnings()
    detail = f"{p}: {len(loaded.mounts)} mount(s)"
    if warnings:
        return Check("tao mounts", WARN, detail + "; " + "; ".join(warnings))
    return Check("tao mounts", PASS, detail)


def _disk_check(name: str, folder: str, fail_below: int, warn_below: int, fix: str) -> Check:
    try:
        free = shutil.disk_usage(folder).free
    except OSError as err:
        return Check(name, WARN, f"cannot read free space of {folder}: {err.strerror or err}")
    text = f"{free / GiB:.1f} GiB free on {folder}"
    if free < fail_below:
        return Check(name, FAIL, f"{text} (needs {fail_below / GiB:.0f} GiB)", fix)
    if free < warn_below:
        return Check(name, WARN, f"{text} (under {warn_below / GiB:.0f} GiB)", fix)
    return Check(name, PASS, text)


# ----------------------------------------------------------------------------- TAO 7 host


def _vtuple(text: str | None) -> tuple[int, ...] | None:
    """'580.65.06' -> (580, 65, 6); None when there is no version in ``text``."""
    m = re.search(r"\d+(?:\.\d+)*", str(text or ""))
    return tuple(int(p) for p in m.group(0).split(".")) if m else None


def tao7_minimums(tao_version: str | None = None, network: str | None = None) -> dict[str, str]:
    """``min_driver_version`` / ``min_cuda_version`` / ``min_container_toolkit_version`` for TAO 7 images.

    NVIDIA's TAO 7 host requirements (driver >= 580, CUDA >= 13.0, NVIDIA Container Toolkit >= 1.19;
    recorded in tao_tui/data/tao7/<release>.json ``host_minimums``), raised by a model's own
    ``runtime_requirements.gpu_host`` (NVIDIA-TAO/tao-skill-bank@7.1.0 skill_info.yaml, e.g.
    tao-finetune-cosmos-reason: toolkit 1.19.1). Empty when no TAO 7 release is bundled."""
    from tao_tui import catalog

    versions = catalog.contract_versions()
    if not versions:
        return {}
    version = tao_version if catalog.is_contract_version(tao_version) else versions[-1]
    out = dict(catalog.contract_release(version).get("host_minimums") or {})
    row = catalog.contract_skill(network, version) if network else None
    for key, value in ((row or {}).get("runtime_requirements") or {}).get("gpu_host", {}).items():
        if key in out and (_vtuple(value) or ()) > (_vtuple(out[key]) or ()):
            out[key] = str(value)
    return out


def read_host_info() -> dict[str, str | None]:
    """This machine's CUDA driver API version (NVML) and NVIDIA Container Toolkit version
    (``nvidia-ctk --version``, else ``nvidia-container-cli --version``); None where unknown."""
    info: dict[str, str | None] = {"cuda": None, "toolkit": None}
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            raw = int(pynvml.nvmlSystemGetCudaDriverVersion())  # e.g. 13000 = 13.0
            info["cuda"] = f"{raw // 1000}.{raw % 1000 // 10}"
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # noqa: BLE001 - no NVML / no driver: unknown, reported as such
        pass
    for argv in (["nvidia-ctk", "--version"], ["nvidia-container-cli", "--version"]):
        if shutil.which(argv[0]) is None:
            continue
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        m = re.search(r"(\d+\.\d+\.\d+)", out)
        if m:
            info["toolkit"] = m.group(1)
            break
    return info


TAO7_FIXES = {
    "min_driver_version": "install NVIDIA driver {want} or newer (e.g. `sudo apt install nvidia-driver-{major}`"
                          " or NVIDIA's .run installer), then reboot",
    "min_cuda_version": "the driver's CUDA version comes with the driver: install NVIDIA driver {driver} or newer",
    "min_container_toolkit_version": "upgrade the NVIDIA Container Toolkit to {want} or newer "
                                     "(`sudo apt install --only-upgrade nvidia-container-toolkit`, then "
                                     "`sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl "
                                     "restart docker`)",
}


def tao7_host_check(driver: str | None, host: dict[str, str | None], *, remote: bool = False,
                    tao_version: str | None = None, network: str | None = None) -> Check:
    """pass / warn / fail for NVIDIA's TAO 7 host minimums. Below them: ``warn`` (TAO 5/6 images still
    run), ``fail`` for a TAO 7 project; unknown values (no GPU here, remote engine): ``warn``."""
    from tao_tui import catalog

    mins = tao7_minimums(tao_version, network)
    name = "tao 7 host"
    if not mins:
        return Check(name, PASS, "no TAO 7 release bundled")
    is7 = catalog.is_contract_version(tao_version)
    have = {"min_driver_version": driver, "min_cuda_version": host.get("cuda"),
            "min_container_toolkit_version": host.get("toolkit")}
    labels = {"min_driver_version": "driver", "min_cuda_version": "CUDA",
              "min_container_toolkit_version": "NVIDIA Container Toolkit"}
    low, unknown, ok = [], [], []
    for key, want in mins.items():
        got = have.get(key)
        if _vtuple(got) is None:
            unknown.append(f"{labels[key]} ? (needs >= {want})")
        elif _vtuple(got) < (_vtuple(want) or ()):
            low.append((key, f"{labels[key]} {got} < {want}"))
        else:
            ok.append(f"{labels[key]} {got} >= {want}")
    needs = ", ".join(f"{labels[k]} >= {v}" for k, v in mins.items())
    who = f"TAO {tao_version} {network or ''}".strip() if is7 else "TAO 7 images"
    verb = "needs" if is7 else "need"
    if low:
        fix = "; ".join(TAO7_FIXES[k].format(want=mins[k], major=(_vtuple(mins[k]) or (580,))[0],
                                              driver=mins.get("min_driver_version", "580"))
                        for k, _ in low)
        text = f"{who} {verb} {needs}: " + ", ".join(t for _, t in low)
        if not is7:
            text += " (TAO 5/6 images still run)"
        return Check(name, FAIL if is7 else WARN, text, fix)
    if unknown:
        where = f"check them on the engine's machine ({os.environ.get('DOCKER_HOST')})" if remote else \
            "install the NVIDIA driver and Container Toolkit; `nvidia-smi` and `nvidia-ctk --version` must work"
        return Check(name, WARN, f"{who} {verb} {needs}; not known here: " + ", ".join(unknown), where)
    return Check(name, PASS, f"{who}: " + ", ".join(ok))
