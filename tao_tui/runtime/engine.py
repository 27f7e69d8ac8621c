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

import collections
import contextlib
import os
import shlex
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tao_tui.errors import EnvironmentProblem
from tao_tui.runtime.errors import (  # noqa: F401 - re-exported for callers of the engine module
    LOGIN_FIX,
    NVCR,
    TOOLKIT_FIX,
    ContainerGone,
    FollowerBusy,
    api_problem,
    connect_problem,
    connection_problem,
    docker_config_path,
    explain,
    pull_problem,
    registry_login_state,
    registry_of,
    start_problem,
)
from tao_tui.runtime.followlock import lock_or_raise
from tao_tui.runtime.logstream import (  # noqa: F401 - re-exported
    _chunked_body,
    _count_entries,
    _Dechunker,
    _is_stream_end,
    _LogSink,
    _shutdown_response,
    read_log_tail,
    ts_to_since,
)

_connect_problem, _pull_problem = connect_problem, pull_problem  # older names (tests, doctor)

GiB = 1024**3
DEFAULT_SOCKET = "unix:///var/run/docker.sock"

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
    network_mode: str | None = None  # "host", "bridge", a user network (~/.tao_mounts.json "network")
    privileged: bool = False
    tty: bool = False
    ports: dict[str, Any] | None = None  # {"8888/tcp": 8888}
    ulimits: dict[str, Any] | None = None
    entrypoint: list[str] | None = None
    key: str | None = field(default=None, repr=False)  # replaces KEY_MARKER in argv inside the container
    project_dir: str | None = None  # the project folder, for messages (e.g. `tao-tui set --image ... --project`)


KEY_MARKER = "@TAO_TUI_KEY@"
KEY_WAIT_S = 120  # the wrapper gives up (exit 125) when no key line arrived by then
# Reads the key from the container's stdin (the first line tao-tui writes after ``start``), puts
# it where ``argv`` holds KEY_MARKER and execs TAO's command: the key is in no file, and never in
# the container's stored config (Config.Cmd/Env/Labels). POSIX sh (dash in NVIDIA's images).
KEY_WRAPPER = (
    # one line from stdin, waiting at most KEY_WAIT_S where the image has `timeout` (busybox, coreutils)
    "if command -v timeout >/dev/null 2>&1; then k=$(timeout " + str(KEY_WAIT_S) + " head -n 1); "
    "else IFS= read -r k; fi\n"
    '[ -n "$k" ] || { echo "tao-tui: the encryption key did not arrive on stdin '
    '(tao-tui stopped while starting the container); start the stage again" >&2; exit 125; }\n'
    "for a do shift; case $a in *" + KEY_MARKER + "*) a=\"${a%%" + KEY_MARKER + "*}$k${a#*" + KEY_MARKER
    + '}";; esac; set -- "$@" "$a"; done\nexec "$@"'
)


def key_command(argv: Sequence[str]) -> list[str]:
    """``argv`` (holding KEY_MARKER where the key goes) wrapped in KEY_WRAPPER: ``sh -c WRAPPER``."""
    return ["/bin/sh", "-c", KEY_WRAPPER, "tao-tui-key", *argv]


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


# --------------------------------------------------------------------------- engine


def _import_docker(use_ssh: bool):
    """The Docker SDK. docker-py imports paramiko (~0.25 s) whenever it is installed, though only
    ``ssh://`` engines use it: for other engines it is kept out of this process; an ``ssh://``
    engine later in the same process gets it then."""
    import sys

    if "docker" not in sys.modules and not use_ssh and "paramiko" not in sys.modules:
        sys.modules["paramiko"] = None  # type: ignore[assignment]  # `import paramiko` -> ImportError
        try:
            import docker
        finally:
            del sys.modules["paramiko"]
    import docker
    import docker.api.client

    if use_ssh and not hasattr(docker.api.client, "SSHHTTPAdapter"):
        try:
            from docker.transport.sshconn import SSHHTTPAdapter
        except ImportError:
            pass  # docker-py says "Install paramiko package" at connect; errors.py gives the fix
        else:
            docker.api.client.SSHHTTPAdapter = SSHHTTPAdapter
    return docker


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
        target = host or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
        use_ssh = target.startswith("ssh://")
        docker = _import_docker(use_ssh)
        try:
            if host:
                client = docker.DockerClient(
                    base_url=host, version="auto", timeout=timeout, use_ssh_client=use_ssh
                )
            else:
                client = docker.from_env(timeout=timeout, use_ssh_client=use_ssh)
            client.ping()
        except Exception as err:  # DockerException, requests' ConnectionError, OSError ...
            raise connect_problem(target, err) from err
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
            raise api_problem(f"looking up image {image}", err) from err

    def ensure_image(self, image: str, project: str | os.PathLike[str] | None = None) -> None:
        """Raise ``EnvironmentProblem`` (with the pull/login fix, and how to use another image in
        ``project``) unless ``image`` is local. Never pulls."""
        if self.has_image(image):
            return
        raise self.missing_image(image, project)

    def missing_image(self, image: str, project: str | os.PathLike[str] | None = None) -> EnvironmentProblem:
        """``image`` is not on this machine: log in (nvcr.io) and pull it, or set a different image (a
        mirror, a local build) for the project with `tao-tui set --image`."""
        where = shlex.quote(str(project)) if project is not None else "PROJECT_FOLDER"
        stage = f"STAGE --pull --project {where}" if project is not None else "STAGE --pull"
        steps = f"`docker pull {shlex.quote(image)}`, or let tao-tui pull it: `tao-tui run {stage}`"
        if registry_of(image) == NVCR:
            logged_in, _why = registry_login_state(NVCR)
            login = "" if logged_in else f"{LOGIN_FIX}, then "
            steps = f"{login}{steps}"
        other = (f"; or use a different image (a mirror, a local build): "
                 f"`tao-tui set --image IMAGE --project {where}`")
        return EnvironmentProblem(f"image {image} is not on this machine ({self.host})", fix=steps + other)

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
                    raise pull_problem(image, str(event.get("error") or event.get("errorDetail")))
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
            raise pull_problem(image, explain(err)) from err
        except Exception as err:
            raise pull_problem(image, str(err)) from err
        if not self.has_image(image):
            raise pull_problem(image, "the pull ended but the image is still not listed")

    # ---------------------------------------------------------------- run

    def check_mounts(self, mounts: Iterable[Mount], on_warning: Callable[[str], Any] | None = None) -> None:
        """Every source exists; every writable mount's filesystem has room. Raises before anything starts."""
        seen_dev: set[int] = set()
        for m in mounts:
            src = os.path.realpath(os.path.expanduser(m.source))
            if not os.path.exists(src):
                raise EnvironmentProblem(
                    f"folder {m.source} (mounted at {m.target} in the container) does not exist on this machine",
                    fix=f"create it (`mkdir -p {shlex.quote(m.source)}`) or fix the path (~/.tao_mounts.json or the project)",
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
        self.ensure_image(spec.image, spec.project_dir)

        with_key = spec.key is not None and any(KEY_MARKER in a for a in spec.argv)
        if any(KEY_MARKER in a for a in spec.argv) and spec.key is None:
            raise ValueError("argv holds the key marker but RunSpec.key is None")
        kwargs: dict[str, Any] = {
            "command": key_command(spec.argv) if with_key else list(spec.argv),
            "stdin_open": with_key,
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
        elif spec.network_mode:
            kwargs["network_mode"] = spec.network_mode
        if spec.privileged:
            kwargs["privileged"] = True
        if spec.tty:
            kwargs["tty"] = True
        if spec.ports:
            kwargs["ports"] = dict(spec.ports)
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
            raise self.missing_image(spec.image, spec.project_dir) from err
        except docker.errors.APIError as err:
            raise start_problem(spec, err, created=False) from err
        try:
            if with_key:
                # written and closed *before* start: the engine holds the line for the process, and a
                # crash after this point cannot leave the wrapper waiting for its stdin forever
                _send_line(self._open_stdin(container.id), spec.key or "")
            container.start()
        except Exception as err:
            with contextlib.suppress(Exception):
                container.remove(force=True)
            if isinstance(err, docker.errors.APIError):
                raise start_problem(spec, err, created=True) from err
            raise connection_problem(self.host, err) from err
        return str(container.id)

    def _open_stdin(self, container_id: str) -> Any:
        """An attached socket on the created (not yet started) container's stdin.

        Over ``ssh://`` the attach gets a client of its own: the hijacked connection must never go
        back to the shared pool (a later request would be written into the container's stdin)."""
        api = self.client.api
        if self.host.startswith("ssh://"):
            import docker

            api = docker.APIClient(base_url=self.host, version=self.client.api.api_version, timeout=60,
                                   use_ssh_client=True)
        sock = api.attach_socket(container_id, params={"stdin": 1, "stdout": 0, "stderr": 0, "stream": 1})
        if api is not self.client.api:
            sock._tao_tui_client = api  # closed with the socket (_send_line)
        return sock

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
            lock_or_raise(fd, path)
            last_ts, count = read_log_tail(path)
            sink = _LogSink(fd, last_ts, count, on_lines, tty=tty, path=path)
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
                    raise ContainerGone(
                        f"container {container_id[:12]} was removed while tao-tui followed it",
                        fix=f"the lines received so far are in {path}",
                    ) from err
                except Exception as err:
                    raise connection_problem(self.host, err) from err
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
                raise api_problem("reading the container's log", api_err) from api_err
            raise api_problem("reading the container's log", err) from err
        except Exception as err:
            raise connection_problem(self.host, err) from err
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
            raise connection_problem(self.host, failure[0])
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
            raise connection_problem(self.host, err) from err
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
            raise api_problem("listing containers", err) from err
        except Exception as err:
            raise connection_problem(self.host, err) from err
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
            if err.status_code not in (409, 500) or "not running" not in explain(err):
                raise api_problem(f"stopping container {container_id[:12]}", err) from err
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
            if err.status_code == 409 and "already in progress" in explain(err):
                return
            raise api_problem(f"removing container {container_id[:12]}", err) from err

    # ---------------------------------------------------------------- helpers

    def _missing(self, container_id: str) -> ContainerGone:
        return ContainerGone(
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
            raise api_problem(f"looking up container {container_id[:12]}", err) from err
        except Exception as err:
            raise connection_problem(self.host, err) from err

    def _call(self, fn: Callable[[], Any], doing: str) -> Any:
        import docker.errors

        try:
            return fn()
        except docker.errors.APIError as err:
            raise api_problem(doing, err) from err
        except EnvironmentProblem:
            raise
        except Exception as err:
            raise connection_problem(self.host, err) from err


# --------------------------------------------------------------------------- helpers


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


def _send_line(sock: Any, text: str) -> None:
    """Write ``text`` + newline to an attached stdin socket, then close it (the container's stdin
    gets EOF: ``StdinOnce``). Unix socket (SocketIO), TCP/TLS socket or docker-py's SSH socket."""
    data = text.encode("utf-8") + b"\n"
    raw = getattr(sock, "_sock", sock)
    proc = getattr(raw, "proc", None)  # docker-py's SSHSocket: an `ssh … docker system dial-stdio` process
    if proc is not None and proc.stdin is not None:
        try:
            proc.stdin.write(data)
            proc.stdin.flush()
            proc.stdin.close()  # EOF travels through ssh after the key (never cut by a kill)
            proc.wait(timeout=3)  # ssh does not exit on its own: the key and EOF are sent by then
        except Exception:  # noqa: BLE001 - the wrapper's wait ends it; the start goes on
            pass
        finally:
            with contextlib.suppress(Exception):
                proc.terminate()
            _close_own_client(sock)
        return
    try:
        if hasattr(raw, "sendall"):
            raw.sendall(data)
        else:
            sock.write(data)
            sock.flush()
        with contextlib.suppress(Exception):
            raw.shutdown(1)  # SHUT_WR
    finally:
        with contextlib.suppress(Exception):
            sock.close()
        with contextlib.suppress(Exception):
            raw.close()
        _close_own_client(sock)


def _close_own_client(sock: Any) -> None:
    """The API client opened for this attach alone (ssh://: ``_open_stdin``), closed with its socket."""
    own = getattr(sock, "_tao_tui_client", None)
    if own is not None:
        with contextlib.suppress(Exception):
            own.close()
