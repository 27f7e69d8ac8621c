"""The error texts of the runtime: what went wrong with the engine, and how to fix it.

Every function here turns a Docker SDK / OS error into an ``EnvironmentProblem`` (exit 2) whose
message names what tao-tui was doing and whose fix is a command to try. No docker import here.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import shutil
from pathlib import Path
from typing import Any

from tao_tui.errors import EnvironmentProblem

NVCR = "nvcr.io"

TOOLKIT_FIX = (
    "install the NVIDIA Container Toolkit "
    "(https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html), "
    "then `sudo nvidia-ctk runtime configure --runtime=docker` and `sudo systemctl restart docker`"
)
LOGIN_FIX = "`docker login nvcr.io` with user name `$oauthtoken` (literally) and your NGC API key as password"

def docker_config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def registry_login_state(registry: str = NVCR) -> tuple[bool, str]:
    """Is the Docker client logged in to ``registry``? Reads ``~/.docker/config.json`` like
    NVIDIA's launcher (an ``auths`` entry, possibly ``{}`` when a credsStore holds the secret)."""
    path = docker_config_path()
    if not path.is_file():
        return False, f"{path} does not exist (never logged in to any registry)"
    try:
        cfg = json.loads(path.read_text() or "{}")
    except (OSError, ValueError) as err:
        return False, f"{path} is not readable JSON ({err})"
    auths = cfg.get("auths") or {}
    keys = {k.removeprefix("https://").removeprefix("http://").rstrip("/").split("/")[0] for k in auths}
    helpers = cfg.get("credHelpers") or {}
    if registry in keys:
        store = cfg.get("credsStore")
        if store:
            if shutil.which(f"docker-credential-{store}") is None:
                return False, (
                    f"{path} stores the {registry} login in credsStore '{store}', but "
                    f"docker-credential-{store} is not on PATH"
                )
            return True, f"logged in to {registry} (credentials in credsStore '{store}')"
        return True, f"logged in to {registry}"
    if registry in helpers:
        return True, f"{registry} uses credential helper '{helpers[registry]}'"
    return False, f"{path} has no login for {registry}"


class FollowerBusy(EnvironmentProblem):
    """Another process already follows this container into the same log file."""


class ContainerGone(EnvironmentProblem):
    """The container of a run does not exist (any more): removed with ``docker rm`` or never made."""


def explain(err: Any) -> str:
    text = getattr(err, "explanation", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text or err)


def registry_of(image: str) -> str:
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def connect_problem(host: str, err: BaseException) -> EnvironmentProblem:
    text = f"{err!r} {err}"
    if "Permission denied" in text or "PermissionError" in text or "EACCES" in text:
        user = getpass.getuser()
        return EnvironmentProblem(
            f"user {user} can't use Docker (permission denied on {host})",
            fix=f"`sudo usermod -aG docker {shlex.quote(user)}`, then log out and in again",
        )
    if "paramiko" in text.lower():
        return EnvironmentProblem(
            f"this tao-tui install can't reach ssh:// engines ({short(err)})",
            fix="reinstall tao-tui with its ssh support on THIS machine: `pip install 'docker[ssh]'`",
        )
    if host.startswith("ssh://"):
        return EnvironmentProblem(
            f"Docker is not reachable at {host} ({short(err)})",
            fix=f"check `ssh {shlex.quote(host[len('ssh://') :])} docker info` works; start Docker there "
            "(`sudo systemctl start docker`)",
        )
    return EnvironmentProblem(
        f"Docker is not running / not reachable at {host} ({short(err)})",
        fix="start it (`sudo systemctl start docker`); for an engine on another machine set DOCKER_HOST "
        "(e.g. ssh://user@gpu-box)",
    )


def connection_problem(host: str, err: BaseException) -> EnvironmentProblem:
    if isinstance(err, EnvironmentProblem):
        return err
    return EnvironmentProblem(
        f"lost the connection to Docker at {host} ({short(err)})",
        fix="check the engine is still running (`docker info`; `sudo systemctl start docker`), then "
        "reopen tao-tui: running stages are found again by their labels",
    )


def api_problem(doing: str, err: Any) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"Docker refused {doing}: {explain(err)}",
        fix="see the engine's log (`journalctl -u docker`), or run `tao-tui doctor`",
    )


def start_problem(spec: Any, err: Any, *, created: bool) -> EnvironmentProblem:
    text = explain(err)
    low = text.lower()
    if "could not select device driver" in low or "[[gpu]]" in low or "nvidia-container-cli" in low:
        return EnvironmentProblem(f"Docker can't give the container a GPU ({text})", fix=TOOLKIT_FIX)
    if "unknown runtime" in low and "nvidia" in low:
        return EnvironmentProblem(f"Docker has no NVIDIA runtime ({text})", fix=TOOLKIT_FIX)
    if "is already in use by container" in low:
        return EnvironmentProblem(
            f"a container named {spec.name} already exists ({text})",
            fix=f"remove it (`docker rm -f {shlex.quote(str(spec.name))}`) or pick another run name",
        )
    if "no space left on device" in low:
        return EnvironmentProblem(
            f"the disk is full ({text})", fix="free some space (`docker system prune`, old results/)"
        )
    if "permission denied" in low and "mount" in low:
        return EnvironmentProblem(
            f"Docker could not mount a folder ({text})",
            fix="check the folders in ~/.tao_mounts.json are readable by the Docker daemon",
        )
    where = "start" if created else "create"
    return EnvironmentProblem(
        f"Docker could not {where} the container for {spec.image}: {text}",
        fix="run `tao-tui doctor` to check the engine, GPU runtime and mounts",
    )


def pull_problem(image: str, text: str) -> EnvironmentProblem:
    low = text.lower()
    registry = registry_of(image)
    if any(k in low for k in ("unauthorized", "authentication required", "denied", "401", "403")):
        logged_in, why = registry_login_state(registry)
        if not logged_in and registry == NVCR:
            return EnvironmentProblem(
                f"could not pull {image}: not logged in to nvcr.io ({why})", fix=LOGIN_FIX
            )
        if registry == NVCR:
            return EnvironmentProblem(
                f"could not pull {image}: NGC refused your login ({text})",
                fix="your NGC API key may be wrong or expired, or the user name was not `$oauthtoken`: "
                "create a new key at ngc.nvidia.com -> Setup, then `docker login nvcr.io -u '$oauthtoken'`",
            )
        return EnvironmentProblem(
            f"could not pull {image}: access denied ({text})", fix=f"`docker login {shlex.quote(registry)}`"
        )
    if "manifest unknown" in low or "not found" in low:
        return EnvironmentProblem(
            f"could not pull {image}: the registry has no such image or tag ({text})",
            fix="check the TAO version; `tao-tui catalog` lists the image for each network",
        )
    if "no space left" in low:
        return EnvironmentProblem(
            f"could not pull {image}: disk full ({text})",
            fix="TAO images take many GB: free space on Docker's data root (`docker system prune`)",
        )
    if any(
        k in low
        for k in ("no such host", "dial tcp", "timeout", "i/o timeout", "connection refused", "lookup")
    ):
        return EnvironmentProblem(
            f"could not pull {image}: {registry} is not reachable ({text})",
            fix="check this machine's internet access / proxy (`docker pull` must work)",
        )
    return EnvironmentProblem(f"could not pull {image}: {text}", fix=f"try `docker pull {shlex.quote(image)}` by hand")


def short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
