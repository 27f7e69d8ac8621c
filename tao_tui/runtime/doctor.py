"""Pre-flight checks of this machine, before any GPU container starts.

Each check is ``pass``, ``warn`` or ``fail`` and says how to fix what is wrong. The checks
only read (no container is started, nothing is pulled).
"""

from __future__ import annotations

import getpass
import grp
import os
import shutil
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
) -> list[Check]:
    """All checks, in the order a beginner hits the problems. Dependencies are injectable for tests."""
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
    return checks


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
    fix = f"`sudo usermod -aG docker {user}`, then log out and in"
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
