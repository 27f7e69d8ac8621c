"""The container engine: the only module of tao-tui that imports the Docker SDK.

``docker`` is imported lazily (inside functions), so ``import tao_tui.runtime.engine``
is cheap and ``tao-tui --help`` never pays for it.

Facts this module relies on were measured against dockerd 20.10 / API 1.41 with
docker-py 7.2.0 (see ``shared/engine/README.md``):

* log timestamps are fixed-width RFC3339Nano, so comparing them as strings orders them;
* ``logs(since=datetime)`` is truncated to whole seconds by the SDK: pass a float;
* a live ``logs(follow=True)`` stream sometimes ends early when a container prints a
  burst and exits at once: a catch-up read (``follow=False, since=<last ts>``) gets the rest;
* ``containers.run`` pulls a missing image (a network attempt): we never call it, we
  check ``images.get`` and use ``create`` + ``start``;
* a GPU request without the NVIDIA runtime fails in ``start`` (``create`` succeeded), so
  the ``created`` container has to be removed.
"""

from __future__ import annotations

import calendar
import collections
import contextlib
import errno
import getpass
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tao_tui.errors import EnvironmentProblem

GiB = 1024**3
DEFAULT_SOCKET = "unix:///var/run/docker.sock"
NVCR = "nvcr.io"

TOOLKIT_FIX = (
    "install the NVIDIA Container Toolkit "
    "(https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html), "
    "then `sudo nvidia-ctk runtime configure --runtime=docker` and `sudo systemctl restart docker`"
)
LOGIN_FIX = "`docker login nvcr.io` with user name `$oauthtoken` (literally) and your NGC API key as password"

GpuRequest = str | int | Sequence[int] | None


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Mount:
    """A host folder (or file) bound into the container."""

    source: str
    target: str
    read_only: bool = False


@dataclass
class RunSpec:
    """Everything needed to start one stage's container.

    ``gpus``: ``"all"`` (every GPU, like NVIDIA's launcher), an int N (N GPUs), a list of
    GPU indices, or ``None`` (no GPU request at all). ``user``: ``"UID:GID"``; ``None`` means
    the caller's own ids (files in the results folder stay yours); ``""`` keeps the image's
    user (root for TAO images). ``network``: ``False`` runs with ``network_mode="none"``.
    """

    image: str
    argv: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    gpus: GpuRequest = "all"
    shm_size: str | int | None = None
    workdir: str | None = None
    name: str | None = None
    network: bool = True
    ulimits: dict[str, Any] | None = None
    entrypoint: list[str] | None = None


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    status: str  # created | running | paused | restarting | exited | dead
    labels: dict[str, str]
    exit_code: int | None  # None while it has not exited
    image: str
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def running(self) -> bool:
        return self.status in ("running", "restarting", "paused", "created")


@dataclass(frozen=True)
class PullProgress:
    """One step of ``Engine.pull``: the latest message and totals over all layers."""

    status: str
    layer: str | None
    done_bytes: int
    total_bytes: int
    layers_done: int
    layers_total: int


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


# --------------------------------------------------------------------------- timestamps

_TS_RE = re.compile(rb"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def ts_to_since(ts: bytes | str) -> float:
    """RFC3339Nano timestamp -> a float ``since`` that is never later than ``ts``.

    A float has ~0.24 µs resolution at today's epoch, so we truncate to microseconds and
    step one microsecond back; lines at or before ``ts`` are dropped by the caller anyway.
    """
    raw = ts.encode() if isinstance(ts, str) else ts
    m = _TS_RE.match(raw)
    if not m:
        raise ValueError(f"not an RFC3339 timestamp: {raw!r}")
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    frac = (m.group(7) or b"0").decode().ljust(9, "0")
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    tz = m.group(8)
    if tz != b"Z":
        sign = 1 if tz[:1] == b"+" else -1
        secs -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    micros = int(frac[:6])
    value = secs + micros / 1e6 - 1e-6
    return max(value, 1e-6)


# --------------------------------------------------------------------------- log file tail


def read_log_tail(path: str | os.PathLike[str], *, repair: bool = True) -> tuple[bytes | None, int]:
    """The last timestamp in a run log and how many trailing lines carry it.

    Reads backwards from the end (never the whole file). A torn last line (a write cut
    by a killed process: no final newline) is truncated away when ``repair`` is true, so
    the next ``follow`` fetches it again from the engine. Returns ``(None, 0)`` for a
    missing or empty file.
    """
    p = os.fspath(path)
    try:
        size = os.path.getsize(p)
    except FileNotFoundError:
        return None, 0
    if size == 0:
        return None, 0
    block = 1 << 16
    with open(p, "rb") as f:
        tail = b""
        pos = size
        # 1. find the end of the last complete line
        while True:
            start = max(0, pos - block)
            f.seek(start)
            tail = f.read(pos - start) + tail
            pos = start
            if tail.endswith(b"\n") or b"\n" in tail or pos == 0:
                break
        cut = tail.rfind(b"\n")
        complete_end = pos + cut + 1  # file offset just past the last newline (0 if none)
        if complete_end < size and repair:
            with open(p, "r+b") as w:
                w.truncate(complete_end)
        if cut < 0:
            return None, 0
        tail = tail[: cut + 1]
        # 2. walk the complete lines backwards: last ts and how many trailing lines share it
        last_ts: bytes | None = None
        count = 0
        while True:
            lines = tail.split(b"\n")[:-1]  # complete lines in this window
            first_partial = pos > 0  # lines[0] may be cut at the window's start
            for i in range(len(lines) - 1, -1, -1):
                if i == 0 and first_partial:
                    break
                ts = lines[i].split(b" ", 1)[0]
                if last_ts is None:
                    if not _TS_RE.match(ts):
                        raise EnvironmentProblem(
                            f"{p} does not end with a timestamped log line, so tao-tui cannot tell "
                            "where to resume",
                            fix=f"move {p} aside; tao-tui will fetch the whole log again",
                        )
                    last_ts = ts
                    count = 1
                elif ts == last_ts:
                    count += 1
                else:
                    return last_ts, count
            if pos == 0:
                return last_ts, count
            start = max(0, pos - block)
            f.seek(start)
            tail = f.read(pos - start) + tail
            pos = start


class _LogSink:
    """Turns engine log bytes into ``"<ts> <text>\\n"`` lines appended to the run log.

    ``begin_pass()`` starts a new read from the engine (``since`` <= the last ts we hold):
    lines older than ``last_ts`` and the first ``count`` lines with ``last_ts`` are dropped,
    then everything is kept. Bytes are written in one ``write`` per batch.
    """

    def __init__(
        self,
        fd: int,
        last_ts: bytes | None,
        count: int,
        on_lines: Callable[[list[str]], Any] | None,
        *,
        tty: bool = False,
    ):
        self.fd = fd
        self.last_ts = last_ts
        self.count = count
        self.on_lines = on_lines
        self.tty = tty
        self.rawbuf = b""
        self.partial = b""
        self.catching = False
        self.to_skip = 0
        self.lines_written = 0

    def begin_pass(self) -> None:
        """A new response from the engine starts (its ``since`` <= ``last_ts``)."""
        self.rawbuf = b""
        self.partial = b""
        self.catching = self.last_ts is not None
        self.to_skip = self.count

    def feed_raw(self, data: bytes, *, final: bool = False) -> None:
        """Bytes as the engine sends them: 8-byte frame headers (stream, length) unless TTY."""
        if self.tty:
            self.feed(data, final=final)
            return
        buf = self.rawbuf + data if self.rawbuf else data
        out = []
        pos = 0
        n = len(buf)
        from_bytes = int.from_bytes
        while pos + 8 <= n:
            end = pos + 8 + from_bytes(buf[pos + 4 : pos + 8], "big")
            if end > n:
                break
            out.append(buf[pos + 8 : end])
            pos = end
        self.rawbuf = buf[pos:]
        self.feed(b"".join(out), final=final)

    def feed(self, data: bytes, *, final: bool = False) -> None:
        if self.partial:
            data = self.partial + data
            self.partial = b""
        if final and data and not data.endswith(b"\n"):
            data += b"\n"
        cut = data.rfind(b"\n") + 1
        if cut < len(data):
            self.partial = data[cut:]
            data = data[:cut]
        if not data:
            return
        if self.catching:
            data = self._skip_known(data)
            if not data:
                return
        self._emit(data)

    def _skip_known(self, data: bytes) -> bytes:
        """Drop the lines we already hold (only at the start of a pass)."""
        last = self.last_ts
        pos = 0
        n = len(data)
        while pos < n:
            end = data.index(b"\n", pos) + 1
            sp = data.find(b" ", pos, end)
            ts = data[pos : sp if sp >= 0 else end - 1]
            if last is not None and ts < last:
                pos = end
                continue
            if ts == last and self.to_skip > 0:
                self.to_skip -= 1
                pos = end
                continue
            self.catching = False
            return data[pos:]
        return b""

    def _emit(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        # new last ts and how many trailing lines carry it
        end = len(data) - 1
        start = data.rfind(b"\n", 0, end) + 1
        sp = data.find(b" ", start, end)
        ts = data[start : sp if sp >= 0 else end]
        same = 1
        while start > 0:
            pend = start - 1
            pstart = data.rfind(b"\n", 0, pend) + 1
            if data.startswith(ts + b" ", pstart) or data[pstart:pend] == ts:
                same += 1
                start = pstart
            else:
                break
        else:
            if ts == self.last_ts:
                same += self.count
        self.last_ts = ts
        self.count = same
        lines = data.count(b"\n")
        self.lines_written += lines
        if self.on_lines is not None:
            text = data.decode("utf-8", "replace").split("\n")
            text.pop()  # after the final newline
            self.on_lines([t.partition(" ")[2] for t in text])


# --------------------------------------------------------------------------- engine


class Engine:
    """A connected Docker engine (local socket, tcp:// or ssh:// through ``DOCKER_HOST``).

    ``min_free_bytes``: ``start`` refuses to run when a writable mount's filesystem has
    less free space; ``warn_free_bytes``: below this it warns (``on_warning`` / ``warnings``).
    """

    def __init__(
        self, client: Any, host: str, *, min_free_bytes: int = 2 * GiB, warn_free_bytes: int = 20 * GiB
    ):
        self.client = client
        self.host = host
        self.min_free_bytes = min_free_bytes
        self.warn_free_bytes = warn_free_bytes
        self.warnings: list[str] = []

    # ---------------------------------------------------------------- connect

    @classmethod
    def connect(cls, host: str | None = None, *, timeout: int = 60, **kwargs: Any) -> Engine:
        """Connect to the engine named by ``host`` or ``$DOCKER_HOST`` (default: the local socket).

        ``ssh://user@host`` uses the ``ssh`` command (your ``~/.ssh/config`` applies).
        Raises ``EnvironmentProblem`` with the fix when the engine is down or not allowed.
        """
        import docker

        target = host or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
        use_ssh = target.startswith("ssh://")
        try:
            if host:
                client = docker.DockerClient(
                    base_url=host, version="auto", timeout=timeout, use_ssh_client=use_ssh
                )
            else:
                client = docker.from_env(timeout=timeout, use_ssh_client=use_ssh)
            client.ping()
        except Exception as err:  # DockerException, requests' ConnectionError, OSError ...
            raise _connect_problem(target, err) from err
        return cls(client, target, **kwargs)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> dict[str, Any]:
        return self._call(self.client.version, "asking the engine for its version")

    def info(self) -> dict[str, Any]:
        return self._call(self.client.info, "asking the engine for its settings (docker info)")

    def gpu_runtime(self) -> tuple[bool, str]:
        """Can this engine give containers a GPU? (``nvidia`` runtime or CDI devices; no container started)."""
        info = self.info()
        runtimes = sorted((info.get("Runtimes") or {}).keys())
        if "nvidia" in runtimes:
            default = info.get("DefaultRuntime", "runc")
            return True, f"nvidia runtime registered (runtimes: {', '.join(runtimes)}; default {default})"
        cdi = info.get("CDISpecDirs")
        if cdi:
            for folder in cdi:
                with contextlib.suppress(OSError):
                    if any(n.startswith("nvidia") for n in os.listdir(folder)):
                        return True, f"CDI: NVIDIA device spec in {folder}"
        return False, f"no nvidia runtime (runtimes: {', '.join(runtimes) or 'none'}) and no NVIDIA CDI spec"

    # ---------------------------------------------------------------- images

    def has_image(self, image: str) -> bool:
        import docker.errors

        try:
            self.client.images.get(image)
            return True
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError as err:
            raise _api_problem(f"looking up image {image}", err) from err

    def ensure_image(self, image: str) -> None:
        """Raise ``EnvironmentProblem`` (with the pull/login fix) unless ``image`` is local. Never pulls."""
        if self.has_image(image):
            return
        steps = f"`docker pull {image}`, or let tao-tui pull it: `tao-tui run --pull`"
        if _registry_of(image) == NVCR:
            logged_in, _why = registry_login_state(NVCR)
            login = "" if logged_in else f"{LOGIN_FIX}, then "
            fix = f"{login}{steps}"
        else:
            fix = steps
        raise EnvironmentProblem(f"image {image} is not on this machine ({self.host})", fix=fix)

    def pull(self, image: str, on_progress: Callable[[PullProgress], Any] | None = None) -> None:
        """Pull ``image`` (only when asked), reporting byte totals over all layers."""
        import docker.errors

        repo, tag = _split_tag(image)
        layers: dict[str, tuple[int, int]] = {}
        done: set[str] = set()
        try:
            stream = self.client.api.pull(repo, tag=tag, stream=True, decode=True)
            for event in stream:
                if "error" in event:
                    raise _pull_problem(image, str(event.get("error") or event.get("errorDetail")))
                status = str(event.get("status", ""))
                layer = event.get("id")
                detail = event.get("progressDetail") or {}
                if layer and "total" in detail:
                    layers[layer] = (int(detail.get("current", 0)), int(detail["total"]))
                if layer and status in ("Pull complete", "Already exists", "Download complete"):
                    done.add(layer)
                    if layer in layers:
                        layers[layer] = (layers[layer][1], layers[layer][1])
                if on_progress is not None:
                    on_progress(
                        PullProgress(
                            status=status,
                            layer=layer,
                            done_bytes=sum(c for c, _ in layers.values()),
                            total_bytes=sum(t for _, t in layers.values()),
                            layers_done=len(done),
                            layers_total=max(len(done), len(layers)),
                        )
                    )
        except EnvironmentProblem:
            raise
        except docker.errors.APIError as err:
            raise _pull_problem(image, _explain(err)) from err
        except Exception as err:
            raise _pull_problem(image, str(err)) from err
        if not self.has_image(image):
            raise _pull_problem(image, "the pull ended but the image is still not listed")

    # ---------------------------------------------------------------- run

    def check_mounts(self, mounts: Iterable[Mount], on_warning: Callable[[str], Any] | None = None) -> None:
        """Every source exists; every writable mount's filesystem has room. Raises before anything starts."""
        seen_dev: set[int] = set()
        for m in mounts:
            src = os.path.realpath(os.path.expanduser(m.source))
            if not os.path.exists(src):
                raise EnvironmentProblem(
                    f"folder {m.source} (mounted at {m.target} in the container) does not exist on this machine",
                    fix=f"create it (`mkdir -p {m.source}`) or fix the path (~/.tao_mounts.json or the project)",
                )
            if m.read_only:
                continue
            st = os.stat(src)
            if st.st_dev in seen_dev:
                continue
            seen_dev.add(st.st_dev)
            free = shutil.disk_usage(src).free
            if free < self.min_free_bytes:
                raise EnvironmentProblem(
                    f"only {free / GiB:.1f} GiB free on the disk holding {src} (mounted at {m.target}); "
                    f"tao-tui needs at least {self.min_free_bytes / GiB:.1f} GiB to write checkpoints and logs",
                    fix="free some space (old results/, `docker system prune`) or mount a bigger disk",
                )
            if free < self.warn_free_bytes:
                msg = (
                    f"low disk space: {free / GiB:.1f} GiB free on the disk holding {src} "
                    f"(mounted at {m.target}); training checkpoints can fill it"
                )
                self.warnings.append(msg)
                if on_warning is not None:
                    on_warning(msg)

    def start(self, spec: RunSpec, on_warning: Callable[[str], Any] | None = None) -> str:
        """Create and start the container detached; returns its id.

        Order: mounts checked, image checked (never pulled), ``create``, ``start``. When
        ``start`` fails, the ``created`` container is removed before the error is raised.
        """
        import docker.errors
        import docker.types

        self.check_mounts(spec.mounts, on_warning)
        self.ensure_image(spec.image)

        kwargs: dict[str, Any] = {
            "command": list(spec.argv),
            "detach": True,
            "labels": dict(spec.labels),
            "environment": dict(spec.env),
            "init": True,
            "auto_remove": False,
            "mounts": [
                docker.types.Mount(
                    target=m.target,
                    source=os.path.realpath(os.path.expanduser(m.source)),
                    type="bind",
                    read_only=m.read_only,
                )
                for m in spec.mounts
            ],
        }
        user = f"{os.getuid()}:{os.getgid()}" if spec.user is None else spec.user
        if user:
            kwargs["user"] = user
        if not spec.network:
            kwargs["network_mode"] = "none"
        if spec.shm_size is not None:
            kwargs["shm_size"] = spec.shm_size
        if spec.workdir:
            kwargs["working_dir"] = spec.workdir
        if spec.name:
            kwargs["name"] = spec.name
        if spec.entrypoint is not None:
            kwargs["entrypoint"] = list(spec.entrypoint)
        if spec.ulimits:
            kwargs["ulimits"] = _ulimits(spec.ulimits)
        request = _device_request(spec.gpus)
        if request is not None:
            kwargs["device_requests"] = [request]

        try:
            container = self.client.containers.create(spec.image, **kwargs)
        except docker.errors.ImageNotFound as err:
            raise EnvironmentProblem(
                f"image {spec.image} is not on this machine ({self.host})", fix=f"`docker pull {spec.image}`"
            ) from err
        except docker.errors.APIError as err:
            raise _start_problem(spec, err, created=False) from err
        try:
            container.start()
        except Exception as err:
            with contextlib.suppress(Exception):
                container.remove(force=True)
            if isinstance(err, docker.errors.APIError):
                raise _start_problem(spec, err, created=True) from err
            raise _connection_problem(self.host, err) from err
        return str(container.id)

    # ---------------------------------------------------------------- logs

    def follow(
        self,
        container_id: str,
        log_path: str | os.PathLike[str],
        on_lines: Callable[[list[str]], Any] | None = None,
        *,
        stop: threading.Event | None = None,
        flush_interval: float = 0.05,
    ) -> int | None:
        """Append the container's log to ``log_path`` until it exits; return its exit code.

        Each line is written as ``"<RFC3339Nano ts> <text>\\n"``. ``on_lines`` gets batches of
        text lines (no timestamps) in the calling thread, at most about every
        ``flush_interval`` seconds while lines arrive. Restartable: resumes after the last
        timestamp in the file (a torn last line is cut and fetched again), so a follower
        killed at any moment and started again loses and doubles nothing. After the live
        stream ends, a catch-up read collects lines the stream may have dropped. When ``stop``
        is set, returns ``None`` with the file up to date and the container untouched.
        Only one process may follow into a given file at a time (``FollowerBusy``).
        """
        import docker.errors

        path = os.fspath(log_path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        container = self._get(container_id)
        tty = bool(((container.attrs or {}).get("Config") or {}).get("Tty"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            _lock_or_raise(fd, path)
            last_ts, count = read_log_tail(path)
            sink = _LogSink(fd, last_ts, count, on_lines, tty=tty)
            quiet_rounds = 0
            while True:
                sink.begin_pass()
                before = sink.lines_written
                response = self._open_logs(container.id, follow=True, since=sink.last_ts)
                if not self._pump(response, sink, stop, flush_interval):
                    return None  # stopped by the caller
                try:
                    container.reload()
                except docker.errors.NotFound as err:
                    raise EnvironmentProblem(
                        f"container {container_id[:12]} was removed while tao-tui followed it",
                        fix=f"the lines received so far are in {path}",
                    ) from err
                except Exception as err:
                    raise _connection_problem(self.host, err) from err
                if container.status not in ("running", "restarting", "paused", "created"):
                    break
                # the stream ended but the container lives on (engine hiccup, lost connection): go on
                quiet_rounds = quiet_rounds + 1 if sink.lines_written == before else 0
                time.sleep(min(0.05 * quiet_rounds, 1.0))
            self._catch_up(container.id, sink)
            return self.wait(container_id)
        finally:
            with contextlib.suppress(OSError):
                os.fsync(fd)
            os.close(fd)

    CATCH_UP_TAIL = 1024

    def _catch_up(self, container_id: str, sink: _LogSink) -> None:
        """After the live stream: fetch what it may have dropped (lines after the last ts).

        First cheaply (``tail=1024``: dockerd reads that from the end of its file); only if all
        1024 lines are new, once more with the whole log (dockerd scans it from the start).
        """
        sink.begin_pass()
        data = self._read_logs(container_id, since=sink.last_ts, tail=self.CATCH_UP_TAIL)
        if sink.last_ts is None or _count_entries(data, sink.tty) >= self.CATCH_UP_TAIL:
            data = self._read_logs(container_id, since=sink.last_ts, tail="all")
        sink.feed_raw(data, final=True)

    def _logs_request(
        self, container_id: str, *, follow: bool, since: bytes | None, tail: str | int, stream: bool
    ):
        import docker.errors
        import requests

        api = self.client.api
        params: dict[str, Any] = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "follow": 1 if follow else 0,
            "tail": str(tail),
        }
        if since is not None:
            params["since"] = f"{ts_to_since(since):.6f}"
        url = f"{api.base_url}/v{api.api_version}/containers/{container_id}/logs"
        try:
            response = api.get(url, params=params, stream=stream, timeout=None if follow else api.timeout)
            response.raise_for_status()
        except requests.exceptions.HTTPError as err:
            try:
                docker.errors.create_api_error_from_http_exception(err)  # raises the typed error
            except docker.errors.NotFound as api_err:
                raise self._missing(container_id) from api_err
            except docker.errors.APIError as api_err:
                raise _api_problem("reading the container's log", api_err) from api_err
            raise _api_problem("reading the container's log", err) from err
        except Exception as err:
            raise _connection_problem(self.host, err) from err
        return response

    def _open_logs(self, container_id: str, *, follow: bool, since: bytes | None) -> Any:
        return self._logs_request(container_id, follow=follow, since=since, tail="all", stream=True)

    def _read_logs(self, container_id: str, *, since: bytes | None, tail: str | int) -> bytes:
        response = self._logs_request(container_id, follow=False, since=since, tail=tail, stream=False)
        return response.content

    def _pump(
        self, response: Any, sink: _LogSink, stop: threading.Event | None, flush_interval: float
    ) -> bool:
        """Drain one live log response into ``sink``.

        A reader thread pulls whatever bytes are available (``read1`` of up to 64 KiB, the HTTP
        chunked coding undone per block) into a deque; this thread wakes when data arrives or
        every ``flush_interval``, and writes what has accumulated as one batch (so a burst
        becomes a few big writes, and the last lines before a silence are written at once).
        Returns False when ``stop`` was set.
        """
        raw = response.raw
        chunks: collections.deque[bytes] = collections.deque()
        ready = threading.Event()
        finished = threading.Event()
        failure: list[BaseException] = []
        # The engine sends every log entry as its own HTTP chunk: reading through http.client
        # costs a stack of Python calls (and a GIL hand-over) per line. Where we can, read the
        # socket's buffered file in big blocks and undo the chunked coding a block at a time.
        body = _chunked_body(response)

        def reader() -> None:
            append = chunks.append
            is_set, set_ = ready.is_set, ready.set
            try:
                if body is not None:
                    read1 = body.read1
                    dechunker = _Dechunker()
                    dechunk = dechunker.feed
                    while not dechunker.done:  # the zero-size chunk ends the response
                        block = read1(1 << 16)
                        if not block:
                            break
                        block = dechunk(block)
                        if block:
                            append(block)
                            if not is_set():
                                set_()
                elif (read1 := getattr(raw, "read1", None)) is not None:
                    while True:
                        block = read1(1 << 16)
                        if not block:
                            break
                        append(block)
                        if not is_set():
                            set_()
                else:  # urllib3 1.x
                    for block in raw.stream(1 << 16, decode_content=False):
                        append(block)
                        if not is_set():
                            set_()
            except BaseException as err:  # noqa: BLE001 - handed over to the writing thread
                failure.append(err)
            finally:
                finished.set()
                ready.set()

        thread = threading.Thread(target=reader, name="tao-tui-log-reader", daemon=True)
        thread.start()
        popleft = chunks.popleft
        stopped = False
        try:
            while True:
                ready.wait(flush_interval)
                ready.clear()
                if stop is not None and stop.is_set():
                    stopped = True
                    _shutdown_response(response)
                    thread.join(2)
                done = finished.is_set()
                if chunks:
                    batch = []
                    with contextlib.suppress(IndexError):
                        while True:
                            batch.append(popleft())
                    sink.feed_raw(b"".join(batch))
                if stopped:
                    return False
                if done and not chunks:
                    break
                if not done and not chunks:
                    # caught up: let the next burst accumulate into one batch (when more is
                    # already waiting, we are the slow side and go on at once)
                    time.sleep(flush_interval / 5)
        finally:
            if thread.is_alive():
                _shutdown_response(response)
                thread.join(2)
            with contextlib.suppress(Exception):
                response.close()
        if failure and not _is_stream_end(failure[0]):
            raise _connection_problem(self.host, failure[0])
        return True

    def wait(self, container_id: str, timeout: float | None = None) -> int | None:
        """Exit code of the container (waits for it); ``None`` if ``timeout`` passed first."""
        import requests.exceptions

        container = self._get(container_id)
        try:
            result = container.wait(timeout=timeout) if timeout is not None else container.wait()
        except requests.exceptions.RequestException as err:
            if timeout is not None and "timed out" in str(err).lower():
                return None
            raise _connection_problem(self.host, err) from err
        return int(result.get("StatusCode", -1))

    def logs(self, container_id: str, *, timestamps: bool = True, since: float | None = None) -> bytes:
        """The container's whole log (or since ``since``) in one read."""
        container = self._get(container_id)
        return self._call(
            lambda: container.logs(timestamps=timestamps, since=since), "reading the container's log"
        )

    # ---------------------------------------------------------------- manage

    def find(self, labels: dict[str, str | None]) -> list[ContainerInfo]:
        """Containers (running or not) carrying all these labels; a ``None`` value matches the key only."""
        import docker.errors

        filters = {"label": [k if v is None else f"{k}={v}" for k, v in labels.items()]}
        try:
            found = self.client.containers.list(all=True, filters=filters, ignore_removed=True)
        except docker.errors.APIError as err:
            raise _api_problem("listing containers", err) from err
        except Exception as err:
            raise _connection_problem(self.host, err) from err
        return [_info(c) for c in found]

    def inspect(self, container_id: str) -> ContainerInfo:
        return _info(self._get(container_id))

    def stop(self, container_id: str, timeout: float = 10) -> int | None:
        """SIGINT (TAO writes "interrupted" and saves), wait up to ``timeout`` s, then SIGTERM/SIGKILL.

        A container that already exited is fine. Returns the exit code.
        """
        import docker.errors

        container = self._get(container_id)
        try:
            container.kill(signal="SIGINT")
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as err:
            if err.status_code not in (409, 500) or "not running" not in _explain(err):
                raise _api_problem(f"stopping container {container_id[:12]}", err) from err
        code = self.wait(container_id, timeout=timeout)
        if code is None:
            with contextlib.suppress(docker.errors.NotFound):
                container.stop(timeout=3)
            code = self.wait(container_id, timeout=30)
        return code

    def remove(self, container_id: str, *, force: bool = True) -> None:
        import docker.errors

        try:
            self.client.api.remove_container(container_id, force=force)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as err:
            if err.status_code == 409 and "already in progress" in _explain(err):
                return
            raise _api_problem(f"removing container {container_id[:12]}", err) from err

    # ---------------------------------------------------------------- helpers

    def _missing(self, container_id: str) -> EnvironmentProblem:
        return EnvironmentProblem(
            f"container {container_id[:12]} does not exist on {self.host}",
            fix="it was removed; start the stage again",
        )

    def _get(self, container_id: str) -> Any:
        import docker.errors

        try:
            return self.client.containers.get(container_id)
        except docker.errors.NotFound as err:
            raise self._missing(container_id) from err
        except docker.errors.APIError as err:
            raise _api_problem(f"looking up container {container_id[:12]}", err) from err
        except Exception as err:
            raise _connection_problem(self.host, err) from err

    def _call(self, fn: Callable[[], Any], doing: str) -> Any:
        import docker.errors

        try:
            return fn()
        except docker.errors.APIError as err:
            raise _api_problem(doing, err) from err
        except EnvironmentProblem:
            raise
        except Exception as err:
            raise _connection_problem(self.host, err) from err


# --------------------------------------------------------------------------- helpers


def _lock_or_raise(fd: int, path: str) -> None:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise FollowerBusy(
                f"another tao-tui process is already writing {path}",
                fix="read the file instead (it is kept up to date), or stop the other tao-tui",
            ) from err
        raise


def _count_entries(data: bytes, tty: bool) -> int:
    """How many log entries a raw (multiplexed) response holds."""
    if tty:
        return data.count(b"\n")
    count = pos = 0
    n = len(data)
    while pos + 8 <= n:
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
        count += 1
    return count


def _chunked_body(response: Any) -> Any:
    """The buffered socket file under a streamed response in chunked coding whose body nobody
    has read yet (so it starts at the first chunk-size line), or None (then read through
    urllib3)."""
    try:
        http = response.raw._fp  # http.client.HTTPResponse
        fp = http.fp
        if (
            http.chunked
            and http.chunk_left is None
            and not response.headers.get("Content-Encoding")
            and callable(getattr(fp, "read1", None))
        ):
            return fp
    except AttributeError:
        pass
    return None


class _Dechunker:
    """HTTP/1.1 chunked transfer coding -> the body's bytes, fed in arbitrary pieces."""

    def __init__(self) -> None:
        self.head = b""  # an incomplete chunk-size line
        self.left = 0  # bytes of the current chunk still to come
        self.crlf = 0  # bytes of the CRLF after the current chunk still to skip
        self.done = False  # the last (zero-size) chunk was seen

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        append = out.append
        find = data.find
        pos, n = 0, len(data)
        while pos < n and not self.done:
            if self.left:  # the rest of a chunk cut by the previous read
                end = min(n, pos + self.left)
                append(data[pos:end])
                self.left -= end - pos
                pos = end
                if not self.left:
                    self.crlf = 2
                continue
            if self.crlf:
                skip = min(self.crlf, n - pos)
                pos += skip
                self.crlf -= skip
                continue
            nl = find(b"\n", pos)
            if nl < 0:
                self.head += data[pos:]
                break
            line = self.head + data[pos:nl] if self.head else data[pos:nl]
            self.head = b""
            pos = nl + 1
            try:
                size = int(line, 16)  # int() ignores the CR and surrounding blanks
            except ValueError:
                size = int(line.split(b";", 1)[0], 16)  # chunk extensions
            if size < 0:
                raise ValueError(f"bad chunk size {line!r}")  # taken as the stream's end
            if size == 0:
                self.done = True  # trailers and anything after them are not log data
                break
            end = pos + size
            if end + 2 <= n:  # the usual case: the whole chunk and its CRLF are here
                append(data[pos:end])
                pos = end + 2
            else:
                self.left = size
        return b"".join(out)


def _shutdown_response(response: Any) -> None:
    """Unblock a reader waiting on a streamed response (like docker-py's CancellableStream.close)."""
    import socket

    with contextlib.suppress(Exception):
        fp = response.raw._fp.fp
        sock = fp.raw._sock if hasattr(fp, "raw") else fp.channel if hasattr(fp, "channel") else fp._sock
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


def _is_stream_end(err: BaseException) -> bool:
    """Errors that just mean "the engine closed the stream" (container gone, engine stopped)."""
    import urllib3.exceptions

    return isinstance(err, (OSError, urllib3.exceptions.ProtocolError, ValueError, AttributeError))


class FollowerBusy(EnvironmentProblem):
    """Another process already follows this container into the same log file."""


def _explain(err: Any) -> str:
    text = getattr(err, "explanation", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text or err)


def _registry_of(image: str) -> str:
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _split_tag(image: str) -> tuple[str, str]:
    if "@" in image:
        repo, digest = image.split("@", 1)
        return repo, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = image.rsplit(":", 1)
        return repo, tag
    return image, "latest"


def _device_request(gpus: GpuRequest) -> Any:
    import docker.types

    if gpus is None or gpus is False:
        return None
    if isinstance(gpus, str):
        if gpus == "all":
            return docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])
        ids = [g.strip() for g in gpus.split(",") if g.strip()]
        return docker.types.DeviceRequest(device_ids=ids, capabilities=[["gpu"]])
    if isinstance(gpus, bool):
        return docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])
    if isinstance(gpus, int):
        if gpus == 0:
            return None
        return docker.types.DeviceRequest(count=gpus, capabilities=[["gpu"]])
    return docker.types.DeviceRequest(device_ids=[str(g) for g in gpus], capabilities=[["gpu"]])


def _ulimits(spec: dict[str, Any]) -> list[Any]:
    """``{"memlock": -1, "stack": 67108864}`` or ``{"nofile": {"soft": 1024, "hard": 2048}}``."""
    import docker.types

    out = []
    for name, value in spec.items():
        if isinstance(value, dict):
            soft = int(value.get("soft", value.get("hard", -1)))
            hard = int(value.get("hard", soft))
        else:
            soft = hard = int(value)
        out.append(docker.types.Ulimit(name=name, soft=soft, hard=hard))
    return out


def _info(c: Any) -> ContainerInfo:
    attrs = c.attrs or {}
    state = attrs.get("State") or {}
    status = state.get("Status") or c.status
    exit_code = state.get("ExitCode") if status in ("exited", "dead") else None
    image = (attrs.get("Config") or {}).get("Image") or attrs.get("Image", "")
    return ContainerInfo(
        id=c.id,
        name=(attrs.get("Name") or c.name or "").lstrip("/"),
        status=status,
        labels=dict(c.labels or {}),
        exit_code=exit_code,
        image=image,
        started_at=state.get("StartedAt"),
        finished_at=state.get("FinishedAt"),
    )


def _connect_problem(host: str, err: BaseException) -> EnvironmentProblem:
    text = f"{err!r} {err}"
    if "Permission denied" in text or "PermissionError" in text or "EACCES" in text:
        user = getpass.getuser()
        return EnvironmentProblem(
            f"user {user} can't use Docker (permission denied on {host})",
            fix=f"`sudo usermod -aG docker {user}`, then log out and in again",
        )
    if host.startswith("ssh://"):
        return EnvironmentProblem(
            f"Docker is not reachable at {host} ({_short(err)})",
            fix=f"check `ssh {host[len('ssh://') :]} docker info` works; start Docker there "
            "(`sudo systemctl start docker`)",
        )
    return EnvironmentProblem(
        f"Docker is not running / not reachable at {host} ({_short(err)})",
        fix="start it (`sudo systemctl start docker`); for an engine on another machine set DOCKER_HOST "
        "(e.g. ssh://user@gpu-box)",
    )


def _connection_problem(host: str, err: BaseException) -> EnvironmentProblem:
    if isinstance(err, EnvironmentProblem):
        return err
    return EnvironmentProblem(
        f"lost the connection to Docker at {host} ({_short(err)})",
        fix="check the engine is still running (`docker info`; `sudo systemctl start docker`), then "
        "reopen tao-tui: running stages are found again by their labels",
    )


def _api_problem(doing: str, err: Any) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"Docker refused {doing}: {_explain(err)}",
        fix="see the engine's log (`journalctl -u docker`), or run `tao-tui doctor`",
    )


def _start_problem(spec: RunSpec, err: Any, *, created: bool) -> EnvironmentProblem:
    text = _explain(err)
    low = text.lower()
    if "could not select device driver" in low or "[[gpu]]" in low or "nvidia-container-cli" in low:
        return EnvironmentProblem(f"Docker can't give the container a GPU ({text})", fix=TOOLKIT_FIX)
    if "unknown runtime" in low and "nvidia" in low:
        return EnvironmentProblem(f"Docker has no NVIDIA runtime ({text})", fix=TOOLKIT_FIX)
    if "is already in use by container" in low:
        return EnvironmentProblem(
            f"a container named {spec.name} already exists ({text})",
            fix=f"remove it (`docker rm -f {spec.name}`) or pick another run name",
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


def _pull_problem(image: str, text: str) -> EnvironmentProblem:
    low = text.lower()
    registry = _registry_of(image)
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
            f"could not pull {image}: access denied ({text})", fix=f"`docker login {registry}`"
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
    return EnvironmentProblem(f"could not pull {image}: {text}", fix=f"try `docker pull {image}` by hand")


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
