"""``~/.tao_mounts.json``: read, validate and write it the way NVIDIA's TAO launcher does.

The launcher's rules (``docker_handler.py``), which this module enforces with errors that
name the key, the rule and the fix:

* top-level keys are a subset of ``Mounts``, ``Envs``, ``DockerOptions``; ``Mounts`` is required;
* each mount has ``source`` and ``destination``; both go through ``realpath(expanduser())``
  (the launcher does that to the destination too, on the host); a source that does not
  exist is an error;
* each ``Envs`` entry has ``variable`` and ``value``;
* ``DockerOptions`` keys are a subset of ``user, ports, shm_size, ulimits, privileged,
  network, tty``, and ``ulimits`` is a dict (each value is used as soft and hard limit).

A missing file means "no mounts" for the launcher; :func:`load_mounts` returns ``None``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tao_tui.errors import SpecParseError, ValidationError
from tao_tui.project import read_text_file

TOP_LEVEL_KEYS = ("Mounts", "Envs", "DockerOptions")
VALID_DOCKER_OPTIONS = ("user", "ports", "shm_size", "ulimits", "privileged", "network", "tty")
DEFAULT_FILE = "~/.tao_mounts.json"
SHOWN = "~/.tao_mounts.json"


def mounts_path() -> Path:
    return Path(os.path.expanduser(DEFAULT_FILE))


@dataclass(frozen=True)
class MountEntry:
    source: str  # host path, expanded and resolved
    destination: str  # container path (normalised like the launcher does)


@dataclass
class TaoMounts:
    mounts: list[MountEntry] = field(default_factory=list)
    envs: list[tuple[str, str]] = field(default_factory=list)
    docker_options: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    # ------------------------------------------------------------ path mapping

    def to_host(self, container_path: str) -> str | None:
        """Container path -> host path through the mount whose destination is the longest prefix."""
        best = _best_prefix(container_path, ((m.destination, m.source) for m in self.mounts))
        return best

    def to_container(self, host_path: str) -> str | None:
        """Host path -> container path through the mount whose source is the longest prefix."""
        real = os.path.realpath(os.path.expanduser(host_path))
        return _best_prefix(real, ((m.source, m.destination) for m in self.mounts))

    # ------------------------------------------------------------ use

    def env(self) -> dict[str, str]:
        return dict(self.envs)

    def engine_mounts(self) -> list[Any]:
        """The mounts as :class:`tao_tui.runtime.engine.Mount` (read-write, like the launcher)."""
        from tao_tui.runtime.engine import Mount

        return [Mount(m.source, m.destination) for m in self.mounts]

    def run_options(self) -> dict[str, Any]:
        """DockerOptions as RunSpec fields, each honoured as NVIDIA's launcher does: ``user``, ``shm_size``,
        ``ulimits``, ``network`` (False for "none") / ``network_mode``, ``privileged``, ``tty``, ``ports``."""
        opts: dict[str, Any] = {}
        d = self.docker_options
        if "user" in d:
            opts["user"] = str(d["user"])
        if "shm_size" in d:
            opts["shm_size"] = d["shm_size"]
        if "ulimits" in d:
            opts["ulimits"] = dict(d["ulimits"])
        if d.get("network") == "none":
            opts["network"] = False
        elif d.get("network"):
            opts["network_mode"] = str(d["network"])  # "host", "bridge" or a user network, as the launcher
        for key in ("privileged", "tty"):
            if d.get(key):
                opts[key] = True
        if d.get("ports"):
            opts["ports"] = {str(k): v for k, v in d["ports"].items()}
        return opts

    def warnings(self) -> list[str]:
        """Allowed but risky settings (launcher pitfalls M4, M7)."""
        out = []
        if "user" not in self.docker_options:
            out.append(
                f'{SHOWN}: DockerOptions has no "user", so TAO writes results as root; '
                f'add "user": "{os.getuid()}:{os.getgid()}"'
            )
        dests = [m.destination for m in self.mounts]
        for a in dests:
            for b in dests:
                if a != b and _is_under(b, a):
                    out.append(
                        f"{SHOWN}: destination {b} is inside destination {a} (nested mounts confuse paths)"
                    )
        seen: dict[str, str] = {}
        for m in self.mounts:
            if m.source in seen and seen[m.source] != m.destination:
                out.append(f"{SHOWN}: {m.source} is mounted twice ({seen[m.source]} and {m.destination})")
            seen.setdefault(m.source, m.destination)
        return out

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "Mounts": [{"source": m.source, "destination": m.destination} for m in self.mounts]
        }
        if self.envs:
            data["Envs"] = [{"variable": k, "value": v} for k, v in self.envs]
        if self.docker_options:
            data["DockerOptions"] = dict(self.docker_options)
        return data


# ---------------------------------------------------------------- read / validate


def load_mounts(
    path: str | os.PathLike[str] | None = None, *, check_sources: bool = True
) -> TaoMounts | None:
    """Read and validate the file; ``None`` when it does not exist (the launcher's "no mounts")."""
    p = Path(path) if path is not None else mounts_path()
    if not p.exists():
        return None
    text = read_text_file(p, what="NVIDIA's launcher file", max_bytes=1 << 20)
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValidationError(str(p), "the JSON is nested too deeply to be a launcher file",
                              fix='start from {"Mounts": []}') from None
    except json.JSONDecodeError as err:
        raise SpecParseError(
            str(p),
            err.lineno,
            err.colno,
            f"not valid JSON: {err.msg}",
            fix="fix the JSON syntax (quotes, commas)",
        ) from err
    return parse_mounts(data, path=str(p), check_sources=check_sources)


def parse_mounts(data: Any, *, path: str | None = None, check_sources: bool = True) -> TaoMounts:
    name = _shown(path)
    if not isinstance(data, dict):
        raise ValidationError(name, "the file must hold one JSON object", fix='start from {"Mounts": []}')
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ValidationError(
                f"{name}: {key}",
                f"unknown top-level key '{key}' (the TAO launcher raises 'Invalid field {key} found')",
                fix=f"only {', '.join(TOP_LEVEL_KEYS)} are allowed; remove or rename '{key}'",
            )
    if "Mounts" not in data:
        raise ValidationError(
            f"{name}: Mounts",
            "the Mounts key is required ('Invalid json file. Requires Mounts key.')",
            fix='add "Mounts": [{"source": "<host folder>", "destination": "/workspace/tao-experiments"}]',
        )
    raw_mounts = data["Mounts"]
    if not isinstance(raw_mounts, list):
        raise ValidationError(
            f"{name}: Mounts", "Mounts must be a list of {source, destination} objects", fix=_MFIX
        )
    mounts = []
    for i, m in enumerate(raw_mounts):
        field_name = f"{name}: Mounts[{i}]"
        if not isinstance(m, dict) or "source" not in m or "destination" not in m:
            raise ValidationError(
                field_name,
                "each mount needs 'source' and 'destination' ('Mounts are not formatted correctly.')",
                _MFIX,
            )
        for k in ("source", "destination"):
            if not isinstance(m[k], str) or not m[k].strip():
                raise ValidationError(f"{field_name}.{k}", f"{k} must be a non-empty path string", _MFIX)
        source = os.path.realpath(os.path.expanduser(m["source"]))
        destination = os.path.realpath(os.path.expanduser(m["destination"]))
        if check_sources and not os.path.exists(source):
            raise ValidationError(
                f"{field_name}.source",
                f"folder {m['source']} (mapped to {destination} in the container) doesn't exist on this machine "
                '(the launcher fails with "Mount point source path doesn\'t exist.")',
                fix=f"create it (`mkdir -p {shlex.quote(source)}`) or fix the path",
            )
        mounts.append(MountEntry(source, destination))
    envs: list[tuple[str, str]] = []
    raw_envs = data.get("Envs", [])
    if not isinstance(raw_envs, list):
        raise ValidationError(f"{name}: Envs", "Envs must be a list of {variable, value} objects", fix=_EFIX)
    for i, e in enumerate(raw_envs):
        if not isinstance(e, dict) or "variable" not in e or "value" not in e:
            raise ValidationError(
                f"{name}: Envs[{i}]",
                "each env entry needs 'variable' and 'value' ('Env variables aren't formatter correctly.')",
                fix=_EFIX,
            )
        var, val = str(e["variable"]), str(e["value"])
        if "\0" in var + val or "=" in var or not var.strip():
            raise ValidationError(f"{name}: Envs[{i}]", "a variable needs a name without '=' and no NUL "
                                  "character in its name or value (Docker refuses them)", fix=_EFIX)
        envs.append((var, val))
    options = data.get("DockerOptions", {})
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise ValidationError(f"{name}: DockerOptions", "DockerOptions must be an object", fix=_OFIX)
    for key, value in options.items():
        if key not in VALID_DOCKER_OPTIONS:
            raise ValidationError(
                f"{name}: DockerOptions.{key}",
                f"'{key}' isn't a valid option",
                fix=f"use only {list(VALID_DOCKER_OPTIONS)}"
                + (" (spelled shm_size, with an underscore)" if key.replace("-", "_") == "shm_size" else ""),
            )
        if key == "ulimits":
            if not isinstance(value, dict):
                raise ValidationError(
                    f"{name}: DockerOptions.ulimits",
                    "ulimits must be a dictionary of name: value ('Ulimits should be a dictionary of params')",
                    fix='e.g. "ulimits": {"memlock": -1, "stack": 67108864}',
                )
            for lim, v in value.items():
                if isinstance(v, bool) or not isinstance(v, int):
                    raise ValidationError(
                        f"{name}: DockerOptions.ulimits.{lim}",
                        "each ulimit value must be an integer (used as soft and hard limit)",
                        fix=f'e.g. "{lim}": -1',
                    )
        if key == "user" and (not isinstance(value, str | int) or not re.fullmatch(r"\d+(:\d+)?", str(value))):
            raise ValidationError(f"{name}: DockerOptions.user",
                                  'user must be numeric "UID:GID" (a name may not exist in the TAO image)',
                                  fix=_UFIX)
        if key == "ulimits":
            for lim in value:
                if lim not in ULIMIT_NAMES:
                    raise ValidationError(f"{name}: DockerOptions.ulimits.{lim}", f"'{lim}' is not a ulimit",
                                          fix=f"use one of {', '.join(sorted(ULIMIT_NAMES))}")
        if key == "shm_size" and shm_bytes(value) is None:
            raise ValidationError(f"{name}: DockerOptions.shm_size",
                                  f"shm_size {value!r:.40} is not a size from 1 MB to 1 TB",
                                  fix='write it as Docker does, e.g. "16G" or "512m"')
        if key in ("privileged", "tty") and not isinstance(value, bool):
            raise ValidationError(f"{name}: DockerOptions.{key}", f"{key} must be true or false",
                                  fix=f'"{key}": true')
        if key == "network" and (not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", value)):
            raise ValidationError(f"{name}: DockerOptions.network", "network must be a Docker network name",
                                  fix='"host", "none", "bridge" or a network from `docker network ls`')
        if key == "ports" and not _ports_ok(value):
            raise ValidationError(f"{name}: DockerOptions.ports",
                                  'ports must map container ports to host ports, e.g. {"8888": 8888}',
                                  fix='e.g. "ports": {"8888": 8888, "6006/tcp": 6006}')
    return TaoMounts(mounts=mounts, envs=envs, docker_options=dict(options), path=path)


ULIMIT_NAMES = frozenset({"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
                          "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"})


def shm_bytes(value: Any) -> int | None:
    """Docker's size syntax (``"16G"``, ``"512m"``, ``1073741824``) in bytes, or None when it is not one
    or lies outside 1 MB..1 TB (a typo like "999999G" would fail only at run time)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,15})(?:\.(\d{1,6}))?\s*([bkmgt]?)b?\s*", value.lower())
        if not m:
            return None
        unit = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(3)]
        n = int(float(f"{m.group(1)}.{m.group(2) or 0}") * unit)
    else:
        return None
    return n if (1 << 20) <= n <= (1 << 40) else None


def _ports_ok(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    for k, v in value.items():
        if not re.fullmatch(r"\d{1,5}(/(tcp|udp|sctp))?", str(k)) or isinstance(v, bool):
            return False
        if not (isinstance(v, int) or (isinstance(v, str) and re.fullmatch(r"[\d.:]*\d{1,5}", v))):
            return False
    return True


# ---------------------------------------------------------------- write


def write_mounts(mounts: TaoMounts | dict[str, Any], path: str | os.PathLike[str] | None = None) -> Path:
    """Validate (sources not checked) and write atomically (temp file + ``os.replace``)."""
    p = Path(path) if path is not None else mounts_path()
    data = mounts.to_json() if isinstance(mounts, TaoMounts) else mounts
    parse_mounts(data, path=str(p), check_sources=False)
    text = json.dumps(data, indent=4) + "\n"
    p.parent.mkdir(parents=True, exist_ok=True)
    mode = p.stat().st_mode & 0o777 if p.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    return p


def default_mounts(
    sources: Iterable[tuple[str, str]], *, shm_size: str | None = None, user: str | None = None
) -> TaoMounts:
    """Mounts for (host, container) pairs, with ``user`` = your ids (files stay yours)."""
    options: dict[str, Any] = {"user": user or f"{os.getuid()}:{os.getgid()}"}
    if shm_size:
        options["shm_size"] = shm_size
    entries = [MountEntry(os.path.realpath(os.path.expanduser(s)), os.path.normpath(d)) for s, d in sources]
    return TaoMounts(mounts=entries, docker_options=options)


# ---------------------------------------------------------------- helpers

_MFIX = '{"source": "/home/you/tao-experiments", "destination": "/workspace/tao-experiments"}'
_EFIX = '{"variable": "NAME", "value": "VALUE"}'
_OFIX = (
    f'an object with keys from {list(VALID_DOCKER_OPTIONS)}, e.g. {{"user": "1000:1000", "shm_size": "16G"}}'
)
_UFIX = 'e.g. "user": "1000:1000" (`id -u`:`id -g`)'


def _shown(path: str | None) -> str:
    if not path:
        return SHOWN
    home = os.path.expanduser("~")
    return "~" + path[len(home) :] if path.startswith(home + os.sep) else path


def _is_under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder if folder == "/" else folder + "/")


def _best_prefix(path: str, pairs: Iterable[tuple[str, str]]) -> str | None:
    norm = os.path.normpath(path)
    best: tuple[int, str] | None = None
    for prefix, other in pairs:
        if _is_under(norm, prefix):
            rest = norm[len(prefix.rstrip("/")) :].lstrip("/")
            mapped = os.path.join(other, rest) if rest else other
            if best is None or len(prefix) > best[0]:
                best = (len(prefix), mapped)
    return best[1] if best else None


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True
